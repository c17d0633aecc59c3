"""Run by compose.failing.yml: a test that fails on purpose, so the run exits 3 with this service's log."""
import sys

sys.path.insert(0, "/app")
import resp  # noqa: E402


def test_redis_counts_backwards():
    assert resp.command("redis", "INCR", "countdown") == -1, "deliberately failing compose sample test"
