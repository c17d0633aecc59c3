"""A small calculator: the application DindBuild's sample builds and tests inside Docker-in-Docker."""

from statistics import fmean


def add(a: float, b: float) -> float:
    return a + b


def subtract(a: float, b: float) -> float:
    return a - b


def multiply(a: float, b: float) -> float:
    return a * b


def divide(a: float, b: float) -> float:
    if b == 0:
        raise ValueError("cannot divide by zero")
    return a / b


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return fmean(values)
