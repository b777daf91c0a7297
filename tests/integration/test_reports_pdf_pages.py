"""The PDF's pages read back one by one with poppler: "Page N of M" everywhere, the running head, and
the same document whether its parts were laid out here or by worker processes."""

from __future__ import annotations

import re
import subprocess

import pytest

import tracker.reports.pdf as pdf
from tests.report_support import pdf_reader, pdf_text, small_register
from tracker.reports.pdf_layout import LayoutFailed, Layouts


@pytest.fixture
def register(app, clock):
    return small_register()


def _report(runner, tmp_path, *args, name="report.pdf") -> bytes:
    path = tmp_path / name
    result = runner.invoke(args=["report", *args, "--format", "pdf", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def _page_text(content: bytes, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


def _numbers(content: bytes, page: int) -> list[tuple[int, int]]:
    return [(int(n), int(m)) for n, m in re.findall(r"Page (\d+) of (\d+)", _page_text(content, page))]


def test_every_page_reads_page_n_of_m_with_m_the_whole_documents_page_count(runner, register, tmp_path):
    content = _report(runner, tmp_path, "--vendor", "acme")
    pages = len(pdf_reader(content).pages)
    assert pages >= 5  # cover, summary, timeline, table, details, vendors: parts laid out apart
    for page in (1, 2, pages // 2, pages - 1, pages):
        assert _numbers(content, page) == [(page, pages)]


def test_the_running_head_is_on_every_page_but_the_cover(runner, register, tmp_path):
    content = _report(runner, tmp_path, "--team", "procurement")
    pages = len(pdf_reader(content).pages)
    first_lines = [_page_text(content, page).lstrip().split("\n", 1)[0] for page in range(1, pages + 1)]
    assert first_lines[0].strip() == "Compliance report"
    for line in first_lines[1:]:
        assert re.fullmatch(r"our organization — Team: Procurement +As of 2026-11-29", line.strip())


def test_a_report_laid_out_by_worker_processes_is_the_same_document(runner, register, tmp_path, monkeypatch):
    """A large report's parts are laid out by one worker process a core; small slices make the
    three-obligation register a report of many parts, laid out here, then by two workers."""
    monkeypatch.setattr(pdf, "CHUNK", 1)
    monkeypatch.setattr(pdf, "available_cores", lambda: 1)
    here = _report(runner, tmp_path, "--team", "procurement", name="here.pdf")
    monkeypatch.setattr(pdf, "available_cores", lambda: 2)
    by_workers = _report(runner, tmp_path, "--team", "procurement", name="workers.pdf")
    assert pdf_text(by_workers) == pdf_text(here)
    pages = len(pdf_reader(by_workers).pages)
    assert pages >= 9  # summary, timeline, three table slices, three detail slices, appendix, cover
    assert [_numbers(by_workers, page) for page in range(1, pages + 1)] == [[(n, pages)] for n in range(1, pages + 1)]
    contents = dict((title, int(page)) for title, page in
                    re.findall(r"^[ \t]*(\S[^.\n]*?) \.{5,}[ \t]*(\d+)$", _page_text(by_workers, 1), re.M))
    assert _page_text(by_workers, contents["Obligations"]).lstrip().split("\n", 3)[-1].lstrip().startswith("Obligations")


def test_a_worker_that_dies_fails_the_report_with_a_clear_error_instead_of_hanging():
    with pytest.raises(LayoutFailed, match="a PDF layout worker ended"):
        with Layouts(2) as layouts:
            assert len(layouts.map(["<p>one</p>", "<p>two</p>"])) == 2
            for worker in layouts._started:
                worker.process.kill()
            layouts.map(["<p>three</p>"])
