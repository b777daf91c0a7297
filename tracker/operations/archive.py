"""The backup archive: a tar of JSON-lines table parts and a manifest of counts and SHA-256 sums.

Layout (uncompressed tar, so a 200 MB evidence file costs no CPU to pack):

    tables/003-teams.0000.jsonl     one JSON array per row, in the manifest's column order
    ...                             a table's rows are split into parts of at most PART_BYTES
    manifest.json                   written last, once every sum is known

The manifest carries a keyed check value of SECRET_KEY (an HMAC of a fixed text: it
tells whether a key is the right one without revealing it) and an HMAC of itself, so a
restore can tell "another SECRET_KEY" from "an altered manifest". Neither lets anyone
without the key read a sealed secret.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator

FORMAT = "tracker-backup"
VERSION = 1
MANIFEST = "manifest.json"
PART_BYTES = 32 * 1024 * 1024
READ_BYTES = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def key_check(secret_key: str | bytes) -> str:
    """A value that shows whether two deployments share SECRET_KEY (and reveals nothing of it)."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, b"tracker backup key check v1", hashlib.sha256).hexdigest()


def manifest_mac(manifest: dict, secret_key: str | bytes) -> str:
    """The HMAC of the manifest (without its own `mac` member) under a key derived from SECRET_KEY."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = hmac.new(key, b"tracker backup manifest v1", hashlib.sha256).digest()
    body = {name: value for name, value in manifest.items() if name != "mac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(derived, text, hashlib.sha256).hexdigest()


class PartWriter:
    """Collects one table part in memory (at most PART_BYTES plus a row), hashing as it goes."""

    def __init__(self, name: str):
        self.name = name
        self.buffer = io.BytesIO()
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, line: bytes) -> None:
        self.buffer.write(line)
        self.digest.update(line)
        self.size += len(line)

    @property
    def full(self) -> bool:
        return self.size >= PART_BYTES

    def add_to(self, tar: tarfile.TarFile) -> dict:
        """Append the part to `tar`; its manifest entry."""
        info = tarfile.TarInfo(self.name)
        info.size, info.mode, info.mtime = self.size, 0o600, time.time()
        self.buffer.seek(0)
        tar.addfile(info, self.buffer)
        self.buffer = io.BytesIO()  # let the bytes go now, not at the next part
        return {"name": self.name, "bytes": self.size, "sha256": self.digest.hexdigest()}


def add_manifest(tar: tarfile.TarFile, manifest: dict) -> None:
    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode, info.mtime = len(data), 0o600, time.time()
    tar.addfile(info, io.BytesIO(data))


def temporary_beside(target: Path) -> Path:
    """A new, empty file in `target`'s directory (same file system, so the final rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    return Path(name)


def publish(temporary: Path, target: Path) -> None:
    """Make the finished archive appear under its name in one step, on disk first."""
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)


def open_archive(path: Path) -> tarfile.TarFile:
    """The archive for reading; a BackupError when it is missing, not a tar, or cut short."""
    try:
        tar = tarfile.open(path, mode="r:")
        tar.getmembers()  # walks every header: a truncated archive fails here, before anything is read
        return tar
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a directory, not a backup archive") from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path} is not a readable backup archive (truncated or damaged: {exc})") from None


def read_manifest(tar: tarfile.TarFile) -> dict:
    """The archive's manifest, checked for format and version."""
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except KeyError:
        raise BackupError("the archive has no manifest: it is not a tracker backup, or it was cut short") from None
    except (ValueError, tarfile.TarError, EOFError, OSError):
        raise BackupError("the archive's manifest cannot be read: the archive is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("the archive is not a tracker backup (its manifest names no tracker format)")
    if manifest.get("version") != VERSION:
        raise BackupError(f"the archive is in backup format version {manifest.get('version')!r}; "
                          f"this version of the tracker reads version {VERSION}")
    return manifest


def member_stream(tar: tarfile.TarFile, name: str) -> BinaryIO:
    try:
        stream = tar.extractfile(tar.getmember(name))
    except KeyError:
        raise BackupError(f"the archive lacks {name}, which its manifest lists: it is damaged") from None
    if stream is None:
        raise BackupError(f"{name} in the archive is not a file: the archive is damaged")
    return stream


def verify_part(tar: tarfile.TarFile, part: dict) -> None:
    """Stream one part through SHA-256; a BackupError naming it when size or sum differ."""
    digest, size = hashlib.sha256(), 0
    stream = member_stream(tar, part["name"])
    try:
        while chunk := stream.read(READ_BYTES):
            digest.update(chunk)
            size += len(chunk)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{part['name']} cannot be read from the archive ({exc}): it is damaged") from None
    if size != part["bytes"] or not hmac.compare_digest(digest.hexdigest(), part["sha256"]):
        raise BackupError(f"{part['name']} does not match its SHA-256 sum in the manifest: "
                          "the archive was altered or damaged")


def part_lines(tar: tarfile.TarFile, part: dict) -> Iterator[bytes]:
    """The rows of one (verified) part, one JSON line at a time."""
    yield from member_stream(tar, part["name"])
