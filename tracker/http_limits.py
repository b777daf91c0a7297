"""Limits on one outgoing HTTP exchange that a slow or hostile server cannot stretch (httpx only; pure).

httpx's timeouts are per read: a server that drips a byte every few seconds
holds a request for as long as it likes. `Deadline` is a wall-clock limit on
the whole exchange: checked between body chunks, and enforced on a read that
is stuck (even in the headers) by shutting the connection's socket down from
a timer thread, which makes the blocked read fail at once. `read_capped`
reads at most a given number of bytes, decompressing gzip/deflate itself
with a bounded output per step, so a small compressed answer cannot grow
into hundreds of megabytes in memory.
"""

from __future__ import annotations

import socket
import threading
import time
import zlib

import httpx

# What we accept: what read_capped can decompress with a bound on its output.
ACCEPT_ENCODING = "gzip, deflate"


class DeadlineExceeded(Exception):
    """The exchange took longer than its deadline."""


class TooLarge(Exception):
    """The (decompressed) body is larger than the cap."""


class Deadline:
    """A wall-clock limit on one HTTP exchange; use as a context manager around the request.

    Pass `extensions` to the httpx request so the connection's socket is known
    (httpcore's trace hook); connections must not be reused from a pool, or
    the socket would not be seen (the callers' clients keep none alive).
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()

    @property
    def extensions(self) -> dict:
        return {"trace": self._trace}

    def _trace(self, name: str, info: dict) -> None:
        if name.endswith((".connect_tcp.complete", ".start_tls.complete")):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                    if self.expired:
                        self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    def remaining(self) -> float:
        return max(0.0, self.expires - time.monotonic())

    def check(self) -> None:
        """Raise DeadlineExceeded once the time is up."""
        if self.expired or time.monotonic() >= self.expires:
            self.expired = True
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g} s")


def read_capped(response: httpx.Response, limit: int, deadline: Deadline, truncate: bool = False) -> bytes:
    """At most `limit` bytes of the (decoded) body, read chunk by chunk under `deadline`.

    Over the limit: TooLarge, or with `truncate` the first `limit` bytes (the
    rest is never read). gzip and deflate are decompressed here, at most
    `limit` + 1 bytes per step; any other content encoding is refused.
    """
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(47)  # 32 + 15: a gzip or zlib header, detected
    elif encoding in ("identity", ""):
        decoder = None
    else:
        raise TooLarge(f"unsupported content encoding {encoding!r}")
    body = bytearray()

    def add(data: bytes) -> bool:
        body.extend(data)
        if len(body) > limit:
            if truncate:
                del body[limit:]
                return False
            raise TooLarge(f"answer larger than {limit} bytes")
        return True

    for raw in response.iter_raw():
        deadline.check()
        if decoder is None:
            if not add(raw):
                break
            continue
        data = decoder.decompress(raw, limit + 1 - len(body))
        if not add(data):
            break
        while decoder.unconsumed_tail:
            deadline.check()
            data = decoder.decompress(decoder.unconsumed_tail, limit + 1 - len(body))
            if not data or not add(data):
                break
        if len(body) >= limit and truncate:
            break
    deadline.check()
    return bytes(body)
