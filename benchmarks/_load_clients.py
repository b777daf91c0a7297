"""bench_load.py's clients: keep-alive HTTP connections, the request mix, the timings."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Client:
    """One keep-alive HTTP connection; `call` times the request and reading the body."""

    def __init__(self, port: int):
        self.port, self.connection = port, None

    def call(self, method: str, path: str, token: str | None = None, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes, float]:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, dict(response.getheaders()), data, time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection = None  # the server closed a kept-alive connection: once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Load:
    """The client threads' shared state: what to request, and every timing."""

    def __init__(self, seeded, port: int, think: float):
        self.seeded, self.port, self.think = seeded, port, think
        self.times: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[str, Counter] = defaultdict(Counter)
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.fixed = [ob for ob, rule in seeded.obligations if rule == "fixed"]
        self.all_ids = [ob for ob, _ in seeded.obligations]

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.codes[kind][status] += 1

    def one(self, client: Client, rng: random.Random, etags: dict) -> None:
        s, roll = self.seeded, rng.random()
        if roll < 0.35:
            path = rng.choice(s.feed_paths)
            headers = {"If-None-Match": etags[path]} if path in etags and rng.random() < 0.5 else {}
            status, head, _, seconds = client.call("GET", path, headers=headers)
            if status == 200 and "ETag" in head:
                etags[path] = head["ETag"]
            self.record("feed fetch", status, seconds)
        elif roll < 0.65:
            token = rng.choice(s.viewer_tokens)
            if rng.random() < 0.7:
                path = f"/api/v1/obligations?team={rng.choice(s.team_keys)}&limit=50"
            else:
                path = f"/api/v1/obligations/{rng.choice(self.all_ids)}"
            status, _, _, seconds = client.call("GET", path, token)
            self.record("API read", status, seconds)
        else:
            token, pick = rng.choice(s.editor_tokens), rng.random()
            if pick < 0.5:
                ob = rng.choice(self.all_ids)
                call = ("PATCH", f"/api/v1/obligations/{ob}", {"title": f"Load edit {rng.randrange(10**6)}"})
            elif pick < 0.8:
                ob, day = rng.choice(self.fixed), date.today() + timedelta(days=rng.randrange(-5, 36))
                call = ("PATCH", f"/api/v1/obligations/{ob}", {"deadline": {"rule": "fixed", "date": day.isoformat()}})
            else:
                ob = rng.choice(self.all_ids)
                call = ("POST", f"/api/v1/obligations/{ob}/status", {"status": rng.choice(("open", "in_progress"))})
            status, _, _, seconds = client.call(call[0], call[1], token, call[2])
            self.record("API write", status, seconds)

    def client_thread(self, seed: int) -> None:
        rng, client, etags = random.Random(seed), Client(self.port), {}
        while not self.stop.is_set():
            try:
                self.one(client, rng, etags)
            except Exception as exc:  # noqa: BLE001 (counted and shown, the load goes on)
                with self.lock:
                    self.errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
                client.connection = None
            self.stop.wait(rng.uniform(0, 2 * self.think))


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def quiet_baseline(load: Load, rounds: int = 8) -> dict[str, float]:
    """Median of each kind of request with nothing else running (after one warm-up each)."""
    rng, client, etags = random.Random(7), Client(load.port), {}
    for path in load.seeded.feed_paths:  # first renders: not measured
        client.call("GET", path)
    for _ in range(rounds * 4):
        load.one(client, rng, etags)
    medians = {kind: sorted(values)[len(values) // 2] for kind, values in load.times.items()}
    load.times.clear()
    load.codes.clear()
    return medians


def record_event(load: Load, out: dict) -> None:
    day = (date.today() - timedelta(days=20)).isoformat()
    status, _, body, seconds = Client(load.port).call(
        "POST", f"/api/v1/events/{load.seeded.event_id}/occurred", load.seeded.editor_tokens[0], {"date": day})
    moved = None
    try:
        document = json.loads(body)
        moved = len(document.get("changes") or [])
    except ValueError:
        pass
    out.update(status=status, seconds=seconds, moved=moved)


def kill_one(loop: ReminderLoop, out: dict, give_up: float) -> None:
    """kill -9 the loop's pass once it has run for a second (it is then planning or sending)."""
    while time.monotonic() < give_up:
        process = loop.current
        if process is not None and time.monotonic() - loop.current_since >= 1.0 and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            out.update(at=time.time(), after=time.monotonic() - loop.current_since,
                       clock=f"{loop.current_now:%Y-%m-%d %H:%M:%S}", pid=process.pid)
            return
        time.sleep(0.05)
    out["missed"] = True


