"""The API of comments and evidence: the pages' rules, the same rendering, field errors."""

from __future__ import annotations

import base64
import hashlib

from tests.factories import make_obligation, make_team, make_user
from tests.integration.api_helpers import auth, expect_problem, token_for
from tests.vendor_files import pdf_bytes


def test_comments_render_safely_and_report_who_was_not_notified(client):
    team = make_team()
    make_user(email="dana@example.com", teams=[team])
    token = token_for("editor", teams=[team])
    ob = make_obligation(team=team)
    posted = client.post(f"/api/v1/obligations/{ob.id}/comments", headers=auth(token),
                         json={"body": "<script>x</script> **ok** @dana@example.com @who@example.com"})
    assert posted.status_code == 201
    out = posted.get_json()
    assert out["notified"] == ["dana@example.com"] and out["not_notified"] == {"who@example.com": "not a member of the team"}
    assert "<script>" not in out["comment"]["html"] and "<strong>ok</strong>" in out["comment"]["html"]
    listed = client.get(f"/api/v1/obligations/{ob.id}/comments", headers=auth(token_for("viewer"))).get_json()
    assert [c["id"] for c in listed["items"]] == [out["comment"]["id"]]
    expect_problem(client.post(f"/api/v1/obligations/{ob.id}/comments", headers=auth(token_for("viewer")),
                               json={"body": "hi"}), 403)
    other = token_for("editor", teams=[team])
    refused = client.patch(f"/api/v1/comments/{out['comment']['id']}", headers=auth(other), json={"body": "mine now"})
    assert "only its author" in expect_problem(refused, 422)["errors"][0]["message"]
    assert client.delete(f"/api/v1/comments/{out['comment']['id']}", headers=auth(other)).status_code == 204
    after = client.get(f"/api/v1/obligations/{ob.id}/comments", headers=auth(token)).get_json()["items"][0]
    assert (after["deleted"], after["body"], after["html"]) == (True, "", "")


def test_evidence_files_are_sniffed_hashed_and_downloadable(client):
    team = make_team()
    token = token_for("editor", teams=[team])
    ob = make_obligation(team=team)
    data = pdf_bytes()
    created = client.post(f"/api/v1/obligations/{ob.id}/evidence/files", headers=auth(token), json={
        "filename": "cert.pdf", "content_base64": base64.b64encode(data).decode(), "valid_until": "2027-12-31"})
    assert created.status_code == 201
    out = created.get_json()
    assert (out["content_type"], out["sha256"], out["valid_until"]) == (
        "application/pdf", hashlib.sha256(data).hexdigest(), "2027-12-31")
    assert client.get(out["download"], headers=auth(token)).data == data
    html = base64.b64encode(b"<html><script>alert(1)</script></html>").decode()
    refused = client.post(f"/api/v1/obligations/{ob.id}/evidence/files", headers=auth(token),
                          json={"filename": "x.pdf", "content_base64": html})
    assert expect_problem(refused, 422)["errors"][0]["path"] == "/content_base64"
    link = client.post(f"/api/v1/obligations/{ob.id}/evidence/links", headers=auth(token),
                       json={"url": "https://docs.example.org/x", "title": "Ticket"})
    assert link.status_code == 201 and link.get_json()["download"] is None
    listed = client.get(f"/api/v1/obligations/{ob.id}/evidence", headers=auth(token)).get_json()["items"]
    assert [e["kind"] for e in listed] == ["link", "file"]
