"""Restore drills: a register with every kind of data, backed up, restored into a fresh database and
compared row for row, file for file, and URL for URL; on either database and across them."""

from __future__ import annotations

import io
import json
import re
import tarfile

import pytest

from tests.backup_support import (answers, build_register, file_sums, fresh_database, make_app, table_contents,
                                  team_count)
from tests.conftest import PG_URL, is_postgresql

# Per-response values: a CSP nonce and the CSRF token of the (new) session.
NONCE = re.compile(rb'(nonce|name="csrf_token" value)="[^"]+"')


def _same_answers(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for path, (status, body) in before.items():
        assert after[path][0] == status, path
        assert NONCE.sub(b"", after[path][1]) == NONCE.sub(b"", body), path


def _drill(source_app, target_url: str, tmp_path, runner_env=None) -> None:
    with source_app.app_context():
        paths = build_register(source_app)
    answers(source_app, paths)  # a response page makes the contacts' feed tokens on first sight
    with source_app.app_context():
        backup = source_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "drill.tar")])
    assert backup.exit_code == 0, backup.output
    assert "same SECRET_KEY" in backup.output
    before = (table_contents(source_app), file_sums(source_app), answers(source_app, paths))
    target = make_app(target_url)
    with target.app_context():
        restored = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "drill.tar")])
    assert restored.exit_code == 0, restored.output
    # The demo's vendor answers carry their files too, beside the two uploaded here.
    assert f"{len(before[1])} stored files" in restored.output and "same SECRET_KEY" in restored.output
    after = (table_contents(target), file_sums(target), answers(target, paths))
    assert after[0] == before[0]  # every table, row for row: register, history, audit, outbox, answers
    assert len(after[1]) >= 2 and after[1] == before[1]
    _same_answers(before[2], after[2])
    assert all(status == 200 for path, (status, _) in after[2].items() if path != "export-pack")
    with target.app_context():  # ids go on after the restored ones (PostgreSQL sequences moved)
        made = target.test_cli_runner().invoke(args=["create-user", "new@example.com", "--role", "viewer",
                                                     "--password", "a-long-password-1"])
        assert made.exit_code == 0, made.output


def test_a_backup_restores_into_a_fresh_database_of_the_same_kind(app, clock, tmp_path):
    kind = "postgresql" if is_postgresql() else "sqlite"
    with fresh_database(kind, tmp_path, PG_URL) as target_url:
        _drill(app, target_url, tmp_path)


@pytest.mark.skipif(not PG_URL, reason="needs TRACKER_TEST_DATABASE_URL (a PostgreSQL server)")
def test_a_sqlite_backup_restores_into_postgresql_and_back(clock, tmp_path):
    with fresh_database("sqlite", tmp_path) as sqlite_url, fresh_database("postgresql", tmp_path, PG_URL) as pg_url:
        source = make_app(sqlite_url)
        _drill(source, pg_url, tmp_path)
        moved = make_app(pg_url)
        with moved.app_context():
            again = moved.test_cli_runner().invoke(args=["backup", str(tmp_path / "back.tar")])
        assert again.exit_code == 0, again.output
        with fresh_database("sqlite", tmp_path) as back_url:
            home = make_app(back_url)
            with home.app_context():
                result = home.test_cli_runner().invoke(args=["restore", str(tmp_path / "back.tar")])
            assert result.exit_code == 0, result.output
            assert table_contents(home) == table_contents(moved)


def _backup(app, path) -> None:
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output


def _restore_refused(tmp_path, archive, words: str, **config) -> None:
    """The restore fails with `words` and leaves the fresh database empty."""
    kind = "postgresql" if is_postgresql() else "sqlite"
    with fresh_database(kind, tmp_path, PG_URL) as url:
        target = make_app(url, **config)
        with target.app_context():
            result = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 1
        assert words in result.output and "Nothing was restored" in result.output
        assert "Traceback" not in result.output
        assert team_count(target) == 0


@pytest.fixture
def archive(app, clock, tmp_path):
    build_register(app)
    path = tmp_path / "good.tar"
    _backup(app, path)
    return path


def test_a_truncated_archive_is_refused_and_nothing_is_restored(archive, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:archive.stat().st_size // 2])
    _restore_refused(tmp_path, cut, "truncated or damaged")


def test_an_altered_row_is_refused_at_its_part_and_nothing_is_restored(archive, tmp_path):
    altered = tmp_path / "altered.tar"
    with tarfile.open(archive) as source, tarfile.open(altered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if "-obligations." in member.name:
                data = data.replace(b"2027", b"2028", 1)
            target.addfile(member, io.BytesIO(data))
    _restore_refused(tmp_path, altered, "obligations.0000.jsonl does not match its SHA-256 sum")


def test_an_altered_manifest_is_refused(archive, tmp_path):
    altered = tmp_path / "manifest.tar"
    with tarfile.open(archive) as source, tarfile.open(altered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"][0]["rows"] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    _restore_refused(tmp_path, altered, "manifest was altered")


def test_a_backup_made_under_another_secret_key_is_refused(archive, tmp_path):
    _restore_refused(tmp_path, archive, "another SECRET_KEY", SECRET_KEY="not-the-test-secret")


def test_a_restore_into_a_database_with_rows_is_refused_and_changes_nothing(app, archive, tmp_path):
    before = table_contents(app)
    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1
    assert "the database is not empty" in result.output and "Nothing was restored" in result.output
    assert table_contents(app) == before


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_text("hello\n")
    _restore_refused(tmp_path, junk, "not a readable backup archive")
    _restore_refused(tmp_path, tmp_path / "missing.tar", "does not exist")
