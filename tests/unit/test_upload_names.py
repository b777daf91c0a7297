"""Upload hardening without a database: markup anywhere, ZIP entry counts, safe names, extensions
from the sniffed type (review 2026-12, items 1, 4 and 5)."""

import io
import zipfile

import pytest

from tracker.vendors.filenames import MAX_NAME, safe_filename, stored_filename
from tracker.vendors.sniff import MAX_ZIP_ENTRIES, sniff



@pytest.mark.parametrize("data", [
    b"<!-- evidence -->\n<html><body><script>alert(document.domain)</script></body></html>",
    b"<p>hello</p><svg onload=alert(1)>",
    b"Certificate of origin\n" + b"ok line\n" * 20000 + b"<img src=x onerror=alert(1)>",
    b"\xef\xbb\xbf  \n<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>",
    b"plain words then <ScRiPt>alert(1)",
])
def test_markup_is_refused_wherever_it_starts(data):
    assert sniff(io.BytesIO(data), "cert.txt") is None


@pytest.mark.parametrize("data", [b"x < y and y > z\n", b"a<b\n", b"price <= 10 EUR\n", b"email: a@b.example\n"])
def test_prose_with_angle_brackets_is_still_text(data):
    assert sniff(io.BytesIO(data), "note.txt") == "text/plain"


def _office_zip(extra_entries: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(extra_entries):
            archive.writestr(f"e/{n}", b"")
    return out.getvalue()


def test_a_zip_with_too_many_entries_is_refused_before_it_is_parsed():
    assert sniff(io.BytesIO(_office_zip(10)), "a.docx") is not None
    assert sniff(io.BytesIO(_office_zip(MAX_ZIP_ENTRIES + 1)), "a.docx") is None


@pytest.mark.parametrize("raw, content_type, expected", [
    ("..\\..\\evil\u202egpj.bat", "text/plain", "evilgpj.bat.txt"),
    ("cert.html", "text/plain", "cert.html.txt"),
    ("logo.svg", "text/plain", "logo.svg.txt"),
    ("/etc/passwd", "text/plain", "passwd.txt"),
    ("report.PDF", "application/pdf", "report.PDF"),
    ("scan.jpeg", "image/jpeg", "scan.jpeg"),
    ("renamed.txt", "application/pdf", "renamed.txt.pdf"),
    ("list.csv", "text/csv", "list.csv"),
    ("Zertifikat für\u200b Lieferkette.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Zertifikat für Lieferkette.docx"),
    ("...", "text/plain", "file.txt"),
    ("a\r\nb\x00.txt", "text/plain", "ab.txt"),
])
def test_the_stored_name_is_safe_and_ends_in_the_sniffed_types_extension(raw, content_type, expected):
    assert stored_filename(raw, content_type) == expected


def test_a_long_name_keeps_its_extension_and_fits():
    name = stored_filename("A" * 300 + ".txt", "text/plain")
    assert len(name) == MAX_NAME and name.endswith("A.txt")
    assert len(stored_filename("B" * 300 + ".exe", "application/pdf")) <= MAX_NAME
    assert stored_filename("B" * 300 + ".exe", "application/pdf").endswith(".pdf")
    assert safe_filename("x" * 1000) == "x" * MAX_NAME
