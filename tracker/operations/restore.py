"""`restore FILE`: an archive into an empty, migrated database, whole or not at all.

Order of checks, each stopping with a message before anything is written: the
archive reads (not truncated), its manifest is a tracker backup, it was made under
this SECRET_KEY (sealed secrets and keyed token digests open only with the same key),
the manifest is unaltered, the database is at the archive's schema revision and
empty, and every part matches its SHA-256. Then every row goes in within one
transaction (one write lock on SQLite), stored files are summed again as they pass,
PostgreSQL's id sequences are moved past the restored ids, and only then is it
committed. Any failure rolls the transaction back: nothing half-restored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.operations import archive, connections, file_stores, rows
from tracker.operations.backup import all_tables

BATCH_ROWS = 500
BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    files: int
    source_database: str
    revision: str

    def summary(self) -> str:
        return (f"restored {self.rows} rows of {self.tables} tables and {self.files} stored files "
                f"(backup made on {self.source_database}, schema revision {self.revision})")


def _check_key(manifest: dict, secret_key: str) -> None:
    if not hmac.compare_digest(str(manifest.get("key_check", "")), archive.key_check(secret_key)):
        raise archive.BackupError(
            "this backup was made under another SECRET_KEY: its sealed secrets (feed and response link "
            "URLs, webhook signing secrets) would not open and every calendar URL would stop working. "
            "Set TRACKER_SECRET_KEY to the key of the deployment that made the backup, then restore again")
    if not hmac.compare_digest(str(manifest.get("mac", "")), archive.manifest_mac(manifest, secret_key)):
        raise archive.BackupError("the archive's manifest was altered: its counts and sums cannot be trusted")


def _check_target(conn: Connection, manifest: dict, tables: dict[str, sa.Table]) -> None:
    revision = connections.revision(conn)
    if revision is None:
        raise archive.BackupError("the database has no tables yet; run `flask --app app db upgrade` first")
    if revision != manifest["revision"]:
        raise archive.BackupError(
            f"the database is at schema revision {revision} and the backup at {manifest['revision']}: restore "
            f"into a database migrated to {manifest['revision']} (`flask --app app db upgrade "
            f"{manifest['revision']}`), then upgrade it")
    for entry in manifest["tables"]:
        table = tables.get(entry["name"])
        if table is None:
            raise archive.BackupError(f"the backup holds table {entry['name']}, which this version does not know")
        unknown = set(entry["columns"]) - set(table.columns.keys())
        if unknown:
            raise archive.BackupError(f"the backup's table {entry['name']} has columns this version does not "
                                      f"know: {', '.join(sorted(unknown))}")
    inspector = sa.inspect(conn)
    for table in tables.values():
        if inspector.has_table(table.name) and conn.execute(sa.select(sa.literal(1)).select_from(table)
                                                            .limit(1)).first():
            raise archive.BackupError(f"the database is not empty (table {table.name} has rows): restore only "
                                      "into a new database after `db upgrade`")


class _TableLoader:
    """Inserts one table's rows in batches; self-references are set after the table's rows."""

    def __init__(self, conn: Connection, table: sa.Table, entry: dict):
        self.conn, self.table, self.entry = conn, table, entry
        self.columns = entry["columns"]
        self.decoders = [rows.decoder(table.columns[name]) for name in self.columns]
        self.later = [name for name in rows.self_references(table) if name in self.columns]
        self.key = [column.name for column in table.primary_key.columns]
        self.updates: list[dict] = []
        self.batch: list[dict] = []
        self.batch_bytes = 0
        self.count = 0
        self.expected_files = entry.get("files")
        self.files: dict[str, dict] = {}
        self._sums = (None, None, 0)

    def add(self, line: bytes) -> None:
        values = json.loads(line)
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise archive.BackupError(f"a row of {self.table.name} does not have the manifest's columns")
        row = {name: decode(value) for name, decode, value in zip(self.columns, self.decoders, values)}
        for name in self.later:
            if row[name] is not None:
                self.updates.append({**{f"k_{k}": row[k] for k in self.key}, "v": row[name], "c": name})
                row[name] = None
        if self.expected_files is not None:
            self._sum(row)
        self.batch.append(row)
        self.batch_bytes += len(line)
        self.count += 1
        if len(self.batch) >= BATCH_ROWS or self.batch_bytes >= BATCH_BYTES:
            self.flush()

    def _sum(self, row: dict) -> None:
        key = str(row[self.key[0]])
        current, digest, size = self._sums
        if key != current:
            self._close_sum()
            current, digest, size = key, hashlib.sha256(), 0
        for name in rows.binary_columns(self.table):
            if row.get(name) is not None:
                digest.update(row[name])
                size += len(row[name])
        self._sums = (current, digest, size)

    def _close_sum(self) -> None:
        current, digest, size = self._sums
        if current is not None:
            self.files[current] = {"bytes": size, "sha256": digest.hexdigest()}
        self._sums = (None, None, 0)

    def flush(self) -> None:
        if self.batch:
            self.conn.execute(self.table.insert(), self.batch)
        self.batch, self.batch_bytes = [], 0

    def finish(self) -> None:
        self.flush()
        for update in self.updates:
            condition = sa.and_(*(self.table.c[k] == sa.bindparam(f"k_{k}") for k in self.key))
            self.conn.execute(self.table.update().where(condition).values({update["c"]: sa.bindparam("v")}),
                              {key: value for key, value in update.items() if key != "c"})
        if self.count != self.entry["rows"]:
            raise archive.BackupError(f"{self.table.name}: {self.count} rows read, the manifest says "
                                      f"{self.entry['rows']}: the archive is damaged")
        if self.expected_files is not None:
            self._close_sum()
            for key, expected in self.expected_files.items():
                found = self.files.get(key)
                if found is None or not hmac.compare_digest(found["sha256"], expected["sha256"]):
                    raise archive.BackupError(f"stored file {key} of {self.table.name} does not match its "
                                              "SHA-256 sum: the archive is damaged")


def _reset_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """Move each PostgreSQL id sequence past the restored ids (inserts with explicit ids do not)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                                {"table": table.name, "column": keys[0].name}).scalar()
        if sequence:
            conn.execute(sa.text(f'SELECT setval(:sequence, COALESCE((SELECT MAX("{keys[0].name}") FROM '
                                 f'"{table.name}"), 0) + 1, false)'), {"sequence": sequence})


def restore_backup(database_url: str, secret_key: str, source: Path,
                   directories: dict[str, Path] | None = None) -> RestoreReport:
    """Restore the archive `source` into the empty database at `database_url`, and its stored files into
    the empty `directories` ({store name: path}), whole or not at all."""
    with archive.open_archive(Path(source)) as tar:
        manifest = archive.read_manifest(tar)
        _check_key(manifest, secret_key)
        stores = manifest.get("stores", {})
        file_stores.check_targets(stores, directories or {})
        tables = {table.name: table for table in all_tables()}
        staged = file_stores.extract_stores(tar, stores, directories or {})  # checked, beside their places
        try:
            total, files = _restore_rows(tar, manifest, tables, database_url)
        except BaseException:
            file_stores.discard(staged)
            raise
        file_stores.move_into_place(staged, directories or {})
    files += sum(len(entries) for entries in stores.values())
    return RestoreReport(len(manifest["tables"]), total, files, manifest["database"], manifest["revision"])


def _restore_rows(tar, manifest: dict, tables: dict[str, sa.Table], database_url: str) -> tuple[int, int]:
    """Every row in one transaction (committed at the end, or rolled back); (rows, stored files in rows)."""
    with connections.write_transaction(database_url) as conn:
        _check_target(conn, manifest, tables)
        for entry in manifest["tables"]:  # every sum before the first row: a bad archive writes nothing
            for part in entry["parts"]:
                archive.verify_part(tar, part)
        total, files = 0, 0
        for entry in manifest["tables"]:
            loader = _TableLoader(conn, tables[entry["name"]], entry)
            for part in entry["parts"]:
                for line in archive.part_lines(tar, part):
                    loader.add(line)
            loader.finish()
            total += loader.count
            files += len(loader.files)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, [tables[entry["name"]] for entry in manifest["tables"]])
    return total, files
