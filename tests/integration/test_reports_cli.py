"""`flask report`: PDF and Excel read back by independent readers; reproducible; bad input refused whole."""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import datetime

import pytest

from tests.factories import make_obligation
from tests.report_support import pdf_reader, pdf_text, sheet_rows, small_register, workbook


@pytest.fixture
def register(app, clock):
    return small_register()


@pytest.fixture
def out(tmp_path):
    """A folder of its own for the reports (the test database lives in tmp_path)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    return folder


def _report(runner, folder, *args, name="out"):
    path = folder / name
    result = runner.invoke(args=["report", *args, "-o", str(path)])
    return result, path


def test_it_writes_a_team_pdf_naming_each_obligations_title_due_date_and_status(runner, register, out):
    result, path = _report(runner, out, "--team", "procurement", "--format", "pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text(path.read_bytes())
    for title, due in (("Verify chip locations", "2027-03-31"), ("File the certificate", "2027-01-15"),
                       ("Collect attestations", "2027-02-01")):
        assert f"{title} (" in text and due in text
    assert f"Verify chip locations (verify) — due 2027-03-31, Open" in text
    assert "our organization — Team: Procurement" in text and "As of 2026-11-29" in text
    assert "Generated 2026-11-29 12:00 UTC by command line" in text
    assert "owner@example.com" in text
    assert "acme-cert.pdf" in text and hashlib.sha256(register["file"]).hexdigest() in text
    assert "Acme Chips" in text and "Ana Lee" in text  # the vendor matrix and the request's answer
    assert "Appendix: due states" in text and "projected" in text
    reader = pdf_reader(path.read_bytes())
    assert reader.metadata.creation_date.replace(tzinfo=None) == datetime(2026, 11, 29)
    assert reader.metadata.title.startswith("Compliance report, Team: Procurement")


def test_it_writes_a_workbook_with_real_dates_filters_and_the_spec_headers(runner, register, out):
    result, path = _report(runner, out, "--team", "Procurement", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    book = workbook(path.read_bytes())
    assert book.sheetnames[:5] == ["Obligations", "History", "Evidence", "Vendors", "Requests"]
    headers = [cell.value for cell in book["Obligations"][1]]
    assert {"Title", "Team", "Owner", "Due date", "Due state", "Status"} <= set(headers)
    rows = {row["Title"]: row for row in sheet_rows(book, "Obligations")}
    assert rows["Verify chip locations"]["Due date"] == datetime(2027, 3, 31)
    assert rows["Verify chip locations"]["Owner"] == "owner@example.com"
    assert rows["Verify chip locations"]["Due state"] == "projected" and rows["File the certificate"]["Status"] == "Open"
    for name in ("Obligations", "History", "Evidence", "Vendors", "Requests"):
        assert book[name].auto_filter.ref, name
    evidence = sheet_rows(book, "Evidence")
    assert [(e["File name"], e["SHA-256"]) for e in evidence] == [
        ("acme-cert.pdf", hashlib.sha256(register["file"]).hexdigest())]
    assert isinstance(evidence[0]["Added (UTC)"], datetime)
    assert book.properties.created == datetime(2026, 11, 29)


def test_text_a_spreadsheet_could_evaluate_stays_text(runner, register, out):
    titles = ["=HYPERLINK(\"http://x.test\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)"]
    for n, title in enumerate(titles):
        make_obligation(team=register["team"], key=f"inject-{n}", title=title)
    result, path = _report(runner, out, "--team", "procurement", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    sheet = workbook(path.read_bytes())["Obligations"]
    cells = {c.value: c for c in sheet["A"][1:]}
    for title in titles:
        assert cells[title].data_type == "s" and cells[title].quotePrefix, title
    raw = path.read_bytes()
    import zipfile, io

    xml = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere


def test_the_same_register_and_as_of_day_give_the_same_bytes_and_text(runner, register, out, clock):
    clock.move_to("2026-12-02T10:00:00Z")
    first_x, x1 = _report(runner, out, "--team", "procurement", "--format", "xlsx", "--as-of", "2026-11-30",
                          name="a.xlsx")
    first_p, p1 = _report(runner, out, "--team", "procurement", "--format", "pdf", "--as-of", "2026-11-30",
                          name="a.pdf")
    clock.move_to("2026-12-05T16:30:00Z")
    second_x, x2 = _report(runner, out, "--team", "procurement", "--format", "xlsx", "--as-of", "2026-11-30",
                           name="b.xlsx")
    second_p, p2 = _report(runner, out, "--team", "procurement", "--format", "pdf", "--as-of", "2026-11-30",
                           name="b.pdf")
    assert all(r.exit_code == 0 for r in (first_x, first_p, second_x, second_p))
    assert x1.read_bytes() == x2.read_bytes()

    def without_stamp(text):  # the cover says when it was generated: the one line that differs
        return text.replace("Generated 2026-12-02 10:00 UTC", "").replace("Generated 2026-12-05 16:30 UTC", "")

    assert without_stamp(pdf_text(p1.read_bytes())) == without_stamp(pdf_text(p2.read_bytes()))
    assert pdf_reader(p2.read_bytes()).metadata.modification_date.replace(tzinfo=None) == datetime(2026, 11, 30)


@pytest.mark.parametrize(("args", "message"), [
    (["--team", "nobody", "--format", "pdf"], "no team with key or name 'nobody'"),
    (["--source", "nothing", "--format", "xlsx"], "no source with key 'nothing'"),
    (["--vendor", "ghost", "--format", "pdf"], "no vendor with key 'ghost'"),
    (["--team", "procurement", "--source", "chip-act", "--format", "pdf"], "exactly one of"),
    (["--format", "pdf"], "exactly one of"),
    (["--team", "procurement", "--format", "pdf", "--as-of", "2026-11-30"], "is in the future"),
    (["--team", "procurement", "--format", "pdf", "--as-of", "2026-11-28"], "did not exist yet"),
    (["--team", "procurement", "--format", "pdf", "--as-of", "29/11/2026"], "not a date"),
])
def test_bad_input_gets_a_message_a_non_zero_exit_and_no_file(runner, register, out, args, message):
    result, path = _report(runner, out, *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert list(out.iterdir()) == []


def test_a_file_that_cannot_be_written_is_refused_and_an_old_one_is_kept(runner, register, out):
    result, _ = _report(runner, out, "--team", "procurement", "--format", "pdf", name="missing/out.pdf")
    assert result.exit_code == 1 and "existing folder" in result.output
    (out / "keep.xlsx").write_bytes(b"old")
    result, path = _report(runner, out, "--team", "nobody", "--format", "xlsx", name="keep.xlsx")
    assert result.exit_code == 1 and path.read_bytes() == b"old"
    assert sorted(p.name for p in out.iterdir()) == ["keep.xlsx"]


def test_the_contents_give_the_page_each_section_starts_on_and_every_page_is_numbered(runner, register, out):
    result, path = _report(runner, out, "--vendor", "acme", "--format", "pdf")
    assert result.exit_code == 0, result.output
    content = path.read_bytes()
    pages = len(pdf_reader(content).pages)
    contents = re.findall(r"^[ \t]*(\S[^.\n]*?) \.{5,}[ \t]*(\d+)$", _layout_text(content, 1), re.M)
    assert [title for title, _ in contents] == ["Summary", "Timeline", "Obligations",
                                                "Deadline history, status changes and evidence", "Vendors",
                                                "Appendix: due states"]
    for title, page in contents:
        assert _layout_text(content, int(page)).lstrip().split("\n", 3)[-1].lstrip().startswith(title.split(":")[0])
    for page in range(1, pages + 1):
        assert f"Page {page}" in _layout_text(content, page)


def _layout_text(content: bytes, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


def test_a_day_before_the_scope_existed_is_refused(runner, register, out, clock):
    clock.move_to("2026-12-02T10:00:00Z")
    from tests.factories import make_team

    make_team(key="late", name="Late team")
    result, _ = _report(runner, out, "--team", "late", "--format", "xlsx", "--as-of", "2026-12-01")
    assert result.exit_code == 1 and "the team 'late' did not exist yet on 2026-12-01 (added 2026-12-02)" in result.output
    result, path = _report(runner, out, "--team", "late", "--format", "xlsx", "--as-of", "2026-12-02", name="ok")
    assert result.exit_code == 0 and path.exists()


def test_the_teams_own_evidence_is_in_the_report_as_it_stood_on_the_day(runner, register, out, clock):
    """Files and links the team attached to its obligations (tracker.evidence), with their SHA-256,
    valid-until and link; added after the as-of day, absent."""
    import io

    from tests.vendor_files import pdf_bytes
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.evidence.operations import add_file, add_link
    from tracker.models import Obligation
    from tracker.vendors.uploads import Upload

    ob = db.session.scalars(db.select(Obligation).where(Obligation.title == "File the certificate")).one()
    clock.move_to("2026-12-02T10:00:00Z")
    from tests.factories import make_user

    data, admin = pdf_bytes(), make_user(role="admin", email="auditee@example.com")
    add_file(ob, Upload("board-minutes.pdf", io.BytesIO(data), len(data)), admin, SYSTEM)
    add_link(ob, "https://docs.example.com/cert-filing", admin, SYSTEM, title="Filing receipt")
    clock.move_to("2026-12-04T10:00:00Z")
    result, path = _report(runner, out, "--team", "procurement", "--format", "xlsx", name="now.xlsx")
    assert result.exit_code == 0, result.output
    own = [e for e in sheet_rows(workbook(path.read_bytes()), "Evidence") if e["File name"] != "acme-cert.pdf"]
    assert {(e["File name"], e["SHA-256"]) for e in own} == {
        ("board-minutes.pdf", hashlib.sha256(data).hexdigest()), ("Filing receipt", None)}
    result, path = _report(runner, out, "--team", "procurement", "--format", "pdf", name="now.pdf")
    assert "board-minutes.pdf" in pdf_text(path.read_bytes()) and hashlib.sha256(data).hexdigest() in pdf_text(path.read_bytes())
    result, path = _report(runner, out, "--team", "procurement", "--format", "xlsx", "--as-of", "2026-12-01",
                           name="before.xlsx")
    assert result.exit_code == 0, result.output
    assert [e["File name"] for e in sheet_rows(workbook(path.read_bytes()), "Evidence")] == ["acme-cert.pdf"]
