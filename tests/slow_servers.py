"""Misbehaving HTTP servers on loopback for the deadline tests: they drip, hang, or answer too much.

A plain threading socket server, so a test controls every byte and its timing (what a dripping or
hostile receiver does cannot be expressed with a well-behaved test server).
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        self.request.settimeout(60)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            rest += self.request.recv(65536)
        server.requests.append(head.split(b"\r\n", 1)[0].decode())
        try:
            server.behaviour(self.request, server)
        except OSError:
            pass  # the client hung up: what the deadline and the caps are for


class MisbehavingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.requests: list[str] = []
        self.bytes_sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serving(behaviour) -> Iterator[MisbehavingServer]:
    server = MisbehavingServer(behaviour)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def drip_body(every: float = 0.5, total: float = 30.0, status: bytes = b"200 OK",
              content_type: bytes = b"application/json"):
    """Headers at once, then one byte of body every `every` seconds for `total` seconds."""
    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        count = int(total / every)
        sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type +
                     b"\r\nContent-Length: " + str(count).encode() + b"\r\n\r\n")
        for _ in range(count):
            time.sleep(every)
            sock.sendall(b" ")
            server.bytes_sent += 1
    return behaviour


def drip_headers(every: float = 0.5, total: float = 30.0):
    """The status line, then one byte of a header every `every` seconds: never a complete head."""
    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(int(total / every)):
            time.sleep(every)
            sock.sendall(b"a")
    return behaviour


def huge_error(megabytes: int = 100, status: bytes = b"500 Internal Server Error"):
    """An error answer of `megabytes` MB, sent as fast as the client reads it."""
    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        total = megabytes * 1024 * 1024
        sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\nContent-Length: " +
                     str(total).encode() + b"\r\n\r\n")
        block = b"x" * 65536
        for _ in range(total // len(block)):
            sock.sendall(block)
            server.bytes_sent += len(block)
    return behaviour


def gzip_bomb(megabytes: int = 200):
    """`megabytes` MB of zeros, gzip-compressed (about a thousandth of that on the wire), as JSON."""
    payload = gzip.compress(b"0" * (megabytes * 1024 * 1024), compresslevel=9)

    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    return behaviour


def json_answer(body: bytes, status: bytes = b"200 OK"):
    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: " +
                     str(len(body)).encode() + b"\r\n\r\n" + body)
    return behaviour


def hang(seconds: float = 60.0):
    """Accept the request and say nothing (a provider that hangs)."""
    def behaviour(sock: socket.socket, server: MisbehavingServer) -> None:
        time.sleep(seconds)
    return behaviour
