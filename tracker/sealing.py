"""Keeping a secret the app must show or use again (feed tokens, webhook signing secrets).

A secret is stored as (digest, sealed): `digest` is an HMAC-SHA256 of it under a
key derived from SECRET_KEY (the indexed lookup column, compared in constant
time); `sealed` is the secret XORed with an HMAC-SHA256 keystream under a second
derived key, with the digest as its nonce, so a database reader without
SECRET_KEY learns neither the secret nor anything to compute it from, and an
altered row opens to nothing (the digest of what it opens to must match).
The derivation strings are part of the stored format: changing them breaks
every stored secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


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
