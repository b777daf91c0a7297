"""What the identity provider publishes: its discovery document and its signing keys.

Both are fetched over HTTPS (httpx, short timeouts) and cached for a while. Keys
rotate: an ID token signed with a key id we do not hold makes us fetch the key set
again, at most once per `refetch_every`, so a stream of forged key ids cannot make
us hammer the provider. No Flask here; the cache lives on the app.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from joserfc.jwk import KeySet

from tracker.signin.errors import SigninRefused, provider_trouble
from tracker.signin.settings import OidcSettings

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BODY = 512 * 1024
UNSAFE_ALGORITHMS = {"none", "HS256", "HS384", "HS512"}  # no signature, or the client secret as key


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document the tracker uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


def fetch_json(url: str, headers: dict[str, str] | None = None) -> Any:
    """GET `url` and return its JSON; ProviderTrouble (a SigninRefused) when that fails."""
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json", **(headers or {})})
    except httpx.HTTPError as exc:
        raise provider_trouble(f"provider_unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise provider_trouble(f"provider_status_{response.status_code}")
    if len(response.content) > MAX_BODY:
        raise provider_trouble("provider_answer_too_large")
    try:
        return response.json()
    except ValueError:
        raise provider_trouble("provider_answer_not_json") from None


def _https_url(value: Any, settings: OidcSettings) -> bool:
    # An endpoint on another scheme than the issuer's would be a downgrade.
    scheme = settings.issuer.split(":", 1)[0]
    return isinstance(value, str) and value.startswith(f"{scheme}://") and len(value) < 2000


def parse_metadata(document: Any, settings: OidcSettings) -> ProviderMetadata:
    """Check a discovery document against the configured issuer and keep what we use."""
    if not isinstance(document, dict):
        raise provider_trouble("discovery_not_an_object")
    if document.get("issuer") != settings.issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the issuer must be exactly the one asked.
        raise provider_trouble("discovery_issuer_mismatch")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not _https_url(document.get(name), settings):
            raise provider_trouble(f"discovery_missing_{name}")
        endpoints[name] = document[name]
    optional = {name: document.get(name) if _https_url(document.get(name), settings) else None
                for name in ("userinfo_endpoint", "end_session_endpoint")}
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    if not isinstance(offered, list):
        raise provider_trouble("discovery_bad_algorithms")
    algorithms = tuple(alg for alg in offered if isinstance(alg, str) and alg not in UNSAFE_ALGORITHMS)
    if not algorithms:
        raise provider_trouble("discovery_no_safe_algorithm")
    return ProviderMetadata(issuer=settings.issuer, algorithms=algorithms, **endpoints, **optional)


def parse_key_set(document: Any) -> KeySet:
    """The public signing keys of a JWKS document (private parts and odd keys refused)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise provider_trouble("jwks_not_a_key_set")
    public = [key for key in document["keys"] if isinstance(key, dict) and key.get("use", "sig") == "sig"
              and key.get("kty") in ("RSA", "EC", "OKP") and "d" not in key]
    try:
        return KeySet.import_key_set({"keys": public})
    except Exception:  # joserfc raises several kinds for a malformed key
        raise provider_trouble("jwks_bad_key") from None


@dataclass
class ProviderCache:
    """Discovery documents and key sets, shared by the requests of one app."""

    metadata_ttl: timedelta = timedelta(hours=1)
    keys_ttl: timedelta = timedelta(hours=24)
    refetch_every: timedelta = timedelta(seconds=30)
    _metadata: dict[str, tuple[datetime, ProviderMetadata]] = field(default_factory=dict)
    _keys: dict[str, tuple[datetime, KeySet]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def metadata(self, settings: OidcSettings, now: datetime) -> ProviderMetadata:
        """The provider's metadata, from the cache or fetched by discovery."""
        problem = settings.issuer_problem()
        if problem:
            raise SigninRefused("issuer_not_https", f"Sign-in with the identity provider is misconfigured: {problem}.", status=503)
        with self._lock:
            cached = self._metadata.get(settings.issuer)
        if cached and now - cached[0] < self.metadata_ttl:
            return cached[1]
        metadata = parse_metadata(fetch_json(settings.issuer + "/.well-known/openid-configuration"), settings)
        with self._lock:
            self._metadata[settings.issuer] = (now, metadata)
        return metadata

    def cached_metadata(self, settings: OidcSettings) -> ProviderMetadata | None:
        """The metadata if we have it, without asking the provider (sign-out uses this)."""
        with self._lock:
            cached = self._metadata.get(settings.issuer)
        return cached[1] if cached else None

    def keys(self, jwks_uri: str, now: datetime, refresh: bool = False) -> KeySet:
        """The provider's key set; `refresh` asks for a new copy (a key id we do not hold),
        which is granted at most once per `refetch_every`."""
        with self._lock:
            cached = self._keys.get(jwks_uri)
        fresh_enough = cached and now - cached[0] < self.keys_ttl
        if fresh_enough and not (refresh and now - cached[0] >= self.refetch_every):
            return cached[1]
        key_set = parse_key_set(fetch_json(jwks_uri))
        with self._lock:
            self._keys[jwks_uri] = (now, key_set)
        return key_set
