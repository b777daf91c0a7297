"""A local replay of Congress.gov, the Federal Register and Open States (never the network).

A real HTTP server on loopback (werkzeug, threaded) answers in each provider's
documented shape from canned files under tests/fixtures/regulators/<provider>/, and can
be told to misbehave. Tests, the watch service's tests and the benchmarks share it.

In a test module (or a conftest), import the fixture and point the providers at it::

    from tests.regulator_replay import regulator_replay  # noqa: F401  (the fixture)
    from tracker.watches.providers import get_provider

    def test_enactment(regulator_replay):
        replay = regulator_replay
        provider = get_provider("congress", replay.config(), sleep=replay.sleep)
        replay.use("congress/119-hr-3447", "introduced")      # poll 1: in committee
        first = provider.fetch("bill", "119-hr-3447")
        replay.use("congress/119-hr-3447", "default")         # poll 2: became law
        second = provider.fetch("bill", "119-hr-3447")
        assert replay.count("congress") == 2

Outside pytest (a benchmark): ``with RegulatorReplay() as replay: ...``.

Items and variants (directory per item, one sub-directory per variant; a file missing
from a variant is read from `default/`):

- ``congress/119-hr-3447``: ``introduced`` (introduced, reported by committee) and
  ``default`` (passed both chambers, signed, "Became Public Law No: 119-52"),
  every executive step reported by both the House and the Library of Congress.
- ``congress/119-s-1001``: duplicated actions and two "Became Public Law" dates.
- ``congress/118-hr-2670``: three pages of actions (``pagination.next``); variant
  ``foreign-next`` has a paging link to another host, ``loop`` a link back to itself.
- ``federal_register/documents/<number>``: 2026-01234 (interim final rule),
  2026-05678 (the rule delaying its effective date), 2026-02222 (effective "30 days
  after publication", ``effective_on`` null).
- ``federal_register/dockets/BIS-2026-0001``: two pages (``next_page_url``): proposed rule,
  interim final rule, a correction and (default) the delay; ``before-delay`` without it.
  An unknown docket answers with no ``results``.
- ``openstates/ca/20252026/SB53``: ``before-signature`` and the default (signed,
  chaptered, the chaptering reported twice); ``openstates/ca/20232024/SB1047``: vetoed;
  ``openstates/search``: a two-page Open States list (page/max_page).

Misbehaviour, for the next `times` requests (None: until `clear()`), optionally of one
provider only and after letting `after` requests through (a later page):
``replay.fail(mode, times=1, provider="congress", after=0, **options)`` with mode

- ``"html"``: an HTML block page with status 200 (``content_type=`` to mislabel it);
  ``"wrong_type"``: text/plain, 200;
- ``"truncated"``: the real answer cut in half, as application/json, 200;
- ``"status"``: ``status=500`` (default) with a JSON error body;
- ``"429"``: status 429 with ``retry_after="2"`` (seconds) or ``retry_after="date:2"``
  (an HTTP date two seconds ahead);
- ``"slow"``: wait ``delay`` seconds (default 2) before answering normally;
- ``"redirect"``: 302 to ``location``.

Keys: Congress.gov wants ``X-Api-Key`` (or ``api_key=``) equal to ``CONGRESS_KEY``,
else 403 ``API_KEY_MISSING``/``API_KEY_INVALID``; Open States ``X-API-KEY`` (or
``apikey=``) equal to ``OPENSTATES_KEY``, else 403/401 with a ``detail``. Every request
is recorded in ``replay.requests`` (provider, path, query, headers); ``replay.sleep``
records waits without waiting (pass it as the providers' ``sleep``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

FIXTURES = Path(__file__).parent / "fixtures" / "regulators"
CONGRESS_KEY = "replay-congress-key-4f1c2a"
OPENSTATES_KEY = "replay-openstates-key-9b2e7d"
PREFIXES = {"congress": "/congress/v3", "federal_register": "/federal-register/api/v1", "openstates": "/openstates"}
BLOCK_PAGE = ("<!DOCTYPE html><html><head><title>Request Rejected</title></head><body><h1>Request Rejected"
              "</h1><p>The requested URL was rejected. Please consult with your administrator.</p></body></html>")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the requests are recorded instead
        pass


@dataclass
class Recorded:
    provider: str
    path: str
    query: dict
    headers: dict


@dataclass
class Failure:
    mode: str
    times: int | None
    provider: str | None
    after: int = 0
    options: dict = field(default_factory=dict)


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


class RegulatorReplay:
    """The replay server; see the module docstring."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.waits: list[float] = []
        self._variants: dict[str, str] = {}
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    # -- control --------------------------------------------------------------

    def config(self, **overrides) -> dict:
        """Settings pointing every provider here, with working keys; `NAME=None` drops one."""
        config = {"TRACKER_BASE_URL": "https://tracker.example.test",
                  "TRACKER_CONGRESS_API_URL": self.url + PREFIXES["congress"],
                  "TRACKER_CONGRESS_API_KEY": CONGRESS_KEY,
                  "TRACKER_FEDERAL_REGISTER_API_URL": self.url + PREFIXES["federal_register"],
                  "TRACKER_OPENSTATES_API_URL": self.url + PREFIXES["openstates"],
                  "TRACKER_OPENSTATES_API_KEY": OPENSTATES_KEY}
        config.update(overrides)
        return {key: value for key, value in config.items() if value is not None}

    def use(self, item: str, variant: str) -> None:
        """Serve `variant` of `item` (a directory under the fixtures, e.g. "congress/119-hr-3447")."""
        if not (FIXTURES / item / variant).is_dir():
            raise ValueError(f"no variant {variant!r} of {item!r}")
        self._variants[item] = variant

    def fail(self, mode: str, *, times: int | None = 1, provider: str | None = None, after: int = 0,
             **options) -> None:
        """Misbehave on the next `times` requests (of `provider`, when given), once `after` went through."""
        with self._lock:
            self._failures.append(Failure(mode, times, provider, after, options))

    def clear(self) -> None:
        """Forget variants, failures, recorded requests and waits."""
        with self._lock:
            self._variants.clear()
            self._failures.clear()
            self.requests.clear()
            self.waits.clear()

    def sleep(self, seconds: float) -> None:
        """A `sleep` for the providers that records the wait instead of waiting."""
        self.waits.append(seconds)

    def count(self, provider: str | None = None) -> int:
        """Requests received (of one provider)."""
        return sum(1 for r in self.requests if provider in (None, r.provider))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RegulatorReplay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- serving --------------------------------------------------------------

    def _file(self, item: str, name: str) -> dict | None:
        for variant in (self._variants.get(item, "default"), "default"):
            path = FIXTURES / item / variant / name
            if path.is_file():
                return json.loads(path.read_text(encoding="utf-8").replace("{replay}", self.url))
        return None

    def _take_failure(self, provider: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.provider in (None, provider) and failure.times != 0:
                    if failure.after > 0:
                        failure.after -= 1
                        return None
                    if failure.times is not None:
                        failure.times -= 1
                    return failure
        return None

    def _app(self, environ, start_response):
        request = Request(environ)
        provider = next((name for name, prefix in PREFIXES.items() if request.path.startswith(prefix + "/")), "")
        with self._lock:
            self.requests.append(Recorded(provider, request.path, request.args.to_dict(flat=False),
                                          dict(request.headers)))
        failure = self._take_failure(provider) if provider else None
        response = self._misbehave(failure, request, provider) if failure else None
        if response is None:
            response = self._answer(request, provider)
        return response(environ, start_response)

    def _misbehave(self, failure: Failure, request: Request, provider: str) -> Response | None:
        options = failure.options
        if failure.mode == "html":
            return Response(BLOCK_PAGE, status=200,
                            content_type=options.get("content_type", "text/html; charset=utf-8"))
        if failure.mode == "wrong_type":
            return Response("OK", status=200, content_type="text/plain")
        if failure.mode == "truncated":
            whole = self._answer(request, provider).get_data()
            return Response(whole[: max(len(whole) // 2, 1)], status=200, content_type="application/json")
        if failure.mode == "status":
            status = options.get("status", 500)
            return _json({"error": {"code": "INTERNAL", "message": "Internal Server Error"}}, status)
        if failure.mode == "429":
            value = str(options.get("retry_after", "2"))
            if value.startswith("date:"):
                when = datetime.now(timezone.utc) + timedelta(seconds=float(value[5:]))
                value = format_datetime(when, usegmt=True)
            return _json({"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit."}},
                         429, {"Retry-After": value})
        if failure.mode == "slow":
            time.sleep(options.get("delay", 2.0))
            return None
        if failure.mode == "redirect":
            return Response("", status=302, headers={"Location": options["location"]})
        raise ValueError(f"unknown failure mode {failure.mode!r}")

    def _answer(self, request: Request, provider: str) -> Response:
        rest = request.path[len(PREFIXES.get(provider, "")):].strip("/").split("/")
        if provider == "congress":
            return self._congress(request, rest)
        if provider == "federal_register":
            return self._federal_register(request, rest)
        if provider == "openstates":
            return self._openstates(request, rest)
        return Response("Not Found", status=404, content_type="text/plain")

    def _congress(self, request: Request, rest: list[str]) -> Response:
        key = request.headers.get("X-Api-Key") or request.args.get("api_key")
        if not key:
            return _json({"error": {"code": "API_KEY_MISSING",
                                    "message": "No api_key was supplied. Get one at https://api.congress.gov/sign-up/"}}, 403)
        if key != CONGRESS_KEY:
            return _json({"error": {"code": "API_KEY_INVALID",
                                    "message": "An invalid api_key was supplied. Get one at https://api.congress.gov/sign-up/"}}, 403)
        if len(rest) == 5 and rest[0] == "bill" and rest[4] == "actions":
            item = f"congress/{rest[1]}-{rest[2].lower()}-{rest[3]}"
            offset = request.args.get("offset", "0")
            page = self._file(item, f"actions-{offset}.json") or (self._file(item, "actions.json")
                                                                   if offset == "0" else None)
            if page is not None:
                return _json(page)
        return _json({"error": {"code": "NOT_FOUND", "message": f"No matching resource for {request.path}"}}, 404)

    def _federal_register(self, request: Request, rest: list[str]) -> Response:
        if rest == ["documents.json"]:
            docket = request.args.get("conditions[docket_id]", "")
            page = self._file(f"federal_register/dockets/{docket}", f"page-{request.args.get('page', '1')}.json")
            return _json(page if page is not None else
                         {"count": 0, "description": f"Documents with docket ID matching {docket}"})
        if len(rest) == 2 and rest[0] == "documents" and rest[1].endswith(".json"):
            document = self._file(f"federal_register/documents/{rest[1][:-5]}", "document.json")
            if document is not None:
                return _json(document)
        return _json({"status": 404, "message": "Record not found"}, 404)

    def _openstates(self, request: Request, rest: list[str]) -> Response:
        key = request.headers.get("X-API-KEY") or request.args.get("apikey")
        if not key:
            return _json({"detail": "Must provide API Key as ?apikey or X-API-KEY. Login and visit "
                                    "https://openstates.org/account/profile/ for your API key."}, 403)
        if key != OPENSTATES_KEY:
            return _json({"detail": "Invalid API Key. Login and visit https://openstates.org/account/profile/ "
                                    "for your API key."}, 401)
        if rest == ["bills"]:
            page = self._file("openstates/search", f"page-{request.args.get('page', '1')}.json")
            if page is not None:
                return _json(page)
        if len(rest) == 4 and rest[0] == "bills":
            bill = self._file(f"openstates/{rest[1]}/{rest[2]}/{rest[3].replace(' ', '').upper()}", "bill.json")
            if bill is not None:
                return _json(bill)
        return _json({"detail": "No such Bill"}, 404)


@pytest.fixture
def regulator_replay():
    """A fresh replay server for one test."""
    with RegulatorReplay() as replay:
        yield replay
