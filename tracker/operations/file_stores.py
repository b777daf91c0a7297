"""Stored files kept on disk, in backups: each file streamed into the archive with its SHA-256, and
restored into a temporary directory beside its place, moved there only once everything is in.

Today every stored file is in the database (vendor evidence, in chunks). A domain that keeps files
in a directory registers it once with `register("name", "CONFIG_KEY")` (the app setting that
names the directory) and backups include it with nothing else to change.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

from tracker.operations.archive import READ_BYTES, BackupError, member_stream

STORES: dict[str, str] = {}  # store name -> the app setting naming its directory


def register(name: str, config_key: str) -> None:
    """Include the directory named by the app setting `config_key` in every backup, as `name`."""
    STORES[name] = config_key


def configured(config) -> dict[str, Path]:
    """{store name: directory} for the registered stores whose setting is set."""
    return {name: Path(config[key]) for name, key in STORES.items() if config.get(key)}


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def add_store(tar: tarfile.TarFile, name: str, directory: Path) -> list[dict]:
    """Every file under `directory` into `tar` as files/<name>/<path>; their manifest entries."""
    entries = []
    if not directory.is_dir():
        return entries
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(directory).as_posix()
        with open(path, "rb") as handle:
            info = tarfile.TarInfo(f"files/{name}/{relative}")
            info.size, info.mode, info.mtime = os.fstat(handle.fileno()).st_size, 0o600, time.time()
            reader = _Hashing(handle)
            tar.addfile(info, reader)
        entries.append({"path": relative, "bytes": info.size, "sha256": reader.digest.hexdigest()})
    return entries


def _safe(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(part in ("..", "") for part in path.parts):
        raise BackupError(f"the archive names a stored file outside its directory ({relative!r}): refused")
    return path


def check_targets(manifest_stores: dict, directories: dict[str, Path]) -> None:
    """Every store of the archive has an empty (or missing) directory to go to."""
    for name in manifest_stores:
        if name not in directories:
            setting = STORES.get(name, "its setting")
            raise BackupError(f"the archive holds stored files of '{name}': set {setting} to their directory")
        directory = directories[name]
        if directory.exists() and any(directory.iterdir()):
            raise BackupError(f"the directory {directory} for stored files of '{name}' is not empty")


def extract_stores(tar: tarfile.TarFile, manifest_stores: dict, directories: dict[str, Path]) -> dict[str, Path]:
    """Each store's files, checked against their sums, in a temporary directory beside its place."""
    staged: dict[str, Path] = {}
    try:
        for name, entries in manifest_stores.items():
            place = directories[name]
            place.parent.mkdir(parents=True, exist_ok=True)
            staged[name] = Path(tempfile.mkdtemp(prefix=f".{place.name}.restore-", dir=place.parent))
            for entry in entries:
                _extract_one(tar, name, entry, staged[name])
    except BaseException:
        discard(staged)
        raise
    return staged


def _extract_one(tar: tarfile.TarFile, name: str, entry: dict, staging: Path) -> None:
    target = staging.joinpath(*_safe(entry["path"]).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    stream, digest, size = member_stream(tar, f"files/{name}/{entry['path']}"), hashlib.sha256(), 0
    with open(target, "wb") as out:
        while chunk := stream.read(READ_BYTES):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != entry["bytes"] or not hmac.compare_digest(digest.hexdigest(), entry["sha256"]):
        raise BackupError(f"stored file {name}/{entry['path']} does not match its SHA-256 sum: "
                          "the archive was altered or damaged")


def move_into_place(staged: dict[str, Path], directories: dict[str, Path]) -> None:
    """Rename each staged directory to its place (an empty place is replaced)."""
    for name, staging in staged.items():
        place = directories[name]
        if place.exists():
            place.rmdir()  # checked empty before the restore began
        os.replace(staging, place)


def discard(staged: dict[str, Path]) -> None:
    for staging in staged.values():
        shutil.rmtree(staging, ignore_errors=True)
