"""The review's upload reproductions through the real app (review 2026-12, items 1, 4 and 5)."""

import io

import sqlalchemy as sa

from tests.factories import login, make_user
from tests.integration.test_vendor_responses import _nothing_stored, _post, setup  # noqa: F401 (fixture)
from tracker.db import db
from tracker.models import VendorEvidence
from tracker.views import respond
from tracker.vendors.uploads import MAX_FILES


def test_html_and_svg_with_markup_after_a_comment_or_paragraph_are_refused(client, setup):
    html = b"<!-- evidence -->\n<html><body><script>alert(document.domain)</script></body></html>"
    svg = b"<p>hello</p><svg onload=alert(1)>"
    for name, data in (("cert.html", html), ("logo.svg", svg), ("cert.txt", html)):
        response = _post(client, setup["token"], files=[(name, data)])
        assert response.status_code == 400, name
        assert "judged by its content" in response.get_data(as_text=True)
    assert _nothing_stored() == (0, 0, 0)


def test_a_script_is_stored_and_served_as_text_under_a_txt_name(client, setup):
    response = _post(client, setup["token"], files=[("..\\..\\evil\u202egpj.bat", b"@echo off\r\ndel C:\\x\r\n")])
    assert response.status_code == 303
    evidence = db.session.scalar(sa.select(VendorEvidence))
    assert (evidence.filename, evidence.content_type) == ("evilgpj.bat.txt", "text/plain")
    login(client, make_user(role="viewer", teams=[setup["team"]]))
    download = client.get(f"/vendors/evidence/{evidence.id}")
    assert download.headers["Content-Disposition"].endswith("filename*=UTF-8''evilgpj.bat.txt")
    assert "%E2%80%AE" not in download.headers["Content-Disposition"]


def test_a_name_too_long_for_the_column_is_shortened_keeping_its_extension(client, setup):
    response = _post(client, setup["token"], files=[("A" * 300 + ".txt", b"certified\n")])
    assert response.status_code == 303  # a 500 on PostgreSQL before: value too long for varchar(255)
    evidence = db.session.scalar(sa.select(VendorEvidence))
    assert len(evidence.filename) <= 200 and evidence.filename.endswith("A.txt")


def test_a_body_of_thousands_of_file_parts_is_refused_after_a_few(client, setup, monkeypatch):
    made = []

    def counting_factory(*args, **kwargs):  # the real spool factory, counted
        made.append(1)
        return real(*args, **kwargs)

    real = respond.capped_stream_factory
    monkeypatch.setattr(respond, "capped_stream_factory", counting_factory)
    files = [(io.BytesIO(b""), f"f{n}.txt") for n in range(3000)]
    response = client.post(f"/respond/{setup['token']}", data={"name": "Ana", "confirm": "yes", "files": files},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert f"at most {MAX_FILES} files" in response.get_data(as_text=True)
    assert len(made) <= respond.MAX_FORM_PARTS  # 3000 spools before
    assert _nothing_stored() == (0, 0, 0)


def test_eleven_files_are_refused_without_reading_any(client, setup):
    files = [(f"f{n}.txt", b"<html>" if n == 10 else b"fine\n") for n in range(MAX_FILES + 1)]
    response = _post(client, setup["token"], files=files)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and f"at most {MAX_FILES} files per submission (11 were sent)" in page
    assert "judged by its content" not in page  # the 11th file was never sniffed
