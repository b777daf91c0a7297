"""The pure parts of sign-in with an identity provider: groups to a role and teams, verified email,
claim checks, password rules. No Flask, no database."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracker
from tracker.signin.claims import ROLE_RANK, email_is_verified, groups_of, identity_from_claims, resolve_groups
from tracker.signin.errors import SigninRefused
from tracker.signin.idtoken import check_claims
from tracker.signin.settings import oidc_settings, password_signin_allowed

MAPPING = {"grc-editors": ("editor", ["grc"]), "procurement-viewers": ("viewer", ["procurement"]),
           "it-admins": ("admin", []), "auditors": ("viewer", ["grc", "audit"])}
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("groups, role, teams", [
    (["grc-editors"], "editor", {"grc"}),
    (["procurement-viewers", "grc-editors"], "editor", {"grc", "procurement"}),
    (["auditors", "it-admins"], "admin", {"grc", "audit"}),
    (["auditors", "unmapped"], "viewer", {"grc", "audit"}),
])
def test_the_highest_role_wins_and_teams_add_up(groups, role, teams):
    grant = resolve_groups(groups, MAPPING)
    assert (grant.role, set(grant.team_keys)) == (role, teams)


@pytest.mark.parametrize("groups", [[], ["sales"], ["GRC-EDITORS"]])
def test_groups_that_map_to_nothing_give_nothing(groups):
    assert resolve_groups(groups, MAPPING) is None


@given(st.lists(st.sampled_from(sorted(MAPPING) + ["x", "y"])))
def test_the_role_is_never_below_any_mapped_group(groups):
    grant = resolve_groups(groups, MAPPING)
    mapped = [MAPPING[g][0] for g in groups if g in MAPPING]
    assert (grant is None) == (not mapped)
    if grant:
        assert all(ROLE_RANK[grant.role] >= ROLE_RANK[role] for role in mapped)


@pytest.mark.parametrize("claims, verified", [
    ({"email_verified": True}, True), ({"email_verified": "true"}, True), ({"email_verified": False}, False),
    ({"email_verified": "false"}, False), ({"email_verified": 1}, False), ({}, False),
    ({"xms_edov": True}, True), ({"email_verified": False, "xms_edov": True}, False),
])
def test_only_a_verified_email_counts(claims, verified):
    assert email_is_verified(claims) is verified


def test_groups_claim_takes_a_list_or_one_name_and_nothing_else():
    assert groups_of({"groups": ["a", " b ", 3, "", "a"]}, "groups") == ("a", "b")
    assert groups_of({"roles": "a"}, "roles") == ("a",)
    assert groups_of({"groups": {"a": 1}}, "groups") == ()


def test_identity_keeps_the_email_only_when_verified():
    claims = {"iss": "https://idp", "sub": "s", "email": "Pat@Example.com", "given_name": "Pat", "family_name": "Lee"}
    assert identity_from_claims(claims, "groups").email is None
    identity = identity_from_claims({**claims, "email_verified": True}, "groups")
    assert (identity.email, identity.name) == ("pat@example.com", "Pat Lee")


def _claims(**changes):
    moment = int(NOW.timestamp())
    claims = {"iss": "https://idp", "aud": "tracker", "sub": "s", "exp": moment + 300, "iat": moment, "nonce": "n"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("changes, reason", [
    ({"iss": "https://other"}, "id_token_wrong_issuer"),
    ({"aud": "other"}, "id_token_wrong_audience"),
    ({"aud": ["tracker", "other"]}, "id_token_wrong_authorized_party"),
    ({"exp": int(NOW.timestamp()) - 61}, "id_token_expired"),
    ({"exp": None}, "id_token_exp_missing"),
    ({"exp": True}, "id_token_exp_missing"),
    ({"iat": int(NOW.timestamp()) + 61}, "id_token_issued_in_the_future"),
    ({"iat": int(NOW.timestamp()) - 3600}, "id_token_too_old"),
    ({"nonce": "m"}, "id_token_nonce_mismatch"),
    ({"nonce": None}, "id_token_nonce_mismatch"),
    ({"sub": ""}, "id_token_subject_missing"),
])
def test_each_claim_check_refuses(changes, reason):
    with pytest.raises(SigninRefused) as refused:
        check_claims(_claims(**changes), "https://idp", "tracker", "n", NOW)
    assert refused.value.reason == reason


def test_good_claims_pass_within_the_leeway():
    check_claims(_claims(exp=int(NOW.timestamp()) - 30, aud=["tracker", "x"], azp="tracker"),
                 "https://idp", "tracker", "n", NOW)


def test_settings_need_an_issuer_and_a_client_and_put_openid_first():
    assert oidc_settings({"TRACKER_OIDC_ISSUER": "https://idp"}) is None
    settings = oidc_settings({"TRACKER_OIDC_ISSUER": "https://idp/", "TRACKER_OIDC_CLIENT_ID": "c",
                              "TRACKER_OIDC_SCOPES": "email groups openid", "TRACKER_BASE_URL": "https://t.example/"})
    assert (settings.issuer, settings.scopes) == ("https://idp", "openid email groups")
    assert settings.redirect_uri == "https://t.example/login/oidc/callback"
    assert settings.issuer_problem() is None


@pytest.mark.parametrize("issuer, ok", [("https://idp.example", True), ("http://127.0.0.1:8080", True),
                                        ("http://idp.example", False), ("ftp://idp", False)])
def test_plain_http_issuers_only_on_loopback(issuer, ok):
    settings = oidc_settings({"TRACKER_OIDC_ISSUER": issuer, "TRACKER_OIDC_CLIENT_ID": "c"})
    assert (settings.issuer_problem() is None) is ok


def test_passwords_off_leave_only_break_glass_admins():
    assert password_signin_allowed({}, "anyone@example.com")
    off = {"TRACKER_PASSWORD_SIGNIN": False, "TRACKER_BREAK_GLASS_ADMINS": ["root@example.com"]}
    assert password_signin_allowed(off, " Root@Example.com ")
    assert not password_signin_allowed(off, "anyone@example.com")


def test_the_pure_sign_in_modules_import_neither_flask_nor_the_database():
    root = Path(tracker.__file__).parent / "signin"
    for name in ("claims.py", "settings.py", "idtoken.py", "errors.py", "provider.py", "flow.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        impure = {n for n in names if n.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy")}
        impure |= {n for n in names if n.startswith("tracker") and not n.startswith("tracker.signin.")}
        assert not impure, (name, impure)
