"""Tests that use Docker run unchanged in every DindBuild mode: they find "their" daemon at the usual socket.

This one records which daemon that is, so a run can show that the tests saw the private daemon
(dind), the host's (dood) or the external one.
"""
import json
import os
import socket

import pytest

SOCKET = "/var/run/docker.sock"


def _get(path: str) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect(SOCKET)
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"200", head.decode(errors="replace")
    return json.loads(body)


@pytest.mark.skipif(not os.path.exists(SOCKET), reason="no Docker daemon socket mounted into the test container")
def test_reaches_its_docker_daemon():
    info = _get("/info")
    print(f"docker daemon seen by the tests: ID={info['ID']} Name={info['Name']} ServerVersion={info['ServerVersion']}")
    os.makedirs("/artifacts", exist_ok=True)
    with open("/artifacts/docker-daemon.json", "w", encoding="utf-8") as report:
        json.dump({"ID": info["ID"], "Name": info["Name"], "ServerVersion": info["ServerVersion"]}, report)
    assert info["ID"]
