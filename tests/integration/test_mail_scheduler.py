"""The embedded scheduler's guards: one per machine, never in other commands or the reloader parent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from tracker.jobs import scheduler

ROOT = Path(__file__).resolve().parents[2]
HOLD_LOCK = """
import sys, time
from tracker.jobs.scheduler import _take_lock
print(_take_lock(sys.argv[1]), flush=True)
time.sleep(30)
"""


def test_a_second_process_does_not_get_the_scheduler_lock(tmp_path):
    first = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "True"
        second = subprocess.run([sys.executable, "-c", HOLD_LOCK.replace("time.sleep(30)", ""), str(tmp_path)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.stdout.strip() == "False"
    finally:
        first.kill()
        first.wait()
    # The lock dies with its process.
    third = subprocess.run([sys.executable, "-c", HOLD_LOCK.replace("time.sleep(30)", ""), str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert third.stdout.strip() == "True"


def test_embedded_scheduler_is_not_started_in_tests_or_other_commands(app, monkeypatch):
    assert scheduler.start_embedded(app) is False  # TESTING
    app.testing = False
    app.config["TRACKER_SCHEDULER"] = "embedded"
    try:
        with click.Context(click.Command("upgrade"), info_name="upgrade"):
            assert scheduler.serving_process(app) is False
        run = click.Context(click.Command("run"), info_name="run")
        run.params = {"reload": True}
        with run:
            monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
            assert scheduler.serving_process(app) is False  # the reloader's parent
            monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
            assert scheduler.serving_process(app) is True  # the reloader's child serves
        run.params = {"reload": False}
        monkeypatch.delenv("WERKZEUG_RUN_MAIN")
        with run:
            assert scheduler.serving_process(app) is True
        app.config["TRACKER_SCHEDULER"] = "off"
        assert scheduler.start_embedded(app) is False
    finally:
        app.testing = True
