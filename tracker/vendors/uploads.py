"""Receiving uploaded files as a stream: a per-file cap while the body is parsed, then chunked storage.

Werkzeug's form parser writes each file into the container our stream
factory returns, in slices of about 64 KB. `CappedSpool` keeps the first
MAX_FILE_BYTES + 1 bytes (in memory up to SPOOL_MEMORY, then in a temporary
file) and only counts the rest, so a 200 MB file costs 25 MB of disk and no
more memory than a slice, and the rest of the form (Name, Title) is still
parsed and can be shown again. Storing reads the spool back in CHUNK_BYTES
slices, hashing with SHA-256 as it goes: a file is never held whole.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import insert

from tracker.db import db
from tracker.models import VendorEvidence, VendorEvidenceChunk

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES = 10
# The largest body the response form takes: ten full files and the fields.
BODY_LIMIT = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
SPOOL_MEMORY = 512 * 1024
CHUNK_BYTES = 512 * 1024


class CappedSpool:
    """A write-then-read file that keeps at most `limit` + 1 bytes and counts everything written."""

    def __init__(self, limit: int = MAX_FILE_BYTES):
        self.limit = limit
        self.received = 0
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)

    @property
    def overflow(self) -> bool:
        return self.received > self.limit

    def write(self, data: bytes) -> int:
        room = self.limit + 1 - min(self.received, self.limit + 1)
        if room > 0:
            self._file.write(data[:room])
        self.received += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed


def capped_stream_factory(total_content_length=None, content_type=None, filename=None,
                          content_length=None) -> CappedSpool:
    """Werkzeug's stream_factory signature: one capped spool per uploaded file."""
    return CappedSpool()


@dataclass
class Upload:
    """One file of a submission as received: its name as sent, and its bytes (capped)."""

    filename: str
    stream: BinaryIO
    received: int  # bytes the client sent for this file (more than kept when over the limit)


def store_file(request_id: int, submission_id: str, upload: Upload, content_type: str, valid_until=None,
               filename: str | None = None) -> VendorEvidence:
    """Insert one evidence row and its chunks, hashing as it reads; the caller owns the transaction.

    Each chunk is inserted with a Core statement and not kept by the session,
    so memory holds one chunk at a time whatever the file's size.
    """
    evidence = VendorEvidence(request_id=request_id, submission_id=submission_id,
                              filename=filename if filename is not None else upload.filename,
                              content_type=content_type, size=0, sha256="", valid_until=valid_until)
    db.session.add(evidence)
    db.session.flush()
    evidence.size, evidence.sha256 = write_chunks(VendorEvidenceChunk, evidence.id, upload.stream)
    return evidence


def write_chunks(chunk_model, evidence_id: int, stream: BinaryIO) -> tuple[int, str]:
    """Store `stream` as numbered chunks of `chunk_model`, hashing as it reads; (size, SHA-256 hex).

    Shared by vendor evidence and our own obligations' evidence (tracker.evidence).
    """
    hasher, size, seq = hashlib.sha256(), 0, 0
    stream.seek(0)
    while chunk := stream.read(CHUNK_BYTES):
        hasher.update(chunk)
        size += len(chunk)
        db.session.execute(insert(chunk_model), {"evidence_id": evidence_id, "seq": seq, "data": chunk})
        seq += 1
        del chunk
    return size, hasher.hexdigest()


def chunk_at(evidence_id: int, seq: int, chunk_model=VendorEvidenceChunk) -> bytes | None:
    """One stored chunk of an evidence file (None past the last)."""
    from sqlalchemy import select

    data = db.session.scalar(select(chunk_model.data).where(
        chunk_model.evidence_id == evidence_id, chunk_model.seq == seq))
    return None if data is None else bytes(data)
