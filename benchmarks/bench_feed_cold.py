"""Cold feed render measured end to end: a real server process, a real HTTP client.

Seeds a SQLite file with `flask seed-synthetic` (7,500 obligations in three teams, about
2,500 each), then for each team: starts a server process (`flask run`, or gunicorn with
--server gunicorn, one worker), waits until it has loaded the app and accepts connections and fetches the team's feed once
over HTTP (nothing stored: a cold render, first request of the process). Each fetch is
paired with the icalendar library alone building the same events in this process, right
before it; the ratio is per pair. Then the server is restarted and the unchanged feed
fetched again (a fresh process with no in-memory cache: served from the stored body).

Also prints the in-process ratio (get_feed with caches and stored bodies cleared, in a
process that already rendered) so the two can be compared.

Run: python benchmarks/bench_feed_cold.py [--rounds 2] [--server flask|gunicorn]
"""

from __future__ import annotations

import argparse
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
                    pids += [int(child) for child in (task / "children").read_text().split()]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=7500)
    parser.add_argument("--teams", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="cold fetches per team")
    parser.add_argument("--server", choices=("flask", "gunicorn"), default="flask")
    args = parser.parse_args()

    from sqlalchemy import select

    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.feeds import tokens
    from tracker.feeds.render import get_feed
    from tracker.feeds.scope import team_scope
    from tracker.models import Team

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cold.db'}"
        env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SCHEDULER": "off",
               "TRACKER_SECRET_KEY": "bench-secret-key", "TRACKER_BASE_URL": BASE_URL, "PYTHONPATH": str(ROOT)}
        _flask(env, "db", "upgrade")
        print(_flask(env, "seed-synthetic", "--obligations", str(args.obligations), "--teams", str(args.teams),
                     "--seed", "7").strip())

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACKER_SCHEDULER": "off", "TRACKER_BASE_URL": BASE_URL,
                          "SECRET_KEY": "bench-secret-key"})
        with app.app_context():
            teams = []
            for team in db.session.scalars(select(Team).order_by(Team.id)):
                path = "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
                body, values = feed_values(team_scope(team))
                teams.append((team.id, path, body, values))
            db.session.remove()

            cold, restarted, starts = [], [], []
            for _ in range(args.rounds):
                for team_id, path, expected, values in teams:
                    forget_feeds()
                    db.session.remove()
                    alone, alone_cpu = _alone(values)
                    server = Server(args.server, env, tmp)
                    try:
                        seconds, cpu, body = server.fetch(path)
                    finally:
                        server.stop()
                    assert body == expected, "the server rendered other bytes"
                    cold.append((team_id, seconds, alone, cpu, alone_cpu))
                    starts.append(server.start_seconds)
                    # Unchanged content, fresh process: served from the stored body.
                    server = Server(args.server, env, tmp)
                    try:
                        again, _, body = server.fetch(path)
                    finally:
                        server.stop()
                    assert body == expected
                    restarted.append((again, seconds))

            # In process: this process has rendered before; only caches and stored feeds are cleared.
            in_process, fresh_app = [], []
            for team_id, _, _, values in teams:
                scope = team_scope(db.session.get(Team, team_id))
                for _ in range(3):
                    forget_feeds()
                    start = time.perf_counter()
                    get_feed(scope)
                    render_seconds = time.perf_counter() - start
                    in_process.append((render_seconds, _alone(values, 1)[0]))
                # A fresh app in this process (no in-memory cache): the stored body.
                other = create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACKER_SCHEDULER": "off",
                                    "TRACKER_BASE_URL": BASE_URL, "SECRET_KEY": "bench-secret-key"})
                with other.app_context():
                    other_scope = team_scope(db.session.get(Team, team_id))
                    get_feed(other_scope)  # first use of this app's engine and connection
                    other.extensions["feed_caches"].clear()
                    start = time.perf_counter()
                    get_feed(other_scope)
                    fresh_app.append((time.perf_counter() - start, render_seconds))
                    db.session.remove()
                    db.engine.dispose()
            db.session.remove()
            db.engine.dispose()

    events = [len(values) for _, _, _, values in teams]
    print(f"server: {args.server}; teams: {len(teams)}, VEVENTs per team feed: {events}; "
          f"server ready in {statistics.median(starts):.2f} s (median)")
    print("end to end, first HTTP fetch after the server started (cold render):")
    for team_id, seconds, alone, cpu, alone_cpu in cold:
        cpu_text = f"; server CPU {cpu * 1000:5.0f} ms vs {alone_cpu * 1000:5.0f} ms, {cpu / alone_cpu:5.2f}x" if cpu else ""
        print(f"  team {team_id}: {seconds * 1000:7.0f} ms, icalendar alone {alone * 1000:6.0f} ms, "
              f"ratio {seconds / alone:5.2f}x{cpu_text}")
    e2e = statistics.median(seconds / alone for _, seconds, alone, _, _ in cold)
    print(f"  median ratio end to end / icalendar alone:     {e2e:5.2f}x  (target <= 1.2x; wall clock)")
    if all(cpu for _, _, _, cpu, _ in cold):
        e2e_cpu = statistics.median(cpu / alone_cpu for _, _, _, cpu, alone_cpu in cold)
        print(f"  median ratio by CPU time (server / alone):     {e2e_cpu:5.2f}x  (less disturbed by other load)")
    ratio = statistics.median(render / alone for render, alone in in_process)
    print(f"in process, get_feed after clearing caches and stored feeds: "
          f"{statistics.median(r for r, _ in in_process) * 1000:.0f} ms")
    print(f"  median ratio in process / icalendar alone:     {ratio:5.2f}x")
    share = statistics.median(again / seconds for again, seconds in restarted)
    print(f"unchanged feed, first fetch of a restarted server (stored body): "
          f"{statistics.median(a for a, _ in restarted) * 1000:.1f} ms = {share * 100:.1f}% of its cold fetch")
    share = statistics.median(again / render for again, render in fresh_app)
    print(f"unchanged feed, fresh app in process (stored body):              "
          f"{statistics.median(a for a, _ in fresh_app) * 1000:.1f} ms = {share * 100:.1f}% of a cold render "
          f"(target <= 5%)")


if __name__ == "__main__":
    main()
