"""Checking an ID token (OpenID Connect Core 1.0, section 3.1.3.7). Pure: no Flask, no database.

The signature is checked with the provider's published keys only, for the
algorithms its discovery document offers minus `none` and the HMAC ones; then
`iss`, `aud` (and `azp` when there are several audiences), `exp`, `iat` and
`nonce`. Any failure is a SigninRefused whose reason names the check, never the
token's content.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Callable

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from tracker.signin.errors import try_again

LEEWAY_SECONDS = 60           # clocks of two machines disagree a little
MAX_AGE_SECONDS = 10 * 60     # an ID token is used the moment it is issued


def _header(raw: str) -> dict[str, Any]:
    try:
        return dict(jws.extract_compact(raw.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError, TypeError):
        raise try_again("id_token_malformed") from None


def _decode(raw: str, keys: KeySet, algorithms: tuple[str, ...]) -> dict[str, Any]:
    try:
        return dict(jwt.decode(raw, keys, algorithms=list(algorithms)).claims)
    except InvalidKeyIdError:
        raise
    except BadSignatureError:
        raise try_again("id_token_bad_signature") from None
    except (JoseError, ValueError, TypeError) as exc:
        raise try_again(f"id_token_rejected ({type(exc).__name__})") from None


def verify_id_token(raw: Any, keys: Callable[[bool], KeySet], algorithms: tuple[str, ...], issuer: str,
                    client_id: str, nonce: str, now: datetime) -> dict[str, Any]:
    """The claims of a valid ID token; SigninRefused otherwise.

    `keys(refresh)` returns the provider's key set; it is called again with
    refresh=True once when the token names a key id we do not hold (key rotation).
    """
    if not isinstance(raw, str) or not raw or len(raw) > 16_000:
        raise try_again("id_token_missing")
    header = _header(raw)
    if header.get("alg") not in algorithms:
        raise try_again("id_token_algorithm_refused")  # `none`, HMAC, or one the provider does not use
    try:
        claims = _decode(raw, keys(False), algorithms)
    except InvalidKeyIdError:
        try:
            claims = _decode(raw, keys(True), algorithms)
        except InvalidKeyIdError:
            raise try_again("id_token_unknown_key") from None
    check_claims(claims, issuer, client_id, nonce, now)
    return claims


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise try_again(f"id_token_{name}_missing")
    return float(value)


def check_claims(claims: dict[str, Any], issuer: str, client_id: str, nonce: str, now: datetime) -> None:
    """The claim checks of section 3.1.3.7 for a token whose signature is already good."""
    if claims.get("iss") != issuer:
        raise try_again("id_token_wrong_issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise try_again("id_token_wrong_audience")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise try_again("id_token_wrong_authorized_party")
    moment = now.timestamp()
    if _number(claims, "exp") <= moment - LEEWAY_SECONDS:
        raise try_again("id_token_expired")
    issued = _number(claims, "iat")
    if issued > moment + LEEWAY_SECONDS:
        raise try_again("id_token_issued_in_the_future")
    if issued < moment - MAX_AGE_SECONDS - LEEWAY_SECONDS:
        raise try_again("id_token_too_old")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise try_again("id_token_nonce_mismatch")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise try_again("id_token_subject_missing")
