"""A backup taken while the app writes is one moment of the database; a full disk leaves no archive."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from tests.backup_support import fresh_database, make_app, team_count
from tests.conftest import PG_URL, is_postgresql
from tests.factories import make_obligation, make_team
from tracker import PROJECT_ROOT
from tracker.db import db
from tracker.operations import file_stores


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


@pytest.fixture
def disk_store(monkeypatch, tmp_path):
    """A store of files on disk, registered as a domain would (its directory named by an app setting)."""
    monkeypatch.setitem(file_stores.STORES, "uploads", "TEST_UPLOADS_DIR")
    source = tmp_path / "uploads"
    (source / "2026" / "12").mkdir(parents=True)
    (source / "2026" / "12" / "evidence.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4000)
    (source / "notes.txt").write_text("kept beside the database\n")
    return source


def _restore_into(tmp_path, archive_path, uploads):
    kind = "postgresql" if is_postgresql() else "sqlite"
    with fresh_database(kind, tmp_path, PG_URL) as url:
        target = make_app(url, TEST_UPLOADS_DIR=str(uploads))
        with target.app_context():
            result = target.test_cli_runner().invoke(args=["restore", str(archive_path)])
        return result, team_count(target)


def test_files_kept_on_disk_are_backed_up_and_restored_beside_the_rows(app, disk_store, tmp_path):
    app.config["TEST_UPLOADS_DIR"] = str(disk_store)
    make_team(key="with-files")
    backup = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "files.tar")])
    assert backup.exit_code == 0 and "2 stored files" in backup.output, backup.output
    result, teams = _restore_into(tmp_path, tmp_path / "files.tar", tmp_path / "restored" / "uploads")
    assert result.exit_code == 0, result.output
    assert teams == 1 and "2 stored files" in result.output
    restored = tmp_path / "restored" / "uploads"
    for path in disk_store.rglob("*"):
        if path.is_file():
            assert (restored / path.relative_to(disk_store)).read_bytes() == path.read_bytes()
    assert sorted(p.name for p in (tmp_path / "restored").iterdir()) == ["uploads"]  # no staging left


def test_an_altered_file_on_disk_in_the_archive_restores_neither_files_nor_rows(app, disk_store, tmp_path):
    app.config["TEST_UPLOADS_DIR"] = str(disk_store)
    make_team(key="with-files")
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "files.tar")]).exit_code == 0
    altered = tmp_path / "altered.tar"
    with tarfile.open(tmp_path / "files.tar") as source, tarfile.open(altered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith("notes.txt"):
                data = data.replace(b"kept", b"lost")
            target.addfile(member, io.BytesIO(data))
    result, teams = _restore_into(tmp_path, altered, tmp_path / "restored" / "uploads")
    assert result.exit_code == 1 and "uploads/notes.txt does not match its SHA-256 sum" in result.output
    assert teams == 0
    assert not (tmp_path / "restored").exists() or not any((tmp_path / "restored").iterdir())  # no staging left


def test_a_restore_refuses_a_directory_that_already_holds_files(app, disk_store, tmp_path):
    app.config["TEST_UPLOADS_DIR"] = str(disk_store)
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "files.tar")]).exit_code == 0
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "old.pdf").write_bytes(b"old")
    result, teams = _restore_into(tmp_path, tmp_path / "files.tar", occupied)
    assert result.exit_code == 1 and "is not empty" in result.output and "Nothing was restored" in result.output
    assert sorted(p.name for p in occupied.iterdir()) == ["old.pdf"] and teams == 0
