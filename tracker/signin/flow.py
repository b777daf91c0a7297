"""The authorization code flow with PKCE, state and nonce (OpenID Connect Core 1.0, 3.1).

`begin` makes the provider URL and the values the browser's session keeps;
`finish` checks the answer against them, trades the code for tokens and checks
the ID token. Neither touches the database. Authlib builds the request (grant
URI, S256 code challenge); httpx carries it; joserfc checks the token.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Mapping

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tracker.signin.claims import Identity, identity_from_claims
from tracker.signin.errors import SigninRefused, provider_trouble, try_again
from tracker.signin.idtoken import verify_id_token
from tracker.signin.provider import MAX_BODY, TIMEOUT, ProviderCache, ProviderMetadata, fetch_json
from tracker.signin.settings import OidcSettings

PENDING_MAX_SECONDS = 15 * 60  # a sign-in left half-way is forgotten after this


def begin(settings: OidcSettings, metadata: ProviderMetadata, now: datetime) -> tuple[str, dict[str, Any]]:
    """The provider's authorization URL and what the session must keep until the callback."""
    pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64),
               "started": int(now.timestamp())}
    url = prepare_grant_uri(metadata.authorization_endpoint, settings.client_id, "code",
                            redirect_uri=settings.redirect_uri, scope=settings.scopes, state=pending["state"],
                            nonce=pending["nonce"], code_challenge=create_s256_code_challenge(pending["verifier"]),
                            code_challenge_method="S256")
    return url, pending


def _check_answer(pending: Any, args: Mapping[str, str], issuer: str, now: datetime) -> str:
    """The code from the callback's query, once state and age check out."""
    if not isinstance(pending, dict) or not all(isinstance(pending.get(k), str) for k in ("state", "nonce", "verifier")):
        raise try_again("state_missing")  # no sign-in started in this browser, or it was used already
    state = args.get("state")
    if not isinstance(state, str) or not hmac.compare_digest(state.encode(), pending["state"].encode()):
        raise try_again("state_mismatch")
    started = pending.get("started")
    if not isinstance(started, int) or now.timestamp() - started > PENDING_MAX_SECONDS:
        raise try_again("sign_in_too_slow")
    if "iss" in args and args.get("iss") != issuer:
        raise try_again("response_from_another_issuer")  # RFC 9207: a mix-up with another provider
    if args.get("error"):
        # The person cancelled, or the provider refused them; its words are not shown (they are its text).
        raise SigninRefused("provider_error", "The identity provider did not sign you in. "
                                              "Start again from the sign-in page.", status=403)
    code = args.get("code")
    if not isinstance(code, str) or not 0 < len(code) <= 2000:
        raise try_again("code_missing")
    return code


def _exchange(settings: OidcSettings, metadata: ProviderMetadata, code: str, verifier: str) -> dict[str, Any]:
    """POST the code to the token endpoint (client_secret_basic) and return its JSON answer."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": settings.redirect_uri,
            "code_verifier": verifier}
    auth = None
    if settings.client_secret:
        auth = httpx.BasicAuth(settings.client_id, settings.client_secret)
    else:
        form["client_id"] = settings.client_id
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(metadata.token_endpoint, data=form, auth=auth,
                                   headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise provider_trouble(f"token_endpoint_unreachable ({type(exc).__name__})") from None
    if len(response.content) > MAX_BODY:
        raise provider_trouble("token_answer_too_large")
    try:
        answer = response.json()
    except ValueError:
        raise provider_trouble(f"token_answer_not_json (status {response.status_code})") from None
    if response.status_code == 400 and isinstance(answer, dict) and answer.get("error") == "invalid_grant":
        raise try_again("code_refused")  # used already, expired, or not ours (PKCE)
    if response.status_code != 200 or not isinstance(answer, dict):
        raise provider_trouble(f"token_endpoint_status_{response.status_code}")
    return answer


def _userinfo(metadata: ProviderMetadata, access_token: Any, subject: str) -> dict[str, Any]:
    """Claims from the userinfo endpoint, when the ID token lacks some; only for the same subject."""
    if not metadata.userinfo_endpoint or not isinstance(access_token, str) or not access_token:
        return {}
    claims = fetch_json(metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        raise try_again("userinfo_subject_mismatch")
    return claims


def finish(settings: OidcSettings, metadata: ProviderMetadata, cache: ProviderCache, pending: Any,
           args: Mapping[str, str], now: datetime) -> Identity:
    """The checked identity behind a callback; SigninRefused when anything does not check out."""
    code = _check_answer(pending, args, metadata.issuer, now)
    answer = _exchange(settings, metadata, code, pending["verifier"])
    claims = verify_id_token(answer.get("id_token"), lambda refresh: cache.keys(metadata.jwks_uri, now, refresh),
                             metadata.algorithms, metadata.issuer, settings.client_id, pending["nonce"], now)
    if "email" not in claims or settings.groups_claim not in claims:
        extra = _userinfo(metadata, answer.get("access_token"), claims["sub"])
        claims = {**{k: v for k, v in extra.items() if k in ("email", "email_verified", "name",
                                                             settings.groups_claim)}, **claims}
    return identity_from_claims(claims, settings.groups_claim)


def end_session_url(metadata: ProviderMetadata | None, settings: OidcSettings, after: str) -> str | None:
    """Where to send the browser so the provider signs it out too (RP-Initiated Logout 1.0)."""
    if metadata is None or not metadata.end_session_endpoint:
        return None
    return add_params_to_uri(metadata.end_session_endpoint,
                             [("client_id", settings.client_id), ("post_logout_redirect_uri", after)])
