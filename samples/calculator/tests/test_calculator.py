import os

import pytest

import calculator

# DindBuild's failure path is exercised by running the sample with SAMPLE_FAIL=1
# (./build.sh DindTest --test-env SAMPLE_FAIL=1): exactly one test then fails.
FAIL_ONE = os.environ.get("SAMPLE_FAIL") == "1"


def test_add():
    expected = 5 if FAIL_ONE else 4
    assert calculator.add(2, 2) == expected


def test_subtract():
    assert calculator.subtract(10, 4) == 6


def test_multiply():
    assert calculator.multiply(3, -2) == -6


def test_divide():
    assert calculator.divide(7, 2) == 3.5


def test_divide_by_zero_is_an_error():
    with pytest.raises(ValueError, match="divide by zero"):
        calculator.divide(1, 0)


@pytest.mark.parametrize("values, expected", [([1, 2, 3], 2), ([5], 5), ([-1, 1], 0)])
def test_mean(values, expected):
    assert calculator.mean(values) == expected


def test_mean_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        calculator.mean([])
