"""The one lookup by a presented secret (tracker.sealing.find_by_secret): feed URLs, contact feeds and
response links all go through it, so one copy of the constant-time code is the one to audit."""

import hmac

import pytest

from tests.factories import make_team
from tests.integration.test_vendor_responses import setup  # noqa: F401 (fixture)
from tracker import sealing
from tracker.audit import SYSTEM
from tracker.feeds import tokens
from tracker.models import FeedToken, VendorLink
from tracker.vendors import contact_feeds, links


@pytest.fixture
def compares(monkeypatch):
    """Every digest comparison the lookup makes, still made by hmac.compare_digest."""
    made, compare = [], hmac.compare_digest

    def recording(a, b):
        made.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(sealing.hmac, "compare_digest", recording)
    return made


def test_each_kind_of_secret_opens_its_own_row_and_nothing_else(app, setup):
    feed = tokens.ensure_token(make_team(), SYSTEM)
    contact = setup["vendor"].contacts[0]
    contact_token = contact_feeds.ensure_contact_token(contact)
    assert tokens.find_active(feed.token).id == feed.id
    assert contact_feeds.find_contact(contact_token).id == contact.id
    assert links.find(setup["token"]).state == "ok"
    # A secret of one kind opens nothing of another.
    assert tokens.find_active(setup["token"]) is None and contact_feeds.find_contact(feed.token) is None
    assert links.find(contact_token).state == "unknown"


@pytest.mark.parametrize("presented", [None, "", "a" * 42, "a" * 44, "a" * 42 + "/", "a" * 42 + ".",
                                       "a" * 42 + "\n", "é" * 43])
def test_anything_but_a_token_shape_is_refused_before_a_digest_is_compared(app, compares, presented):
    assert sealing.find_by_secret(FeedToken, presented) is None
    assert sealing.find_by_secret(VendorLink, presented, selector=VendorLink.selector, selector_length=12) is None
    assert compares == []


def test_an_unknown_token_costs_the_same_compare_as_a_known_one(app, setup, compares):
    known = tokens.ensure_token(make_team(), SYSTEM).token
    unknown = ("b" if known[0] != "b" else "c") + known[1:]
    # Same selector as a real response link, another secret: the digests differ, so it is unknown.
    forged = setup["token"][:12] + ("x" if setup["token"][12] != "x" else "y") + setup["token"][13:]
    compares.clear()
    assert tokens.find_active(unknown) is None
    assert tokens.find_active(known) is not None
    assert links.find(forged).state == "unknown"
    assert len(compares) == 3 and all(len(a) == len(b) == 64 for a, b in compares)


def test_a_revoked_feed_token_is_found_but_not_active(app):
    team = make_team()
    old = tokens.ensure_token(team, SYSTEM).token
    tokens.regenerate(team, SYSTEM)
    assert sealing.find_by_secret(FeedToken, old) is not None  # the row: what is still live is the caller's
    assert tokens.find_active(old) is None
