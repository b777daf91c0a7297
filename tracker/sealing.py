"""Keeping a secret the app must show or use again (feed tokens, webhook signing secrets).

A secret is stored as (digest, sealed): `digest` is an HMAC-SHA256 of it under a
key derived from SECRET_KEY (the indexed lookup column, compared in constant
time); `sealed` is the secret XORed with an HMAC-SHA256 keystream under a second
derived key, with the digest as its nonce, so a database reader without
SECRET_KEY learns neither the secret nor anything to compute it from, and an
altered row opens to nothing (the digest of what it opens to must match).
The derivation strings are part of the stored format: changing them breaks
every stored secret.

`find_by_secret` is the one lookup of a row by a secret someone presents (a feed
URL, a response link): security code kept in one copy, so there is one to audit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import TypeVar

from sqlalchemy import select

from tracker.db import db

# Every secret token (feed tokens, response links, contact feeds): secrets.token_urlsafe(32).
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Compared with the digest a presented token hashes to when no row matched (64 hex characters).
_NO_ROW_DIGEST = "0" * 64

Row = TypeVar("Row")


def _key(purpose: str, secret_key: str | bytes | None = None) -> bytes:
    if secret_key is None:
        from flask import current_app  # the running app's key, unless one is given

        secret_key = current_app.config["SECRET_KEY"]
    secret = secret_key
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, f"tracker feed token {purpose} v1".encode(), hashlib.sha256).digest()


def digest_of(token: str, secret_key: str | bytes | None = None) -> str:
    """The keyed digest a token is stored and found by (64 hex characters)."""
    return hmac.new(_key("digest", secret_key), token.encode(), hashlib.sha256).hexdigest()


def _keystream(digest: str, length: int, secret_key) -> bytes:
    key, blocks = _key("seal", secret_key), b""
    counter = 0
    while len(blocks) < length:
        blocks += hmac.new(key, digest.encode() + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return blocks[:length]


def seal(token: str, secret_key: str | bytes | None = None) -> tuple[str, str]:
    """(digest, sealed) to store for `token`."""
    digest = digest_of(token, secret_key)
    plain = token.encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(digest, len(plain), secret_key)))
    return digest, base64.urlsafe_b64encode(cipher).decode()


def unseal(digest: str, sealed: str, secret_key: str | bytes | None = None) -> str | None:
    """The token stored as (digest, sealed), or None when SECRET_KEY changed or the row was altered."""
    try:
        cipher = base64.urlsafe_b64decode(sealed.encode())
    except (ValueError, TypeError):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(digest, len(cipher), secret_key)))
    try:
        token = plain.decode()
    except UnicodeDecodeError:
        return None
    return token if hmac.compare_digest(digest_of(token, secret_key), digest) else None


def find_by_secret(model: type[Row], token: str | None, *, selector=None, selector_length: int = 0) -> Row | None:
    """The row of `model` storing `token` (its `digest` column), compared in constant time; else None.

    The row is found by the digest itself (an indexed unique column), or by a
    `selector` column holding the token's first `selector_length` characters;
    the digests are then compared with hmac.compare_digest, against a dummy when
    no row matched, so a found and an unknown token cost the same and a guesser
    learns nothing from timing. Anything but a token's shape is refused before
    any query. Whether the row is still live (revoked, expired) is the caller's.
    """
    if not TOKEN_PATTERN.match(token or ""):
        return None
    digest = digest_of(token)
    where = selector == token[:selector_length] if selector is not None else model.digest == digest
    row = db.session.scalar(select(model).where(where))
    stored = row.digest if row is not None else _NO_ROW_DIGEST
    if not hmac.compare_digest(stored.encode(), digest.encode()) or row is None:
        return None
    return row
