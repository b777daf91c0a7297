"""Judging uploads by their bytes: the accepted kinds, ZIPs that are not OOXML, HTML named .pdf."""

import io

import pytest

from tracker.vendors.sniff import sniff
from tests.vendor_files import HTML_PAGE, docx_bytes, pdf_bytes, plain_zip_bytes, png_bytes


@pytest.mark.parametrize("data, name, expected", [
    (pdf_bytes(), "cert.pdf", "application/pdf"),
    (png_bytes(), "photo.png", "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64, "scan.jpg", "image/jpeg"),
    (docx_bytes(), "attestation.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("vendor,chips\nacme,12\n".encode(), "list.csv", "text/csv"),
    ("Zertifikat für Lieferkette\n".encode(), "note.txt", "text/plain"),
    (pdf_bytes(), "renamed.txt", "application/pdf"),
])
def test_accepted_kinds_are_judged_by_their_bytes(data, name, expected):
    assert sniff(io.BytesIO(data), name) == expected


@pytest.mark.parametrize("data, name", [
    (HTML_PAGE, "certificate.pdf"),
    (b"  <html><body>hi</body></html>", "a.txt"),
    (plain_zip_bytes(), "report.docx"),
    (b"PK\x03\x04 broken zip", "report.xlsx"),
    (b"text with a \x00 NUL", "a.txt"),
    ("caf\u00e9".encode("latin-1"), "a.csv"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a.png"),
    (b"", "empty.pdf"),
])
def test_other_bytes_are_refused_whatever_their_name(data, name):
    assert sniff(io.BytesIO(data), name) is None
