"""A response POST of 150,000 empty file parts, and a "DOCX" of 545,000 ZIP entries (review 2026-12, item 4).

Prints the time and the Python heap peak (tracemalloc) of each refusal. Before issue 23 the POST
took 12.8 s and 225 MB (every part parsed and spooled), the ZIP 2.96 s and 200 MB (the central
directory parsed whole).

Run: python benchmarks/bench_form_parts.py [--parts 150000] [--entries 545000]
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc
import zipfile
from datetime import date

from _support import fresh_app


def multipart(parts: int) -> tuple[bytes, str]:
    boundary = "bench-boundary"
    chunks = [f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nAna\r\n'.encode()]
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n\r\n").encode()
    chunks.extend(part for _ in range(parts))
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def many_entries(entries: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(entries):
            archive.writestr(f"{n}", b"")
    return out.getvalue()


def measured(function):
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=150_000)
    parser.add_argument("--entries", type=int, default=545_000)
    args = parser.parse_args()
    from tracker.audit import SYSTEM
    from tracker.people.operations import create_team
    from tracker.register.obligations import ObligationInput, create_obligation
    from tracker.vendors.links import ensure_link
    from tracker.vendors.operations import create_vendor
    from tracker.vendors.requests import normalized_scope, set_scope
    from tracker.vendors.sniff import sniff

    with fresh_app(SECRET_KEY="bench") as app:
        team = create_team("t", "Team", "UTC", SYSTEM)
        create_vendor(SYSTEM, key="acme", name="Acme", team_id=team.id, categories=["gpu_hardware"],
                      contacts=[{"name": "Ana", "email": "ana@acme.example", "role": "primary"}])
        ob = create_obligation(ObligationInput(key="ob", title="Audit", team_id=team.id, rule="fixed",
                                               rule_date=date(2027, 1, 15)), SYSTEM)
        set_scope(ob, normalized_scope(keys=["acme"]), SYSTEM)
        from tracker.models import VendorRequest
        from tracker.db import db

        token = ensure_link(db.session.query(VendorRequest).one(), SYSTEM)
        body, content_type = multipart(args.parts)
        client = app.test_client()
        response, elapsed, peak = measured(lambda: client.post(f"/respond/{token}", data=body,
                                                               content_type=content_type))
        print(f"{args.parts:,} empty file parts ({len(body) / 1e6:.1f} MB): HTTP {response.status_code} "
              f"in {elapsed:.2f} s, heap peak {peak:.1f} MiB")
    data = many_entries(args.entries)
    kind, elapsed, peak = measured(lambda: sniff(io.BytesIO(data), "a.docx"))
    print(f"a 'docx' of {args.entries:,} ZIP entries ({len(data) / 1e6:.1f} MB): {kind or 'refused'} "
          f"in {elapsed * 1000:.1f} ms, heap peak {peak:.1f} MiB")


if __name__ == "__main__":
    main()
