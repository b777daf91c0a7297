"""The one HTTP layer the regulator providers share (httpx; no Flask, no database).

Every answer is either a JSON object or a `ProviderError` with a one-line reason a
person can act on: HTML served with status 200 (a block page), a wrong content type,
truncated JSON, an error status, a timeout. 429 and 5xx are retried with exponential
backoff and jitter, honouring `Retry-After` (seconds or an HTTP date) up to a cap; a
server that asks for a longer wait ends the fetch at once, with `retry_after` set so
the watch tries again then. Redirects are followed only on the same host and scheme,
so a key-bearing request never lands somewhere else. API keys travel in headers and
are scrubbed from every reason and log line (`redact`), as is any `api_key`/`apikey`
query parameter a paging link might carry.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from tracker.http_limits import ACCEPT_ENCODING, Deadline, DeadlineExceeded, TooLarge, read_capped
from tracker.retry_after import retry_after
from tracker.watches.providers.base import ProviderError

# Longer asks end the fetch at once anyway (the watch retries later); this only bounds the number.
RETRY_AFTER_CAP = timedelta(days=1)

log = logging.getLogger(__name__)

PRODUCT_VERSION = "1.0"  # in the User-Agent; not a setting
TIMEOUT = 10.0            # seconds for connect and for each read
MAX_ATTEMPTS = 4          # one try and three retries on 429/5xx
BACKOFF_BASE = 1.0        # seconds; doubled per retry, jittered x0.5..1.5
BACKOFF_CAP = 30.0
MAX_WAIT = 60.0           # longest Retry-After we sit through inside one fetch
MAX_PAGES = 20            # per item; more ends the fetch (never half a result)
MAX_BYTES = 10 * 1024 * 1024
FETCH_DEADLINE = 30.0     # seconds, wall clock, for one request and its whole answer (a dripping server included)
MAX_REDIRECTS = 3
_SECRET_PARAMS = ("api_key", "apikey")
_SECRET_IN_TEXT = re.compile(r"((?:api_key|apikey)=)[^&\s\"']+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _tls_context():
    # Building the default TLS context (loading the CA bundle) costs tens of milliseconds:
    # done once per process, not once per fetch.
    return httpx.create_ssl_context(trust_env=True)


def user_agent(base_url: str | None = None) -> str:
    """`compliance-deadline-tracker/<version> (+<the tracker's base URL>)`."""
    agent = f"compliance-deadline-tracker/{PRODUCT_VERSION}"
    return f"{agent} (+{base_url.rstrip('/')})" if base_url else agent


def without_secret_params(url: str) -> str:
    """`url` without `api_key`/`apikey` query parameters (keys go in headers)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date (capped at a day)."""
    delay = retry_after(value, now or datetime.now(timezone.utc), RETRY_AFTER_CAP)
    return None if delay is None else delay.total_seconds()


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_detail(body: object) -> str:
    """The provider's own words from an error body, whichever of the three shapes it uses."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # api.data.gov (Congress.gov): {"error": {"code", "message"}}
        return " ".join(str(error[k]) for k in ("code", "message") if error.get(k))
    for key in ("detail", "message", "error"):  # Open States (FastAPI), Federal Register
        if isinstance(body.get(key), str):
            return body[key]
    errors = body.get("errors")
    if isinstance(errors, (dict, list)):
        return json.dumps(errors, sort_keys=True)
    return ""


class Http:
    """GET JSON from one provider, with the retries, checks and paging described above.

    `label` names the provider in every reason ("Congress.gov: HTTP 500 ..."); `secrets`
    are strings never to be shown; `sleep` and `rng` are injectable so tests do not wait.
    Use `with http.session():` around a fetch so its pages share one connection pool
    (one per thread: an instance may serve fetches in several threads at once).
    """

    @classmethod
    def keyed(cls, label: str, base_url: str, header: str, api_key: str | None, **options) -> "Http":
        """An Http that sends `api_key` in `header` (when there is one) and scrubs it from every error."""
        headers = {header: api_key} if api_key else {}
        return cls(label, base_url, headers=headers, secrets=(api_key or "",), **options)

    def __init__(self, label: str, base_url: str, *, headers: Mapping[str, str] | None = None,
                 secrets: tuple[str, ...] = (), agent_url: str | None = None, timeout: float = TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, max_wait: float = MAX_WAIT, max_pages: int = MAX_PAGES,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 client: httpx.Client | None = None, deadline: float = FETCH_DEADLINE):
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": user_agent(agent_url), "Accept": "application/json",
                        "Accept-Encoding": ACCEPT_ENCODING, **(headers or {})}
        self.deadline = deadline
        self.secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.max_pages = max_pages
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._shared = client
        self._local = threading.local()  # each thread's fetch has its own pool
        self.requests_sent = 0  # every request sent by this instance (benchmarks count them)

    # -- plumbing -------------------------------------------------------------

    def redact(self, text: str) -> str:
        """`text` with every configured secret and any api_key=... parameter hidden."""
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return _SECRET_IN_TEXT.sub(r"\1<redacted>", text)

    def fail(self, reason: str, *, retry_after: float | None = None) -> ProviderError:
        """A ProviderError naming the provider, with secrets scrubbed."""
        return ProviderError(self.redact(_one_line(f"{self.label}: {reason}", 300)), retry_after=retry_after)

    @contextmanager
    def session(self) -> Iterator[Http]:
        """One connection pool for the requests inside the block (unless a client was given)."""
        if self._shared is not None or getattr(self._local, "client", None) is not None:
            yield self
            return
        # trust_env: a deployment behind an outbound proxy sets HTTPS_PROXY (and NO_PROXY).
        # No keep-alive: each request's own connection, whose socket its deadline can shut when stuck.
        self._local.client = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=False,
                                          trust_env=True, verify=_tls_context(),
                                          limits=httpx.Limits(max_keepalive_connections=0))
        try:
            yield self
        finally:
            self._local.client.close()
            self._local.client = None

    def _same_origin(self, url: str) -> bool:
        want, got = urlsplit(self.base_url), urlsplit(url)
        return (got.scheme, got.hostname, got.port) == (want.scheme, want.hostname, want.port)

    def _elsewhere(self, response: httpx.Response, where: str) -> str:
        target = urlsplit(where)
        if not response.headers.get("location"):
            return "nowhere (no Location)"
        if target.hostname != urlsplit(self.base_url).hostname:
            return f"another host ({target.hostname})"
        return f"another scheme or port ({target.scheme}://{target.netloc})"

    def check_link(self, url: str) -> str:
        """A paging link from an answer, if it points back at the provider; else ProviderError."""
        url = without_secret_params(urljoin(self.base_url + "/", url))
        if not self._same_origin(url):
            raise self.fail(f"a paging link points to another host ({urlsplit(url).hostname}); not followed")
        return url

    # -- one request ----------------------------------------------------------

    def _send(self, url: str, params: Mapping | None) -> tuple[httpx.Response, bytes]:
        client = self._shared or getattr(self._local, "client", None)
        assert client is not None, "use `with http.session():`"
        self.requests_sent += 1
        log.debug("%s GET %s", self.label, self.redact(str(httpx.URL(url, params=params))))
        deadline = Deadline(self.deadline)
        late = f"no complete answer within {self.deadline:g} s (deadline)"
        try:
            with deadline, client.stream("GET", url, params=params, headers=self.headers,
                                         extensions=deadline.extensions) as response:
                # Decompressed here, bounded per step: a small gzip answer cannot grow past the cap in memory.
                return response, read_capped(response, MAX_BYTES, deadline)
        except TooLarge as exc:
            if "encoding" in str(exc):
                raise self.fail(str(exc)) from None
            raise self.fail(f"answer larger than {MAX_BYTES // (1024 * 1024)} MB; refused") from None
        except DeadlineExceeded:
            raise self.fail(late) from None
        except httpx.TimeoutException:
            if deadline.expired:
                raise self.fail(late) from None
            raise self.fail(f"no answer within {self.timeout:g} s (timeout)") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if deadline.expired:
                raise self.fail(late) from None
            if isinstance(exc, httpx.RemoteProtocolError):
                raise self.fail("the connection closed before the answer was complete (truncated)") from None
            raise self.fail(f"could not reach {urlsplit(url).hostname}: {exc.__class__.__name__}: {exc}") from None
        except zlib.error:
            raise self.fail("the compressed answer is corrupt (truncated)") from None
        except httpx.HTTPError as exc:
            if deadline.expired:
                raise self.fail(late) from None
            raise self.fail(f"could not reach {urlsplit(url).hostname}: {exc.__class__.__name__}: {exc}") from None

    def _decode(self, response: httpx.Response, body: bytes) -> dict:
        status = response.status_code
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        looks_html = body.lstrip()[:1] == b"<"
        if kind in ("text/html", "application/xhtml+xml") or looks_html:
            raise self.fail(f"HTML page instead of JSON (HTTP {status})")
        if not (kind == "application/json" or kind.endswith("+json")):
            raise self.fail(f"unexpected content type {kind or '(none)'} instead of JSON (HTTP {status})")
        try:
            data = json.loads(body)
        except RecursionError:  # {"a": {"a": ... 200,000 deep: malformed for us, and no traceback per watch
            raise self.fail(f"malformed JSON: nested too deeply (HTTP {status})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f" at byte {exc.pos} of {len(body)}" if isinstance(exc, json.JSONDecodeError) else ""
            raise self.fail(f"truncated or malformed JSON{where} (HTTP {status})") from None
        if not isinstance(data, dict):
            raise self.fail(f"JSON answer is a {type(data).__name__}, not an object (HTTP {status})")
        return data

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_CAP) * self.rng.uniform(0.5, 1.5)

    def get_json(self, url: str, params: Mapping | None = None) -> dict:
        """The JSON object at `url`; retries 429/5xx, follows same-host redirects, else ProviderError."""
        redirects = 0
        attempt = 0
        while True:
            attempt += 1
            response, body = self._send(url, params)
            status = response.status_code
            if 300 <= status < 400 and status != 304:
                where = urljoin(url, response.headers.get("location", ""))
                if not response.headers.get("location") or not self._same_origin(where):
                    raise self.fail(f"HTTP {status} redirect to {self._elsewhere(response, where)}; not followed")
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise self.fail(f"more than {MAX_REDIRECTS} redirects; stopped")
                url, params, attempt = where, None, attempt - 1
                continue
            if status == 429 or status >= 500:
                asked = parse_retry_after(response.headers.get("retry-after"))
                what = "rate limited (HTTP 429)" if status == 429 else f"HTTP {status}"
                detail = self._detail(response, body)
                if asked is not None and asked > self.max_wait:
                    raise self.fail(f"{what}; asked to wait {asked:.0f} s (Retry-After), more than "
                                    f"{self.max_wait:.0f} s{detail}", retry_after=asked)
                if attempt >= self.max_attempts:
                    raise self.fail(f"{what} after {attempt} attempts{detail}", retry_after=asked)
                wait = asked if asked is not None else self._backoff(attempt)
                log.info("%s: %s; retrying in %.1f s", self.label, what, wait)
                self.sleep(wait)
                continue
            if status >= 400:
                raise self.fail(f"HTTP {status}{self._detail(response, body)}")
            return self._decode(response, body)

    def _detail(self, response: httpx.Response, body: bytes) -> str:
        try:
            detail = _error_detail(json.loads(body)) if body.lstrip()[:1] == b"{" else ""
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            detail = ""
        return f": {_one_line(detail, 160)}" if detail else ""

    # -- paging ---------------------------------------------------------------

    def follow(self, url: str, params: Mapping | None, next_link: Callable[[dict], str | None]) -> list[dict]:
        """Every page from `url` on, each next page named by `next_link(page)` (a URL or None).

        Congress.gov names it in `pagination.next`, the Federal Register in `next_page_url`.
        """
        pages = [self.get_json(url, params)]
        seen = {str(httpx.URL(url, params=params))}
        while (link := next_link(pages[-1])):
            link = self.check_link(link)
            if link in seen:
                raise self.fail("the paging links go round in a circle; stopped")
            if len(pages) >= self.max_pages:
                raise self.fail(f"more than {self.max_pages} pages; stopped")
            seen.add(link)
            pages.append(self.get_json(link))
        return pages

    def numbered(self, url: str, params: Mapping) -> list[dict]:
        """Every page of an Open States list: `pagination.page` up to `pagination.max_page`."""
        pages = [self.get_json(url, {**params, "page": 1})]
        max_page = _int((pages[0].get("pagination") or {}).get("max_page"), 1)
        if max_page > self.max_pages:
            raise self.fail(f"{max_page} pages, more than {self.max_pages}; stopped")
        for number in range(2, max_page + 1):
            pages.append(self.get_json(url, {**params, "page": number}))
        return pages


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default
