"""Subscribers fetching a feed that just changed wait for one render instead of each rendering it."""

from __future__ import annotations

import threading
import urllib.request

from tests.factories import make_obligation, make_team
from tests.feed_checks import parse_all
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import render, tokens


def test_concurrent_fetches_of_a_changed_feed_render_it_once_and_get_the_same_bytes(
        app, clock, live_server, monkeypatch):
    team = make_team()
    make_obligation(team=team, title="Annual filing")
    url = live_server + "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
    db.session.commit()
    rendering, release = threading.Event(), threading.Event()
    renders = []
    real = render.render

    def slow_render(key):
        renders.append(key.version)
        rendering.set()
        release.wait(10)
        return real(key)

    monkeypatch.setattr(render, "render", slow_render)
    answers: list = [None, None, None]

    def fetch(slot: int) -> None:
        with urllib.request.urlopen(url, timeout=20) as response:
            answers[slot] = (response.status, response.headers["ETag"], response.read())

    first = threading.Thread(target=fetch, args=(0,))
    first.start()
    assert rendering.wait(10), "the first fetch never rendered"
    others = [threading.Thread(target=fetch, args=(slot,)) for slot in (1, 2)]
    for thread in others:
        thread.start()
    threading.Event().wait(0.3)  # the others arrive while the render is under way
    release.set()
    for thread in [first, *others]:
        thread.join(20)
    assert len(renders) == 1, renders
    assert answers[0] is not None and answers[0][0] == 200
    assert answers[1] == answers[0] and answers[2] == answers[0]
    parse_all(answers[0][2])
    assert len(app.extensions["feed_caches"].renders) == 0  # nothing left behind
