"""The test service: talks to the app and to its Redis over the stack's network."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, "/app")
import resp  # noqa: E402

APP_URL = os.environ.get("APP_URL", "http://app:8000")
REDIS_HOST = os.environ.get("REDIS_HOST", "redis")


def get(path):
    with urllib.request.urlopen(APP_URL + path, timeout=10) as response:
        return json.loads(response.read())


def test_redis_answers_ping():
    assert resp.command(REDIS_HOST, "PING") == "PONG"


def test_app_is_healthy():
    assert get("/health") == {"status": "ok"}


def test_app_counts_hits_in_redis():
    first = get("/hits")["hits"]
    second = get("/hits")["hits"]
    assert second == first + 1
    assert int(resp.command(REDIS_HOST, "GET", "hits")) == second
