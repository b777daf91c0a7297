"""A simulated year: every expected email arrives exactly once, at 09:00 local, nothing else.

Demo data (Los Angeles and New York teams) plus small synthetic teams in
Tokyo (east of UTC, no DST) and Berlin (crosses both DST changes). The pass
runs at every team's 09:00 local time each day plus once at 00:00 UTC, which
is enough to see a reminder sent early or late: each one must be planned and
delivered at exactly the 09:00 local instant of its date.

The expectations are restated independently here (the SPEC's rules), not
computed with the code under test.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import make_obligation, make_team, make_user
from tests.mail_support import SmtpServer
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Obligation, OutboxMessage, Team
from tracker.packs.importer import import_pack_text
from tracker.jobs.reminder_pass import run_pass

DEMO = Path(__file__).resolve().parents[2] / "tracker" / "packs" / "data" / "demo.json"
START, END = date(2026, 1, 1), date(2026, 12, 31)


def nine_local(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def expected_messages(created: datetime, last_tick: datetime) -> Counter:
    """(kind, obligation/team id, lead or week, recipient email, instant) for the whole year."""
    expected: Counter = Counter()
    teams = db.session.scalars(select(Team)).all()
    for team in teams:
        members = [user.email for user in team.members if user.active]
        for ob in db.session.scalars(select(Obligation).where(Obligation.team_id == team.id)):
            if ob.due_date is None or ob.due_state not in ("firm", "projected"):
                continue
            people = set(members) | ({ob.owner.email} if ob.owner else set())
            instants = []
            for lead in team.lead_days:
                instant = nine_local(ob.due_date - timedelta(days=lead), team.timezone)
                if created < instant <= last_tick:
                    instants.append(("reminder", lead, instant))
            days_over = 1
            while True:
                instant = nine_local(ob.due_date + timedelta(days=days_over), team.timezone)
                if instant > last_tick:
                    break
                # A deadline waiting on a stale estimate is not late: no overdue notice.
                local_day = instant.astimezone(ZoneInfo(team.timezone)).date()
                if instant > created and not ob.waits_on_stale_estimate(local_day):
                    instants.append(("overdue", days_over, instant))
                days_over += team.overdue_every_days
            for kind, lead, instant in instants:
                for email in people:
                    expected[(kind, ob.id, lead, email, instant)] += 1
        day = START
        while day <= END:
            if team.digest_weekday is not None and day.weekday() == team.digest_weekday and nine_local(day, team.timezone) <= last_tick:
                week = "{}-W{:02d}".format(*day.isocalendar()[:2])
                for email in members:
                    expected[("digest", team.id, week, email, nine_local(day, team.timezone))] += 1
            day += timedelta(days=1)
    return expected


@pytest.mark.slow
def test_a_year_of_reminders_arrives_exactly_once_at_nine_local(app, clock):
    created = datetime(2025, 12, 31, 12, 0, tzinfo=timezone.utc)
    clock.move_to(created)
    import_pack_text(DEMO.read_text(), SYSTEM)
    # Varied policies: fortnightly overdue notices, no digest, a Wednesday digest.
    people.update_team(db.session.scalar(select(Team).where(Team.key == "procurement")), SYSTEM,
                       overdue_every_days=14)
    people.update_team(db.session.scalar(select(Team).where(Team.key == "export-compliance")), SYSTEM,
                       digest_weekday=None, overdue_every_days=30)
    tokyo = make_team(key="tokyo", timezone="Asia/Tokyo")
    people.update_team(tokyo, SYSTEM, digest_weekday=2, reminder_lead_days="14,2")
    berlin = make_team(key="berlin", timezone="Europe/Berlin")
    people.update_team(berlin, SYSTEM, digest_weekday=None)
    make_user(email="tokyo@example.com", teams=[tokyo], password=None)
    make_user(email="berlin@example.com", teams=[berlin], password=None)
    for day in (date(2026, 2, 10), date(2026, 8, 31)):
        make_obligation(team=tokyo, rule_date=day)
    # Lead times falling on both of Berlin's DST change days (29 Mar, 25 Oct).
    for day in (date(2026, 3, 30), date(2026, 4, 5), date(2026, 11, 1)):
        make_obligation(team=berlin, rule_date=day)
    db.session.commit()
    # The pass times: on days with something expected (and the days around
    # them), 09:00 in every team's zone, so a message sent early or late shows
    # up at another zone's tick; on quiet days one tick, rotating through the
    # zones. A message planned at any other instant counts as "extra".
    zones = sorted({team.timezone for team in db.session.scalars(select(Team))})
    assert {"Asia/Tokyo", "Europe/Berlin", "America/New_York", "America/Los_Angeles"} <= set(zones)
    last_tick = nine_local(END, zones[0])
    expected = expected_messages(created, datetime(2027, 1, 1, tzinfo=timezone.utc))
    busy = {key[4].date() for key in expected}
    ticks = set()
    day = START
    while day <= END:
        if day in busy:
            ticks.update(nine_local(day, zone) for zone in zones)
        else:
            ticks.add(nine_local(day, zones[day.toordinal() % len(zones)]))
        day += timedelta(days=1)
    assert nine_local(date(2026, 10, 24), "Europe/Berlin").hour == 7
    assert nine_local(date(2026, 10, 25), "Europe/Berlin").hour == 8
    server = SmtpServer()
    server.start()
    server.configure(app)
    try:
        for tick in sorted(ticks):
            run_pass(tick)
    finally:
        server.stop()
    last_tick = max(ticks)
    expected = expected_messages(created, last_tick)
    # The team's deadline mail; the demo's vendor contacts' mail is tested in test_vendor_mail.py.
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.not_like("vendor_%"),
                                                         OutboxMessage.kind != "stale_estimate")).all()
    actual = Counter()
    deadline_mail = Counter()
    for row in rows:
        if row.kind == "digest":
            actual[(row.kind, row.team_id, row.dedupe_key.split(":")[2], row.recipient, row.created_at)] += 1
        else:  # per item: every deadline of the message
            assert row.items and all(item.status == "queued" for item in row.items)
            for item in row.items:
                actual[(item.kind, item.obligation_id, item.lead_days, row.recipient, row.created_at)] += 1
            deadline_mail[(row.recipient, row.created_at)] += 1
        assert row.status == "sent" and row.sent_at is not None
        assert row.sent_at - row.created_at < timedelta(minutes=1)
    # Everything due for one person at one send time came as one email.
    assert set(deadline_mail.values()) == {1}
    assert sum(expected.values()) > 100
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    # (Vendor mail "<v.", and the weekly stale-estimate notices "<s.", checked elsewhere.)
    received = Counter(mid for mid in server.message_ids() if not mid.strip().startswith(("<v.", "<s.")))
    assert set(received.values()) == {1}
    assert set(received) == {row.message_id for row in rows}
    stale = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stale_estimate")).all()
    assert stale and all(row.status == "sent" for row in stale)
    # One notice per event, week and person: no item key twice.
    from tracker.vendors.mail.queue import items_of

    keys = [key for row in stale for key in items_of(row.id)]
    assert len(keys) == len(set(keys))
