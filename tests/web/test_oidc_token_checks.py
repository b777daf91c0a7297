"""Every bad answer a provider (or someone in its place) can give, against a provider we control.

A loopback server plays the provider: discovery, JWKS and a token endpoint that
hands back whatever ID token the test crafted with joserfc. Token times come from
tracker.clock, the clock the app reads.
"""

from __future__ import annotations

import base64
import functools
import json
from datetime import timedelta

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from sqlalchemy import func, select
from werkzeug import Request, Response

from tests.factories import make_team, make_user
from tests.oidc_support import signin_log
from tracker.audit import SYSTEM
from tracker.clock import utcnow
from tracker.db import db
from tracker.models import OidcIdentity, User
from tracker.signin import operations as mappings

CLIENT_ID, SECRET = "tracker", "client-secret-for-tests-0123456789"


@functools.cache
def _key(kid: str, variant: int = 0) -> RSAKey:
    """An RSA signing key; made once per (kid, variant) for the whole run (2048-bit keys are slow to make)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


class FakeProvider:
    """The provider's three endpoints on loopback, with knobs for each kind of bad answer."""

    def __init__(self, server):
        self.server = server
        self.issuer = server.url_for("/").rstrip("/")
        self.published = [_key("k1")]
        self.signing_key = self.published[0]
        self.discovery = {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                          "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                          "end_session_endpoint": self.issuer + "/logout",
                          "id_token_signing_alg_values_supported": ["RS256"]}
        self.id_token = ""
        self.token_answer: Response | None = None
        self.jwks_requests = 0
        self.challenge = ""
        server.expect_request("/.well-known/openid-configuration").respond_with_handler(
            lambda request: Response(json.dumps(self.discovery), content_type="application/json"))
        server.expect_request("/jwks").respond_with_handler(self._jwks)
        server.expect_request("/token", method="POST").respond_with_handler(self._token)

    def _jwks(self, request: Request) -> Response:
        self.jwks_requests += 1
        keys = [key.as_dict(private=False) for key in self.published]
        return Response(json.dumps({"keys": keys}), content_type="application/json")

    def _token(self, request: Request) -> Response:
        if self.token_answer is not None:
            return self.token_answer
        verifier = request.form.get("code_verifier", "")
        if request.form.get("code") != "the-code" or create_s256_code_challenge(verifier) != self.challenge:
            return Response(json.dumps({"error": "invalid_grant"}), 400, content_type="application/json")
        return Response(json.dumps({"access_token": "at-123", "token_type": "Bearer", "id_token": self.id_token}),
                        content_type="application/json")

    def claims(self, sent_nonce: str, **changes) -> dict:
        now = int(utcnow().timestamp())
        claims = {"iss": self.issuer, "sub": "person-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": sent_nonce, "email": "pat@example.com", "email_verified": True, "name": "Pat",
                  "groups": ["grc-editors"]}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, key=None, alg: str = "RS256") -> str:
        key = key or self.signing_key
        header = {"alg": alg, "typ": "JWT"}
        if isinstance(key, RSAKey):
            header["kid"] = key.kid
        return jwt.encode(header, claims, key)


@pytest.fixture
def provider(app, httpserver_ipv4):
    fake = FakeProvider(httpserver_ipv4)
    app.config.update(TRACKER_OIDC_ISSUER=fake.issuer, TRACKER_OIDC_CLIENT_ID=CLIENT_ID,
                      TRACKER_OIDC_CLIENT_SECRET=SECRET, TRACKER_OIDC_PROVIDER_NAME="Fake IdP")
    make_team(key="grc", name="GRC")
    make_team(key="procurement", name="Procurement")
    mappings.save_group_mapping("grc-editors", "editor", ["grc"], SYSTEM)
    mappings.save_group_mapping("procurement-viewers", "viewer", ["procurement"], SYSTEM)
    make_user("admin@example.com", role="admin")
    return fake


def begin(client, provider: FakeProvider) -> dict[str, str]:
    """Start a sign-in; the parameters our app sent to the provider."""
    response = client.get("/login/oidc/start")
    assert response.status_code == 303
    params = dict(httpx.URL(response.headers["Location"]).params)
    provider.challenge = params["code_challenge"]
    return params


def finish(client, params: dict, **query):
    return client.get("/login/oidc/callback", query_string={"code": "the-code", "state": params["state"], **query})


def sign_in_with(client, provider: FakeProvider, make_token=None, **claim_changes):
    """One sign-in whose ID token is made by `make_token(claims)` (default: signed properly)."""
    params = begin(client, provider)
    claims = provider.claims(params["nonce"], **claim_changes)
    provider.id_token = (make_token or provider.sign)(claims)
    return finish(client, params)


def users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(User.id)))


def assert_refused(response, status: int, log, reason: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert "Sign-in refused" in page and "Reference" in page
    assert reason in log.getvalue(), log.getvalue()
    assert users() == 1 and db.session.scalar(select(func.count(OidcIdentity.id))) == 0


def test_a_good_token_signs_in_with_pkce_and_the_verified_email(provider, client):
    params = begin(client, provider)
    assert params["code_challenge_method"] == "S256" and params["scope"] == "openid email profile"
    assert params["redirect_uri"] == "https://tracker.example.test/login/oidc/callback"
    provider.id_token = provider.sign(provider.claims(params["nonce"]))
    response = finish(client, params)
    assert response.status_code == 303
    pat = db.session.scalar(select(User).where(User.email == "pat@example.com"))
    assert (pat.role, [t.key for t in pat.teams]) == ("editor", ["grc"])


def test_a_token_for_another_audience_is_refused(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, aud="someone-else")
    assert_refused(response, 400, log, "id_token_wrong_audience")


def test_a_token_for_several_audiences_without_us_as_authorized_party_is_refused(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, aud=[CLIENT_ID, "other"], azp="other")
    assert_refused(response, 400, log, "id_token_wrong_authorized_party")


def test_an_expired_token_is_refused(provider, client):
    now = int(utcnow().timestamp())
    with signin_log() as log:
        response = sign_in_with(client, provider, iat=now - 600, exp=now - 300)
    assert_refused(response, 400, log, "id_token_expired")


def test_a_token_issued_in_the_future_is_refused(provider, client):
    now = int(utcnow().timestamp())
    with signin_log() as log:
        response = sign_in_with(client, provider, iat=now + 3600, exp=now + 7200)
    assert_refused(response, 400, log, "id_token_issued_in_the_future")


def test_a_token_without_iat_is_refused(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, iat=None)
    assert_refused(response, 400, log, "id_token_iat_missing")


def test_a_token_from_another_issuer_is_refused(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, iss="https://evil.example.test")
    assert_refused(response, 400, log, "id_token_wrong_issuer")


def test_a_token_signed_by_an_unknown_key_is_refused(provider, client):
    stranger = _key("k1", variant=1)  # even one that claims a key id we hold
    with signin_log() as log:
        response = sign_in_with(client, provider, make_token=lambda claims: provider.sign(claims, stranger))
    assert_refused(response, 400, log, "id_token_bad_signature")
    other = _key("k-unknown")
    with signin_log() as log:
        response = sign_in_with(client, provider, make_token=lambda claims: provider.sign(claims, other))
    assert_refused(response, 400, log, "id_token_unknown_key")


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_a_token_with_alg_none_is_refused_even_when_discovery_offers_none(provider, client):
    provider.discovery["id_token_signing_alg_values_supported"] = ["none", "RS256"]
    with signin_log() as log:
        response = sign_in_with(client, provider, make_token=_unsigned)
    assert_refused(response, 400, log, "id_token_algorithm_refused")


def test_a_token_signed_with_the_client_secret_is_refused(provider, client):
    provider.discovery["id_token_signing_alg_values_supported"] = ["HS256", "RS256"]
    hmac_key = OctKey.import_key(SECRET.encode())
    with signin_log() as log:
        response = sign_in_with(client, provider, make_token=lambda c: provider.sign(c, hmac_key, "HS256"))
    assert_refused(response, 400, log, "id_token_algorithm_refused")


def test_a_tampered_token_is_refused(provider, client):
    def tampered(claims: dict) -> str:
        head, body, signature = provider.sign(claims).split(".")
        forged = base64.urlsafe_b64encode(json.dumps({**claims, "groups": ["admins"]}).encode()).rstrip(b"=")
        return f"{head}.{forged.decode()}.{signature}"
    with signin_log() as log:
        response = sign_in_with(client, provider, make_token=tampered)
    assert_refused(response, 400, log, "id_token_bad_signature")


def test_a_mismatched_nonce_is_refused(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, nonce="a-nonce-from-another-sign-in")
    assert_refused(response, 400, log, "id_token_nonce_mismatch")


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_refused(provider, client, verified):
    with signin_log() as log:
        response = sign_in_with(client, provider, email_verified=verified)
    assert_refused(response, 403, log, "email_not_verified")


def test_an_answer_naming_another_issuer_is_refused(provider, client):
    params = begin(client, provider)
    provider.id_token = provider.sign(provider.claims(params["nonce"]))
    with signin_log() as log:
        response = finish(client, params, iss="https://evil.example.test")
    assert_refused(response, 400, log, "response_from_another_issuer")


def test_keys_rotated_at_the_provider_are_fetched_again(provider, client, app):
    assert sign_in_with(client, provider).status_code == 303
    client.post("/logout")
    app.extensions["tracker_oidc_cache"].refetch_every = timedelta(0)
    provider.published = [_key("k2")]
    provider.signing_key = provider.published[0]
    assert sign_in_with(client, provider).status_code == 303
    assert provider.jwks_requests == 2


def test_unknown_key_ids_do_not_make_us_fetch_the_keys_again_and_again(provider, client):
    assert sign_in_with(client, provider).status_code == 303
    client.post("/logout")
    for kid in ("x1", "x2", "x3"):
        response = sign_in_with(client, provider, make_token=lambda claims, kid=kid: provider.sign(claims, _key(kid)))
        assert response.status_code == 400
    assert provider.jwks_requests == 1  # within refetch_every, the cached set answers


def test_a_person_removed_from_a_group_loses_its_role_and_team_at_the_next_sign_in(provider, client):
    assert sign_in_with(client, provider, groups=["grc-editors", "procurement-viewers"]).status_code == 303
    pat = db.session.scalar(select(User).where(User.email == "pat@example.com"))
    assert (pat.role, sorted(t.key for t in pat.teams)) == ("editor", ["grc", "procurement"])
    client.post("/logout")
    assert sign_in_with(client, provider, groups=["procurement-viewers"]).status_code == 303
    db.session.expire_all()
    assert (pat.role, [t.key for t in pat.teams]) == ("viewer", ["procurement"])
    # Roles are per team: the remaining team is held as a viewer, so the person may not write there.
    from tracker.people.permissions import role_in_team

    assert role_in_team(pat, pat.teams[0].id) == "viewer"


def test_a_team_whose_mapping_was_removed_is_left_but_hand_made_memberships_stay(provider, client):
    from tracker.people import operations as people

    assert sign_in_with(client, provider, groups=["grc-editors"]).status_code == 303
    client.post("/logout")
    pat = db.session.scalar(select(User).where(User.email == "pat@example.com"))
    hand_made = make_team(key="legal", name="Legal")
    people.set_membership(hand_made, pat, True, SYSTEM)
    mappings.save_group_mapping("grc-editors", "editor", [], SYSTEM)
    assert sign_in_with(client, provider, groups=["grc-editors"]).status_code == 303
    db.session.expire_all()
    assert [t.key for t in pat.teams] == ["legal"]


def test_the_subject_not_the_email_finds_a_linked_user(provider, client):
    assert sign_in_with(client, provider).status_code == 303
    client.post("/logout")
    # Someone else at the provider now shows the same address: no second link to that account.
    with signin_log() as log:
        response = sign_in_with(client, provider, sub="person-2")
    assert response.status_code == 403 and "email_linked_to_another_subject" in log.getvalue()
    assert db.session.scalar(select(func.count(OidcIdentity.id))) == 1


# 502 when the provider's answer is unusable, 400 when its token does not check out (start again).
@pytest.mark.parametrize("answer, status, reason", [
    (Response("<html>oops</html>", 200, content_type="text/html"), 502, "token_answer_not_json"),
    (Response(json.dumps({"error": "server_error"}), 500, content_type="application/json"), 502,
     "token_endpoint_status_500"),
    (Response(json.dumps({"access_token": "x"}), 200, content_type="application/json"), 400, "id_token_missing"),
    (Response(json.dumps({"id_token": "not.a.token"}), 200, content_type="application/json"), 400,
     "id_token_malformed"),
    (Response(json.dumps([1, 2]), 200, content_type="application/json"), 502, "token_endpoint_status_200"),
])
def test_a_token_endpoint_answering_garbage_gets_a_refusal_page(provider, client, answer, status, reason):
    provider.token_answer = answer
    with signin_log() as log:
        response = sign_in_with(client, provider)
    assert_refused(response, status, log, reason)


@pytest.mark.parametrize("change, reason", [
    ({"issuer": "https://evil.example.test"}, "discovery_issuer_mismatch"),
    ({"jwks_uri": None}, "discovery_missing_jwks_uri"),
    ({"id_token_signing_alg_values_supported": ["none"]}, "discovery_no_safe_algorithm"),
])
def test_a_discovery_document_we_cannot_trust_gets_a_refusal_page(provider, client, change, reason):
    provider.discovery.update(change)
    with signin_log() as log:
        response = client.get("/login/oidc/start")
    assert_refused(response, 502, log, reason)


def test_a_key_set_that_is_garbage_gets_a_refusal_page(provider, client, httpserver_ipv4):
    provider._jwks = None
    httpserver_ipv4.clear_all_handlers()
    httpserver_ipv4.expect_request("/.well-known/openid-configuration").respond_with_json(provider.discovery)
    httpserver_ipv4.expect_request("/jwks").respond_with_data("{not json")
    httpserver_ipv4.expect_request("/token", method="POST").respond_with_handler(provider._token)
    with signin_log() as log:
        response = sign_in_with(client, provider)
    assert_refused(response, 502, log, "provider_answer_not_json")


def test_the_log_of_a_refusal_holds_no_token_or_code(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, aud="someone-else")
    assert response.status_code == 400
    text = log.getvalue()
    assert provider.id_token not in text and "the-code" not in text and "at-123" not in text
    assert provider.id_token.split(".")[1] not in text


def test_a_name_the_tracker_would_refuse_gives_way_to_the_address(provider, client):
    assert sign_in_with(client, provider, name="Pat\u202eevil\x00").status_code == 303
    assert db.session.scalar(select(User.name).where(User.email == "pat@example.com")) == "pat"


def test_an_address_the_tracker_would_refuse_ends_the_sign_in(provider, client):
    with signin_log() as log:
        response = sign_in_with(client, provider, email="not an address")
    assert_refused(response, 403, log, "email_not_usable")
