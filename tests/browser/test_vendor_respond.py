"""The response page in Chromium: attest and upload real files, the receipt, read-only after; the upload
limits and type sniffing with real files (nothing stored, typed text kept); revoked and replaced links."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import VendorAttestation, VendorEvidence, VendorRequest
from tracker.vendors import links
from tracker.vendors.uploads import MAX_FILE_BYTES
from tests.browser.conftest import served_app
from tests.vendor_files import HTML_PAGE, pdf_bytes, png_bytes


@pytest.fixture
def served(database_template, tmp_path):
    """The demo on a live server, and its app (to make links and read what was stored)."""
    with served_app(database_template, tmp_path) as (base, app):
        yield base, app


def _open_request(app) -> tuple[int, str]:
    with app.app_context():
        request = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.status == "open")
                                    .order_by(VendorRequest.id))
        token = links.ensure_link(request, SYSTEM)
        request_id = request.id
        db.session.remove()
    return request_id, token


def _stored(app, request_id: int) -> tuple[int, int, str]:
    with app.app_context():
        counts = (db.session.scalar(sa.select(sa.func.count()).select_from(VendorEvidence)
                                    .where(VendorEvidence.request_id == request_id)),
                  db.session.scalar(sa.select(sa.func.count()).select_from(VendorAttestation)
                                    .where(VendorAttestation.request_id == request_id)),
                  db.session.get(VendorRequest, request_id).status)
        db.session.remove()
    return counts


@pytest.fixture
def tab(browser, served):
    context = browser.new_context(base_url=served[0])
    context.set_default_timeout(20000)
    outside = []
    page = context.new_page()
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(served[0]) else None)
    yield page, outside
    context.close()


def test_a_contact_attests_uploads_two_files_and_gets_a_receipt(tab, served, tmp_path):
    page, outside = tab
    request_id, token = _open_request(served[1])
    (tmp_path / "certificate.pdf").write_bytes(pdf_bytes("Location verified"))
    (tmp_path / "site-photo.png").write_bytes(png_bytes(16, 12))
    response = page.goto(f"/respond/{token}")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.get_by_text("What is asked, by when, and why").is_visible()
    page.get_by_label("Name").fill("Ana Lee")
    page.get_by_label("Title").fill("Head of Trade Compliance")
    page.get_by_label("Files").set_input_files([tmp_path / "certificate.pdf", tmp_path / "site-photo.png"])
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/respond/{token}/receipt")
    files = page.locator("#received-files").inner_text()
    assert "certificate.pdf (application/pdf" in files and "site-photo.png (image/png" in files
    assert "Ana Lee, Head of Trade Compliance" in page.locator("#signer").inner_text()
    assert _stored(served[1], request_id) == (2, 1, "submitted")
    page.goto(f"/respond/{token}")
    assert page.locator("#read-only").is_visible()
    assert page.get_by_role("button", name="Submit").count() == 0
    assert "certificate.pdf" in page.locator("#submissions").inner_text()
    assert outside == []  # nothing loaded from other sites


@pytest.mark.parametrize("name, content, confirm, words", [
    ("huge.txt", None, True, "“huge.txt” is larger than 25 MB"),
    ("invoice.pdf", HTML_PAGE, True, "“invoice.pdf” is not a PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text file"),
    ("empty.pdf", b"", True, "“empty.pdf” is empty"),
    ("fine.pdf", None, False, "tick “I confirm” to sign the statement"),
])
def test_refused_submissions_name_the_problem_store_nothing_and_keep_the_typing(tab, served, tmp_path, name,
                                                                                content, confirm, words):
    page, _ = tab
    request_id, token = _open_request(served[1])
    path = tmp_path / name
    if name == "huge.txt":
        with path.open("wb") as out:
            out.truncate(MAX_FILE_BYTES + 1024)  # 25 MB and a bit of NUL-free text would also do; size decides first
    else:
        path.write_bytes(pdf_bytes() if content is None else content)
    page.goto(f"/respond/{token}")
    page.get_by_label("Name").fill("Ana Lee")
    page.get_by_label("Title").fill("CISO")
    page.get_by_label("Files").set_input_files([path])
    if confirm:
        page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("#form-errors")
    assert words in page.locator("#form-errors").inner_text()
    assert page.get_by_label("Name").input_value() == "Ana Lee"
    assert page.get_by_label("Title").input_value() == "CISO"
    assert _stored(served[1], request_id) == (0, 0, "open")


def test_revoked_and_replaced_links_answer_410(tab, served):
    page, _ = tab
    request_id, token = _open_request(served[1])
    with served[1].app_context():
        new = links.replace_link(db.session.get(VendorRequest, request_id), SYSTEM)
        db.session.remove()
    response = page.goto(f"/respond/{token}")
    assert response.status == 410
    assert "A newer link may have been sent" in page.content()
    assert page.goto(f"/respond/{new}").status == 200
    with served[1].app_context():
        links.revoke_links(db.session.get(VendorRequest, request_id), SYSTEM)
        db.session.remove()
    assert page.goto(f"/respond/{new}").status == 410
    assert page.goto("/respond/" + "x" * 43).status == 404
