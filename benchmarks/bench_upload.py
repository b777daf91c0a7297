"""Uploading a 20 MB file through the real WSGI app streams it: peak memory of the worker.

The multipart body is read by the app from a file (as a server hands it the
socket), parsed into a capped spool, sniffed, hashed and stored in 512 KB
chunks. Printed: the Python heap's peak during the request (tracemalloc)
and the growth of the process's maximum resident set (ru_maxrss), each as a
ratio of the file's size. Holding the file once would be a ratio of 1.0;
several copies, 2.0 and more. Run: python benchmarks/bench_upload.py [MB]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import tracemalloc

from _support import fresh_app

BOUNDARY = "benchboundary7d2f"


def _body(path: str, size: int) -> int:
    """Write a multipart body with Name, Title, the attestation and one PDF of `size` bytes; its length."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAna Lee\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nCISO\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"confirm\"\r\n\r\nyes\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"audit.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        out.write(head + b"%PDF-1.7\n")
        written = 9
        while written < size:
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)
        out.write(tail)
    return os.path.getsize(path)


def main(megabytes: int = 20) -> None:
    from sqlalchemy import select

    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.models import VendorEvidence, VendorRequest
    from tracker.vendors.links import ensure_link
    from werkzeug.test import EnvironBuilder

    size = megabytes * 1024 * 1024
    with fresh_app(TRACKER_DEMO_PASSWORD="bench-password-1", SECRET_KEY="bench") as app:
        app.test_cli_runner().invoke(args=["seed-demo"])
        request = db.session.scalar(select(VendorRequest).where(VendorRequest.status == "open").limit(1))
        token = ensure_link(request, SYSTEM)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "body")
            length = _body(path, size)
            with open(path, "rb") as stream:
                environ = EnvironBuilder(path=f"/respond/{token}", method="POST", input_stream=stream,
                                         content_type=f"multipart/form-data; boundary={BOUNDARY}",
                                         content_length=length).get_environ()
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                tracemalloc.start()
                started = time.perf_counter()
                status = []
                chunks = app(environ, lambda s, h, e=None: status.append(s))
                reply = b"".join(chunks)
                elapsed = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.session.expire_all()
        stored = db.session.scalar(select(VendorEvidence).where(VendorEvidence.request_id == request.id))
        assert status and status[0].startswith("303"), (status, reply[-1500:])
        assert stored is not None and stored.size == size, stored
        rss_growth = (rss_after - rss_before) * 1024  # ru_maxrss is in KiB on Linux
        print(f"upload of {megabytes} MB through the WSGI app: {status[0]}, {elapsed:.2f} s")
        print(f"python heap peak during the request: {peak / 2**20:.1f} MiB "
              f"({peak / size:.2f} x the file)")
        print(f"max RSS growth of the worker: {rss_growth / 2**20:.1f} MiB ({rss_growth / size:.2f} x the file)")
        print(f"stored: {stored.size} bytes in {(-(-stored.size // (512 * 1024)))} chunks, sha256 {stored.sha256[:16]}...")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
