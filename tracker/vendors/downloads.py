"""Serving an evidence file to a signed-in user (or an API token holder): always as an attachment.

The filename is reduced to safe characters for `filename=` and given in full
as RFC 5987 `filename*`; the header is checked after it is built (one line,
nothing that could end it early). The content type is the one sniffed from
the bytes at upload; with `X-Content-Type-Options: nosniff` (set on every
response) and `attachment`, no browser renders it in our origin.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask, Response, current_app

from tracker.models import VendorEvidence
from tracker.vendors.filenames import stored_filename
from tracker.vendors.uploads import chunk_at

_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def content_disposition(filename: str) -> str:
    """`attachment; filename="..."; filename*=UTF-8''...`, checked."""
    plain = _ASCII_SAFE.sub("_", filename).strip(" .") or "evidence"
    value = f"attachment; filename=\"{plain[:150]}\"; filename*=UTF-8''{quote(filename[:200], safe='')}"
    if any(ch in value for ch in "\r\n\x00") or value.count('"') != 2 or not value.isascii():
        raise ValueError("unsafe Content-Disposition")
    return value


def _streamed(app: Flask, evidence_id: int, chunk_model=None):
    """Chunks read after the view returned: each read in an app context (a session) of its own, which
    is closed before the chunk is handed on, so no transaction stays open while a slow client reads."""
    seq = 0
    while True:
        with app.app_context():
            data = chunk_at(evidence_id, seq) if chunk_model is None else chunk_at(evidence_id, seq, chunk_model)
        if data is None:
            return
        yield data
        seq += 1


def evidence_response(evidence: VendorEvidence, chunk_model=None) -> Response:
    """The file's bytes streamed chunk by chunk from the database (vendor evidence, or `chunk_model`'s)."""
    response = Response(_streamed(current_app._get_current_object(), evidence.id, chunk_model), mimetype=evidence.content_type or
                        "application/octet-stream")
    if response.mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{evidence.content_type}; charset=utf-8"
    # Rows stored before names were made safe get the same treatment on the way out.
    response.headers["Content-Disposition"] = content_disposition(stored_filename(evidence.filename,
                                                                                  evidence.content_type))
    response.headers["Content-Length"] = str(evidence.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
