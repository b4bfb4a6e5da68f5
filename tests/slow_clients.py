"""Clients that stall: raw sockets that connect and then send nothing, or only part of a
request, or trickle one forever. Shared by the tests of both local servers' timeouts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

# What each stalled client sends before it stops; the request is never finished.
PARTIAL_REQUESTS = {
    "idle": b"",
    "half a request line": b"POST /hous",
    "half the headers": b"POST /housing HTTP/1.1\r\nHost: x\r\nContent-Ty",
    "half the body": b'POST /housing HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"rm": 6',
}
# Past the timeout: none of these clients may still be connected by then.
GENEROUS_SECONDS = 30.0


def stalled(port: int, sent: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=GENEROUS_SECONDS)
    sock.sendall(sent)
    return sock


@contextmanager
def trickling(port: int, every: float = 0.05) -> Iterator[socket.socket]:
    """A client sending one byte of an endless header every ``every`` seconds, so no single
    wait for bytes is long, while its request never ends."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=GENEROUS_SECONDS)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(every):
            try:
                sock.send(b"a")
            except OSError:  # the server hung up: what the test waits for
                return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        yield sock
    finally:
        stop.set()
        thread.join()
        sock.close()


def still_open(sock: socket.socket) -> bool:
    """True while the server keeps the connection open and has sent nothing on it."""
    timeout = sock.gettimeout()
    sock.settimeout(0)  # look, don't wait
    try:
        sock.recv(1, socket.MSG_PEEK)  # an answer, or the end of the connection
        return False
    except BlockingIOError:
        return True
    except ConnectionError:
        return False
    finally:
        sock.settimeout(timeout)


def closed_by_server(sock: socket.socket) -> bool:
    """Wait (up to GENEROUS_SECONDS) for the server to close the connection, unanswered."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


@contextmanager
def stalled_clients(port: int) -> Iterator[dict[str, socket.socket]]:
    """One stalled client of each kind, trickling included, all open at once."""
    with ExitStack() as stack:
        clients = {}
        for name, sent in PARTIAL_REQUESTS.items():
            clients[name] = stack.enter_context(stalled(port, sent))
        clients["trickling"] = stack.enter_context(trickling(port))
        yield clients
