"""Backup and restore of a 10,000-obligation register with 200 MB of evidence files: time and peak memory.

Builds the register on SQLite (seed-synthetic, then evidence rows of 512 KB chunks
of random bytes, as uploads store them), then runs `flask backup FILE` and
`flask restore FILE` into a fresh database as separate processes, as an operator
would. Printed for each: wall time, the process's peak resident memory (ru_maxrss of
that child alone, from wait4), and the archive's size. With a PostgreSQL URL as
second argument the restore goes there instead (it must be an empty, migrated
database).

Run: python benchmarks/bench_backup.py [OBLIGATIONS] [POSTGRESQL_URL] [MB]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import ROOT

CHUNK = 512 * 1024
FILE_BYTES = 5 * 1024 * 1024  # forty 5 MB files make 200 MB


def _run(args: list[str], url: str) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, output) of one `flask` command in its own process."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": "bench-secret",
           "TRACKER_SCHEDULER": "off"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss // 1024, output.strip()


def _add_files(url: str, megabytes: int) -> int:
    """Evidence files of random bytes on the synthetic register's first obligation; their count."""
    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.models import Obligation, VendorEvidence, VendorEvidenceChunk, VendorRequest
    from tracker.vendors.operations import create_vendor
    from tracker.vendors.requests import normalized_scope, set_scope

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "TRACKER_SCHEDULER": "off",
                      "TESTING": True})
    count = megabytes * 1024 * 1024 // FILE_BYTES
    with app.app_context():
        obligation = db.session.scalar(sa.select(Obligation).order_by(Obligation.id).limit(1))
        create_vendor(SYSTEM, key="bench-vendor", name="Bench Vendor", categories=["gpu_hardware"], markets=["US"],
                      status="active", team_id=obligation.team_id,
                      contacts=[{"name": "Ana", "email": "ana@vendor.example", "role": "primary"}])
        set_scope(obligation, normalized_scope(None, None, ["bench-vendor"]), SYSTEM)
        request = db.session.scalar(sa.select(VendorRequest).limit(1))
        for number in range(count):
            digest, size = hashlib.sha256(), 0
            evidence = VendorEvidence(request_id=request.id, submission_id=f"bench{number:04d}",
                                      filename=f"evidence-{number}.pdf", content_type="application/pdf",
                                      size=FILE_BYTES, sha256="")
            db.session.add(evidence)
            db.session.flush()
            for seq in range(FILE_BYTES // CHUNK):
                data = os.urandom(CHUNK)
                digest.update(data)
                size += len(data)
                db.session.execute(sa.insert(VendorEvidenceChunk).values(evidence_id=evidence.id, seq=seq, data=data))
            evidence.sha256 = digest.hexdigest()
            db.session.commit()
        db.engine.dispose()
    return count


def main(obligations: int = 10_000, target_url: str | None = None, megabytes: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = f"sqlite:///{tmp}/source.db"
        _run(["db", "upgrade"], source)
        _run(["seed-synthetic", "--obligations", str(obligations), "--seed", "1"], source)
        files = _add_files(source, megabytes)
        archive = Path(tmp) / "backup.tar"
        seconds, peak, output = _run(["backup", str(archive)], source)
        print(f"backup:  {seconds:6.1f} s, peak RSS {peak} MB, archive {archive.stat().st_size / 2**20:.0f} MB "
              f"({obligations} obligations, {files} files of {FILE_BYTES // 2**20} MB)")
        print(f"         {output.splitlines()[0]}")
        target = target_url or f"sqlite:///{tmp}/restored.db"
        if target_url is None:
            _run(["db", "upgrade"], target)
        seconds, peak, output = _run(["restore", str(archive)], target)
        print(f"restore: {seconds:6.1f} s, peak RSS {peak} MB into {target.split(':', 1)[0]}")
        print(f"         {output.splitlines()[0]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, (sys.argv[2] if len(sys.argv) > 2 else "") or None,
         int(sys.argv[3]) if len(sys.argv) > 3 else 200)
