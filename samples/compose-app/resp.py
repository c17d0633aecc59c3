"""A few lines of the Redis protocol (RESP), so the sample needs no client library in its image."""
import socket


def command(host, *words, port=6379, timeout=5.0):
    """Sends one command and returns its reply: str for +simple, int for :integer, bytes or None for $bulk."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(str(w).encode())}\r\n{w}\r\n" for w in words)
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(request.encode())
        reply = connection.makefile("rb")
        line = reply.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            return None if length < 0 else reply.read(length + 2)[:-2]
        raise RuntimeError(f"redis replied {line!r}")
