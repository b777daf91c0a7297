"""What an uploaded file is, judged from its bytes (never its name or the browser's word).

Pure: reads a seekable binary file object, imports no Flask and no database.
PDF, PNG and JPEG are recognised by the maintained `filetype` library's
signatures. DOCX and XLSX are ZIP containers, so a ZIP signature is only the
start: the archive must open and hold the OOXML parts of a Word document
(`word/document.xml`) or an Excel workbook (`xl/workbook.xml`) next to
`[Content_Types].xml`. Anything else is accepted only as text: valid UTF-8
without NUL bytes (CSV when named .csv, else plain text). An HTML page is
text too, but it is refused: a browser would run it if it were ever served
inline, and no certification needs one.
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
# Markup that makes a "text" file a web page (or an SVG image): refused.
_MARKUP = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<script|<svg|<\?xml)", re.IGNORECASE)


def _ooxml(stream: BinaryIO) -> str | None:
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
    if _MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
        return False
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := stream.read(_READ):
        if b"\x00" in chunk:
            return False
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
