"""A backup taken while the app writes is one moment of the database; a full disk leaves no archive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from tests.factories import make_obligation, make_team
from tracker import PROJECT_ROOT
from tracker.db import db


def archived_rows(path: Path, table: str) -> list[dict]:
    """The rows of `table` in the archive, as dicts by column name."""
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        entry = next(t for t in manifest["tables"] if t["name"] == table)
        found = []
        for part in entry["parts"]:
            for line in tar.extractfile(part["name"]):
                found.append(dict(zip(entry["columns"], json.loads(line))))
        return found


def test_a_backup_during_writes_holds_each_write_whole_or_not_at_all(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["seed-synthetic", "--obligations", "400", "--seed", "7"])
    assert result.exit_code == 0, result.output
    team = make_team(key="writers")
    stop, written, failures = threading.Event(), [], []

    def write() -> None:
        with app.app_context():
            try:
                while not stop.is_set():
                    written.append(make_obligation(team, key=f"w-{len(written)}").id)
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)
            finally:
                db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 3:
            stop.wait(0.01)
        before = len(written)
        backup = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "busy.tar")])
        during = len(written)
    finally:
        stop.set()
        writer.join()
    assert backup.exit_code == 0, backup.output
    assert not failures
    obligations = {row["id"] for row in archived_rows(tmp_path / "busy.tar", "obligations")
                   if row["key"].startswith("w-")}
    created = {row["entity_id"] for row in archived_rows(tmp_path / "busy.tar", "audit_log")
               if row["entity"] == "obligation" and row["action"] == "create" and row["entity_key"].startswith("w-")}
    # Each write is an obligation and its audit entry in one transaction: the snapshot has both
    # of every write it saw, and neither of a write it did not, while writes went on meanwhile.
    assert obligations == created
    assert before <= len(obligations) <= during, (before, len(obligations), during)
    assert during > before


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root and mount namespaces (unshare) for a tiny tmpfs")
def test_a_full_disk_fails_the_backup_with_a_message_and_leaves_no_archive(app, database_url, tmp_path):
    result = app.test_cli_runner().invoke(args=["seed-synthetic", "--obligations", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    full = tmp_path / "full"
    full.mkdir()
    # A 128 KB file system of its own, in a mount namespace that ends with the command.
    script = (f'mount -t tmpfs -o size=128k tmpfs "{full}" && '
              f'"{sys.executable}" -m flask --app app backup "{full}/backup.tar"; code=$?; '
              f'ls -A "{full}"; exit $code')
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_SECRET_KEY": "test-secret",
           "TRACKER_SCHEDULER": "off"}
    run = subprocess.run(["unshare", "--mount", "sh", "-c", script], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "could not write" in run.stderr and "the disk is full" in run.stderr
    assert "no archive was left under that name" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.strip() == ""  # nothing left in the full file system: no archive, no temporary file
