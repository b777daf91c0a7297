"""`backup FILE`: every table and every stored file, from one consistent snapshot, into one archive.

The tables are not listed here: they are the models' metadata in dependency order
(`sorted_tables`), so a table another change adds is backed up with no edit to this
module. Stored files are rows too (vendor evidence is kept in chunks in the database);
a table marked `info={"stored_files": True}` gets a SHA-256 per file in the manifest
(its rows grouped by the first key column, bytes columns in key order), checked again
on restore and comparable between two deployments.

Rows are streamed: at most one part (PART_BYTES) and one fetch batch are in memory,
however large the files. The archive is written to a temporary file beside FILE and
renamed into place when complete, so a full disk or a crash leaves no partial archive
under FILE's name.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.db import Base
from tracker.operations import archive, connections, file_stores, rows

FETCH_ROWS = 500
# Rows holding bytes (512 KB evidence chunks, feed bodies, messages) are fetched a few at a time:
# a fetch of 500 chunks would hold 250 MB.
FETCH_BINARY_ROWS = 4


@dataclass(frozen=True)
class BackupReport:
    path: Path
    tables: int
    rows: int
    files: int
    file_bytes: int
    revision: str

    def summary(self) -> str:
        return (f"backed up {self.rows} rows of {self.tables} tables and {self.files} stored files "
                f"({self.file_bytes} bytes) at schema revision {self.revision} to {self.path}")


def all_tables() -> list[sa.Table]:
    """Every table of the models, parents before children."""
    import tracker.models  # noqa: F401 - registers every table on the metadata

    return list(Base.metadata.sorted_tables)


class _FileSums:
    """SHA-256 per stored file while a bytes table streams past (grouped by its first key column)."""

    def __init__(self, table: sa.Table):
        marked = table.info.get("stored_files", False)
        self.binary = [table.columns.keys().index(name) for name in rows.binary_columns(table)] if marked else []
        self.group = table.columns.keys().index(table.primary_key.columns.values()[0].name)
        self.files: dict[str, dict] = {}
        self._key, self._digest, self._size = None, None, 0

    def add(self, values) -> None:
        if not self.binary:
            return
        key = str(values[self.group])
        if key != self._key:
            self.close()
            self._key, self._digest, self._size = key, hashlib.sha256(), 0
        for index in self.binary:
            data = values[index]
            if data is not None:
                self._digest.update(data)
                self._size += len(data)

    def close(self) -> dict[str, dict]:
        if self._key is not None:
            self.files[self._key] = {"bytes": self._size, "sha256": self._digest.hexdigest()}
            self._key = None
        return self.files


def _dump_table(conn: Connection, tar: tarfile.TarFile, index: int, table: sa.Table) -> dict:
    order = list(table.primary_key.columns) or list(table.columns)
    batch = FETCH_BINARY_ROWS if rows.binary_columns(table) else FETCH_ROWS
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(
        sa.select(table).order_by(*order))
    parts, count, sums = [], 0, _FileSums(table)
    part = archive.PartWriter(f"tables/{index:03d}-{table.name}.{len(parts):04d}.jsonl")
    for values in result:
        part.write(rows.row_line(values))
        sums.add(values)
        count += 1
        if part.full:
            parts.append(part.add_to(tar))
            part = archive.PartWriter(f"tables/{index:03d}-{table.name}.{len(parts):04d}.jsonl")
    if part.size or not parts:
        parts.append(part.add_to(tar))
    entry = {"name": table.name, "columns": table.columns.keys(), "rows": count, "parts": parts}
    if sums.binary:
        entry["files"] = sums.close()
    return entry


def write_backup(database_url: str, secret_key: str, target: Path, now: datetime,
                 directories: dict[str, Path] | None = None) -> BackupReport:
    """Snapshot the database at `database_url`, and the stored-file `directories` ({store name: path}),
    into the archive `target` (replaced only when complete)."""
    target = Path(target)
    if target.is_dir():
        raise archive.BackupError(f"{target} is a directory; give the archive's file name")
    if not target.parent.is_dir():
        raise archive.BackupError(f"the directory {target.parent} does not exist")
    temporary = archive.temporary_beside(target)
    try:
        with open(temporary, "wb") as raw, connections.read_snapshot(database_url) as conn:
            revision = connections.revision(conn)
            if revision is None:
                raise archive.BackupError("the database has no tables yet; nothing to back up")
            with tarfile.open(fileobj=raw, mode="w:", format=tarfile.PAX_FORMAT) as tar:
                tables = [_dump_table(conn, tar, index, table) for index, table in enumerate(all_tables())]
                # After the snapshot's rows: a file is written before the row that names it commits,
                # so every file a backed-up row names is on disk by now.
                stores = {name: file_stores.add_store(tar, name, directory)
                          for name, directory in (directories or {}).items()}
                manifest = {
                    "format": archive.FORMAT, "version": archive.VERSION, "created_at": now.isoformat(),
                    "database": conn.dialect.name, "revision": revision, "tables": tables, "stores": stores,
                    "key_check": archive.key_check(secret_key),
                }
                manifest["mac"] = archive.manifest_mac(manifest, secret_key)
                archive.add_manifest(tar, manifest)
        archive.publish(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    files = [info for table in tables for info in table.get("files", {}).values()]
    files += [entry for entries in stores.values() for entry in entries]
    return BackupReport(target, len(tables), sum(t["rows"] for t in tables), len(files),
                        sum(info["bytes"] for info in files), revision)
