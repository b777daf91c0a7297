"""What an uploaded file is, judged from its bytes (never its name or the browser's word).

Pure: reads a seekable binary file object, imports no Flask and no database.
PDF, PNG and JPEG are recognised by the maintained `filetype` library's
signatures. DOCX and XLSX are ZIP containers, so a ZIP signature is only the
start: the archive must open and hold the OOXML parts of a Word document
(`word/document.xml`) or an Excel workbook (`xl/workbook.xml`) next to
`[Content_Types].xml`. Anything else is accepted only as text: valid UTF-8
without NUL bytes (CSV when named .csv, else plain text). An HTML page or
an SVG image is text too, but it is refused wherever its markup starts (a
comment or a `<p>` first does not hide it): a browser would run it if it were
ever opened, and no certification needs one.

A ZIP's end-of-central-directory record is read before `zipfile` parses the
archive: more than MAX_ZIP_ENTRIES entries (or a ZIP64 count) is refused
without building a list of half a million names.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from typing import BinaryIO

import filetype

ACCEPTED = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "text/csv": "CSV",
    "text/plain": "plain text",
}
ACCEPTED_WORDS = "PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text"
_SIGNATURE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
_OOXML_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_HEAD = 8192
_READ = 256 * 1024
# Markup anywhere in a "text" file makes it a web page (or an SVG image): refused. A tag is `<`
# then a name and `>` (with attributes or `/`), or a comment, a doctype, a processing instruction
# or CDATA; "x < y" and "a<b" in prose are not tags.
_MARKUP = re.compile(rb"<(?:[a-z][a-z0-9:-]*(?:[\s/][^<>]*)?>|/[a-z][a-z0-9:-]*\s*>|!--|!doctype|!\[cdata\[|\?xml"
                     rb"|script|svg|html|iframe|object|embed|math)", re.IGNORECASE)
_OVERLAP = 1024  # a tag split across two slices is still seen
# An office document has tens to a few hundred entries; a ZIP with more is not one we take.
MAX_ZIP_ENTRIES = 5000
_EOCD = b"PK\x05\x06"


def _zip_entries(stream: BinaryIO) -> int | None:
    """The entry count in the end-of-central-directory record, None when there is none (not a ZIP)."""
    end = stream.seek(0, 2)
    tail_start = max(0, end - (22 + 65535))  # the record, after a comment of at most 64 KB
    stream.seek(tail_start)
    tail = stream.read(end - tail_start)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return None
    return int.from_bytes(tail[at + 10:at + 12], "little")


def _ooxml(stream: BinaryIO) -> str | None:
    entries = _zip_entries(stream)
    if entries is None or entries > MAX_ZIP_ENTRIES or entries == 0xFFFF:  # 0xFFFF: a ZIP64 count
        return None
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for part, content_type in _OOXML_PARTS.items():
        if part in names:
            return content_type
    return None


def _is_text(stream: BinaryIO, head: bytes) -> bool:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    previous = b""
    while chunk := stream.read(_READ):
        if b"\x00" in chunk or _MARKUP.search(previous + chunk):
            return False
        previous = chunk[-_OVERLAP:]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(stream: BinaryIO, filename: str = "") -> str | None:
    """The accepted content type of the file's bytes, or None when it is not one we take.

    The stream is read from the start (in slices; never whole) and left at an
    unspecified position.
    """
    stream.seek(0)
    head = stream.read(_HEAD)
    if not head:
        return None
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime in _SIGNATURE_TYPES:
        return mime
    if mime == "application/zip" or head[:4] == b"PK\x03\x04" or (mime or "").startswith("application/vnd.openxml"):
        return _ooxml(stream)
    if mime is not None:
        return None  # some other binary format we do not take
    if _is_text(stream, head):
        return "text/csv" if filename.lower().endswith(".csv") else "text/plain"
    return None
