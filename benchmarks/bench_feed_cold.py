"""Feeds end to end: cold render, fetch after restart and first fetch after a change, over HTTP.

Seeds a SQLite file with `flask seed-synthetic` (7,500 obligations in three teams, about
2,500 each). The floor every figure is compared with is the icalendar library alone building
the same events (read from our own feed, then rebuilt from plain values) in this process,
measured right before each team's fetches. For each team:

1. cold render: a new server process (`flask run`, or gunicorn with --server gunicorn, one
   worker) fetches the team's feed once with nothing stored or cached (its first request);
2. fetch after restart: a second server process (another worker, or the first one
   restarted) fetches the unchanged feed: the stored body;
3. first fetch after a change: an obligation's status is changed through the JSON API on the
   first server; its refresher renders the feed after the commit; once the stored body is the
   new version, the second server fetches it (that worker has not seen the version). Also
   measured: a fetch sent right after the API call returns, while the render may be under way.

Ratios are per team, then the median of the three teams. Also prints the in-process render
with the narrow serializer and with the icalendar one it replaced (issue 29), and the CPU a
deploy restart of 1,000 such teams costs.

Run: python benchmarks/bench_feed_cold.py [--repeat 3] [--server flask|gunicorn]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _support import ROOT, feed_values, forget_feeds, icalendar_alone

BASE_URL = "https://tracker.example.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout


class Server:
    """A server process on a free loopback port, ready when it accepts a connection."""

    def __init__(self, kind: str, env: dict, tmp: str) -> None:
        self.port = _free_port()
        ready = Path(tmp) / f"ready-{self.port}"
        if kind == "gunicorn":
            # As the README runs it (no --preload: each worker loads the app); the worker says
            # when it has loaded the app, since the master accepts connections before that.
            config = Path(tmp) / "gunicorn_ready.py"
            config.write_text("import os\n\ndef post_worker_init(worker):\n"
                              "    open(os.environ['BENCH_READY_FILE'], 'w').close()\n")
            env = {**env, "BENCH_READY_FILE": str(ready)}
            command = [sys.executable, "-m", "gunicorn", "-c", str(config), "-w", "1",
                       "-b", f"127.0.0.1:{self.port}", "app:app"]
        else:
            ready.touch()  # flask run loads the app before it listens
            command = [sys.executable, "-m", "flask", "--app", "app", "run", "--no-reload", "--port", str(self.port)]
        started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                if ready.exists():
                    break
            except OSError:
                pass
            time.sleep(0.05)
        self.start_seconds = time.perf_counter() - started

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server and its worker processes (Linux /proc), else None."""
        pids, total = [self.process.pid], 0.0
        try:
            while pids:
                pid = pids.pop()
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                for task in Path(f"/proc/{pid}/task").iterdir():
                    try:
                        pids += [int(child) for child in (task / "children").read_text().split()]
                    except OSError:
                        pass  # a thread that just ended
        except (OSError, ValueError, IndexError):
            return None
        return total

    def fetch(self, path: str) -> tuple[float, float | None, bytes]:
        """Wall-clock seconds of one GET, the server's CPU seconds for it, and the body."""
        cpu_before = self.cpu_seconds()
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=120) as response:
            body = response.read()
        seconds = time.perf_counter() - start
        cpu_after = self.cpu_seconds()
        cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        return seconds, cpu, body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _alone(values: list[dict], repeat: int = 3) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of the icalendar library alone building `values`."""
    samples = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        icalendar_alone(values)
        samples.append((time.perf_counter() - start, time.process_time() - cpu))
    return statistics.median(s for s, _ in samples), statistics.median(c for _, c in samples)


def _api(server: Server, token: str, obligation_id: int, status: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/obligations/{obligation_id}/status", method="POST",
        data=json.dumps({"status": status}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def _stored_etag(scope_key: str) -> str | None:
    from sqlalchemy import select

    from tracker.db import db
    from tracker.models import FeedBody

    etag = db.session.scalar(select(FeedBody.etag).where(FeedBody.scope_key == scope_key,
                                                         FeedBody.variant == "plain"))
    db.session.commit()
    return etag


def _wait_for_new_body(scope_key: str, old_etag: str | None, timeout: float = 60) -> float:
    """Seconds until the stored body of `scope_key` is another version than `old_etag`."""
    start = time.perf_counter()
    while _stored_etag(scope_key) == old_etag:
        if time.perf_counter() - start > timeout:
            raise RuntimeError("the change was not rendered off the request path")
        time.sleep(0.02)
    return time.perf_counter() - start


def _forget(scope_key: str) -> None:
    """Drop one feed's stored body and validators (the others stay)."""
    from sqlalchemy import delete

    from tracker.db import db
    from tracker.feeds.cache import caches
    from tracker.models import FeedBody, FeedValidator

    caches().clear()
    db.session.execute(delete(FeedBody).where(FeedBody.scope_key == scope_key))
    db.session.execute(delete(FeedValidator).where(FeedValidator.scope_key == scope_key))
    db.session.commit()


def _in_process(teams, url: str) -> list[tuple]:
    """(team, render with the narrow serializer, with icalendar's, icalendar alone) in this process."""
    import tracker.feeds.render as render_module
    from tests.unit.test_ical_serializer import icalendar_vevent_bytes
    from tracker.db import db
    from tracker.feeds.scope import team_scope
    from tracker.models import Team

    rows = []
    for team_id, _, _, values, _, _ in teams:
        scope = team_scope(db.session.get(Team, team_id))
        timings = []
        for serializer in (render_module.vevent_bytes, icalendar_vevent_bytes):
            original = render_module.vevent_bytes
            render_module.vevent_bytes = serializer
            try:
                forget_feeds()
                start = time.perf_counter()
                render_module.render(render_module.feed_key(scope))
                timings.append(time.perf_counter() - start)
            finally:
                render_module.vevent_bytes = original
        rows.append((team_id, *timings, _alone(values, 1)[0]))
    forget_feeds()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=7500)
    parser.add_argument("--teams", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="fetches after restart and after a change, per team")
    parser.add_argument("--server", choices=("flask", "gunicorn"), default="flask")
    args = parser.parse_args()

    from sqlalchemy import select

    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.feeds import tokens
    from tracker.feeds.render import get_feed
    from tracker.feeds.scope import team_scope
    from tracker.models import Obligation, Team

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cold.db'}"
        env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SCHEDULER": "off",
               "TRACKER_SECRET_KEY": "bench-secret-key", "TRACKER_BASE_URL": BASE_URL, "PYTHONPATH": str(ROOT)}
        _flask(env, "db", "upgrade")
        print(_flask(env, "seed-synthetic", "--obligations", str(args.obligations), "--teams", str(args.teams),
                     "--seed", "7").strip())
        _flask(env, "create-user", "bench@example.com", "--role", "admin", "--password", "bench-password-1")
        api_token = _flask(env, "create-token", "bench@example.com", "bench").strip()

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACKER_SCHEDULER": "off", "TRACKER_BASE_URL": BASE_URL,
                          "SECRET_KEY": "bench-secret-key", "TRACKER_FEED_PRERENDER": False,
                          "TRACKER_FEED_WARM_UP": False})
        with app.app_context():
            teams = []
            for team in db.session.scalars(select(Team).order_by(Team.id)):
                path = "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
                body, values = feed_values(team_scope(team))
                changed = db.session.scalar(select(Obligation.id).where(
                    Obligation.team_id == team.id, Obligation.deleted_at.is_(None), Obligation.status == "open",
                    Obligation.rule == "fixed", Obligation.due_date.is_not(None)).order_by(Obligation.due_date.desc()))
                teams.append((team.id, path, body, values, f"team:{team.id}", changed))
            db.session.remove()

            # Every feed has its stored body, as in a running deployment; each team's is dropped before its turn.
            for team_id, *_ in teams:
                get_feed(team_scope(db.session.get(Team, team_id)))
            results = []
            for team_id, path, expected, values, scope_key, changed in teams:
                _forget(scope_key)
                alone, alone_cpu = _alone(values)
                first = Server(args.server, env, tmp)
                try:
                    cold, cold_cpu, body = first.fetch(path)
                    assert body == expected, "the server rendered other bytes"
                    restarts = []  # the unchanged feed, first fetch of a fresh process: the stored body
                    for _ in range(args.repeat):
                        second = Server(args.server, env, tmp)
                        restarts.append(second.fetch(path))
                        assert restarts[-1][2] == expected
                        if len(restarts) < args.repeat:
                            second.stop()
                    try:
                        afters, settles = [], []
                        for turn in range(args.repeat):
                            # A change through the API on the first server; its refresher renders after the
                            # commit; the second server has not seen the new version: the stored body.
                            old = _stored_etag(scope_key)
                            _api(first, api_token, changed, ("in_progress", "open")[turn % 2])
                            settles.append(_wait_for_new_body(scope_key, old))
                            afters.append(second.fetch(path))
                            assert afters[-1][2] != expected
                        # One more change, fetched as soon as the API call returns: the render may be under way.
                        old = _stored_etag(scope_key)
                        _api(first, api_token, changed, "done")
                        at_once = second.fetch(path)
                        _wait_for_new_body(scope_key, old)
                        assert b"Done: " in at_once[2]
                    finally:
                        second.stop()
                finally:
                    first.stop()
                results.append(dict(
                    team=team_id, events=len(values), alone=alone, alone_cpu=alone_cpu, cold=cold, cold_cpu=cold_cpu,
                    restart=statistics.median(r[0] for r in restarts), after=statistics.median(a[0] for a in afters),
                    restart_cpu=statistics.median([r[1] for r in restarts if r[1] is not None] or [0.0]), settle=statistics.median(settles),
                    at_once=at_once[0]))
            in_process = _in_process(teams, url)
            db.session.remove()
            db.engine.dispose()

    median = lambda name: statistics.median(r[name] for r in results)  # noqa: E731
    ratio = lambda name, base="alone": statistics.median(r[name] / r[base] for r in results)  # noqa: E731
    print(f"server: {args.server}; teams: {len(teams)}, VEVENTs per team feed: {[r['events'] for r in results]}")
    print(f"per team, wall clock (server CPU in brackets; after restart and after a change: "
          f"medians of {args.repeat}):")
    for r in results:
        r["cold_cpu"] = r["cold_cpu"] or float("nan")
        print(f"  team {r['team']}: icalendar alone {r['alone'] * 1000:5.0f} ms [{r['alone_cpu'] * 1000:4.0f}]; "
              f"cold {r['cold'] * 1000:5.0f} ms [{r['cold_cpu'] * 1000:4.0f}]; "
              f"after restart {r['restart'] * 1000:5.1f} ms [{r['restart_cpu'] * 1000:4.0f}]; "
              f"first fetch after a change {r['after'] * 1000:5.1f} ms "
              f"(stored {r['settle'] * 1000:.0f} ms after the API call); at once {r['at_once'] * 1000:5.1f} ms")
    print(f"cold render / icalendar alone, same events:          {ratio('cold'):5.2f}x wall, "
          f"{ratio('cold_cpu', 'alone_cpu'):5.2f}x CPU  (target <= 0.75x)")
    print(f"fetch after restart (stored body) / icalendar alone: {ratio('restart'):6.3f}x ({median('restart') * 1000:.1f} ms)")
    print(f"first fetch after a change / icalendar alone:        {ratio('after'):6.3f}x ({median('after') * 1000:.1f} ms)")
    print(f"first fetch after a change / stored-body fetch:      {ratio('after', 'restart'):5.2f}x  (target <= 3x)")
    print(f"fetch sent as the change commits / icalendar alone:  {ratio('at_once'):6.3f}x ({median('at_once') * 1000:.1f} ms)")
    print("in process (render only, caches and stored bodies cleared):")
    for team_id, narrow, old, alone in in_process:
        print(f"  team {team_id}: {narrow * 1000:5.0f} ms; with icalendar's serializer {old * 1000:5.0f} ms; "
              f"icalendar alone {alone * 1000:5.0f} ms")
    print(f"  median ratio to icalendar alone: {statistics.median(n / a for _, n, _, a in in_process):5.2f}x; "
          f"with icalendar's serializer {statistics.median(o / a for _, _, o, a in in_process):5.2f}x")
    per_team_cpu = median("restart_cpu")
    print(f"deploy restart of 1,000 teams of this size: first fetch of each from its stored body "
          f"{per_team_cpu * 1000:.0f} CPU-s in all; if the render format changed (every feed rendered once) "
          f"{median('cold_cpu') * 1000:.0f} CPU-s")


if __name__ == "__main__":
    main()
