"""Laying out HTML documents with WeasyPrint, in this process or in worker processes.

A large report is laid out as many independent documents (tracker.reports.pdf).
WeasyPrint is pure Python on one core, so the documents of a large report are
laid out in parallel, one worker process a core; a small report (a few
documents) stays in this process, which costs no start-up.

A worker is this file run as a script by the same Python (`python -I
pdf_layout.py`), never a fork: a web server's process may hold threads and
connections that a fork would copy mid-use. As a script it imports WeasyPrint and
nothing of the tracker: the package's Flask, SQLAlchemy and Alembic would cost
each worker about 45 MB and 0.7 s of CPU, and the memory budget of a large report
(issue 26: the whole process tree under 400 MB) has no room for them. A worker
reads pickled HTML documents from its stdin and writes pickled results to its
stdout until its stdin closes. This file therefore imports only the standard
library at the top.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

MAX_WORKERS = 4  # each worker holds WeasyPrint (~55 MB) and one document's laid-out pages (~1 MB a page)


@dataclass(frozen=True)
class LaidOut:
    """One document as PDF: its bytes, its page count and the page index (from 0) of each element id."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


class LayoutFailed(RuntimeError):
    """A worker could not lay out a document, or ended."""


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"reports fetch nothing ({url[:60]})")


def _lay_out(html: str) -> tuple[bytes, int, dict[str, int]]:
    from weasyprint import HTML  # heavy (Pango, fonts): loaded when a PDF is asked for

    document = HTML(string=html, url_fetcher=_refuse_fetch).render()
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    return document.write_pdf(), len(document.pages), anchors


def lay_out(html: str) -> LaidOut:
    """Lay out `html` here and write it as PDF. Nothing is fetched: every resource URL is refused."""
    return LaidOut(*_lay_out(html))


def available_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Worker:
    """One worker process; one thread at a time talks to it."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def lay_out(self, html: str) -> LaidOut:
        try:
            pickle.dump(html, self.process.stdin)
            self.process.stdin.flush()
            outcome, value = pickle.load(self.process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            raise LayoutFailed(f"a PDF layout worker ended (exit status {self.process.poll()})") from None
        if outcome != "ok":
            raise LayoutFailed(value)
        return LaidOut(*value)

    def close(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            self.process.stdin.close()  # the worker's loop ends at the end of its input
        self.process.wait()
        self.process.stdout.close()


class Layouts:
    """Lays out documents, results in the order given: in this process when `workers` is 1,
    else in `workers` worker processes kept for the `with` block (a report lays out twice:
    its parts, then the cover and the page furniture, which need the page count)."""

    def __init__(self, workers: int):
        self.workers = max(1, min(workers, MAX_WORKERS))
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._started: list[_Worker] = []

    def __enter__(self) -> Layouts:
        if self.workers > 1:
            self._started = [_Worker() for _ in range(self.workers)]
            for worker in self._started:
                self._idle.put(worker)
        return self

    def __exit__(self, error_type, *exc) -> None:
        for worker in self._started:
            worker.close(kill=error_type is not None)
        self._started = []

    def _on_a_worker(self, html: str) -> LaidOut:
        worker = self._idle.get()
        try:
            return worker.lay_out(html)
        finally:
            self._idle.put(worker)

    def map(self, htmls: list[str]) -> list[LaidOut]:
        """Each document laid out."""
        if not self._started:
            return [lay_out(html) for html in htmls]
        threads = ThreadPoolExecutor(self.workers)  # threads only wait on the workers' pipes
        try:
            return list(threads.map(self._on_a_worker, htmls))
        finally:
            threads.shutdown(cancel_futures=True)  # after a failure, lay out nothing more


def _serve(documents, results) -> None:
    """A worker's loop: a pickled document in, ("ok", (pdf, pages, anchors)) or ("error", why) out."""
    while True:
        try:
            html = pickle.load(documents)
        except EOFError:
            return
        try:
            outcome = ("ok", _lay_out(html))
        except Exception as error:  # reported to the parent, which raises it
            outcome = ("error", f"{type(error).__name__}: {error}")
        pickle.dump(outcome, results)
        results.flush()


if __name__ == "__main__":
    # Only the pipe carries results: anything a library prints goes to stderr.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, results)
