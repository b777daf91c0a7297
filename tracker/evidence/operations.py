"""Evidence use cases: add a file or a link, remove it, and the expiry pass; each owns its transaction.

Files go through the vendor uploads' checks and storage: the bytes decide the
type (tracker.vendors.sniff), 25 MB at most, chunks in the database with the
SHA-256 computed while storing (tracker.vendors.uploads.write_chunks).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.audit import SYSTEM, Actor
from tracker.clock import local_today, utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import TITLE_MAX, URL_MAX, check_line, check_url, line_value
from tracker.models import Obligation, ObligationEvidence, ObligationEvidenceChunk, Team, User, WorkNotice
from tracker.register.queries import obligation_page_url
from tracker.txn import begin_write, owns_transaction
from tracker.vendors.sniff import ACCEPTED_WORDS, sniff
from tracker.vendors.submissions import safe_filename
from tracker.vendors.uploads import MAX_FILE_BYTES, Upload, write_chunks
from tracker.work.policy import may_edit_obligation


def _common(obligation: Obligation, user: User | None, title: str) -> tuple[str, dict]:
    errors: dict[str, str] = {}
    if obligation.deleted_at is not None:
        errors["obligation"] = "this obligation was deleted"
    elif not may_edit_obligation(user, obligation):
        errors["obligation"] = "you may not add evidence to this obligation"
    title = line_value(title or "")
    problem = check_line(title, TITLE_MAX)
    if problem:
        errors["title"] = problem
    return title, errors


def file_problem(upload: Upload) -> tuple[str | None, str]:
    """(why the file is refused or None, its sniffed content type): the vendor uploads' rules."""
    name = safe_filename(upload.filename)
    if upload.received > MAX_FILE_BYTES:
        return f"“{name}” is larger than 25 MB ({upload.received / (1024 * 1024):.1f} MB)", ""
    if upload.received == 0:
        return f"“{name}” is empty", ""
    content_type = sniff(upload.stream, name)
    if content_type is None:
        return f"“{name}” is not a {ACCEPTED_WORDS} file (judged by its content, not its name)", ""
    return None, content_type


@owns_transaction
def add_file(obligation: Obligation, upload: Upload, user: User | None, actor: Actor, title: str = "",
             valid_until: date | None = None, now: datetime | None = None, commit: bool = True) -> ObligationEvidence:
    """Store an evidence file (nothing is stored when it is refused)."""
    title, errors = _common(obligation, user, title)
    problem, content_type = file_problem(upload)
    if problem:
        errors["file"] = problem
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    evidence = ObligationEvidence(obligation_id=obligation.id, kind="file", title=title,
                                  filename=safe_filename(upload.filename), content_type=content_type,
                                  valid_until=valid_until, added_by_id=user.id if user else None, added_at=now)
    db.session.add(evidence)
    db.session.flush()
    evidence.size, evidence.sha256 = write_chunks(ObligationEvidenceChunk, evidence.id, upload.stream)
    _log(actor, obligation, evidence, now, added=True)
    return evidence


@owns_transaction
def add_link(obligation: Obligation, url: str, user: User | None, actor: Actor, title: str = "",
             valid_until: date | None = None, now: datetime | None = None, commit: bool = True) -> ObligationEvidence:
    """Record where the evidence is kept (a document system, a ticket): an http(s) address."""
    title, errors = _common(obligation, user, title)
    url = line_value(url or "")
    problem = check_url(url) if url else "give the address of the evidence"
    if not problem and len(url) > URL_MAX:
        problem = f"at most {URL_MAX} characters"
    if problem:
        errors["url"] = problem
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    evidence = ObligationEvidence(obligation_id=obligation.id, kind="link", title=title, url=url,
                                  valid_until=valid_until, added_by_id=user.id if user else None, added_at=now)
    db.session.add(evidence)
    db.session.flush()
    _log(actor, obligation, evidence, now, added=True)
    return evidence


@owns_transaction
def remove_evidence(evidence: ObligationEvidence, user: User | None, actor: Actor, now: datetime | None = None,
                    commit: bool = True) -> None:
    """Take evidence off an obligation (kept for the audit trail, no longer counted or listed)."""
    obligation = db.session.get(Obligation, evidence.obligation_id)
    if not may_edit_obligation(user, obligation):
        raise ValidationFailed({"evidence": "you may not remove this evidence"})
    if evidence.removed_at is not None:
        return
    now = now or utcnow()
    evidence.removed_at = now
    _log(actor, obligation, evidence, now, added=False)


@owns_transaction
def set_done_needs_evidence(team: Team, required: bool, actor: Actor, commit: bool = True) -> bool:
    """The team setting "marking done needs evidence"."""
    return audit.update_fields(actor, team, {"done_needs_evidence": bool(required)})


def _log(actor: Actor, obligation: Obligation, evidence: ObligationEvidence, now: datetime, added: bool) -> None:
    """One audit entry on the obligation, action 'evidence': added [None, it], removed [it, None]."""
    described = {"id": evidence.id, "kind": evidence.kind, "title": evidence.title, "filename": evidence.filename,
                 "sha256": evidence.sha256, "url": evidence.url,
                 "valid_until": evidence.valid_until.isoformat() if evidence.valid_until else None}
    audit.log(actor, "evidence", obligation, {"evidence": [None, described] if added else [described, None]}, at=now)


def expire_evidence(now: datetime) -> int:
    """Reopen done obligations whose evidence expired (the team's today), and tell their owners.

    Each piece of evidence is handled once (`expiry_handled_at`, claimed with a
    conditional update), whatever the number of passes. Returns the obligations reopened.
    """
    db.session.commit()
    due = db.session.execute(
        select(ObligationEvidence.id, ObligationEvidence.valid_until, Team.timezone)
        .join(Obligation, Obligation.id == ObligationEvidence.obligation_id)
        .join(Team, Team.id == Obligation.team_id)
        .where(ObligationEvidence.expiry_handled_at.is_(None), ObligationEvidence.removed_at.is_(None),
               ObligationEvidence.valid_until.is_not(None), ObligationEvidence.valid_until < now.date())).all()
    expired = [row.id for row in due if row.valid_until < local_today(row.timezone, now)]
    reopened = 0
    for evidence_id in expired:
        begin_write()
        claimed = db.session.execute(update(ObligationEvidence).where(
            ObligationEvidence.id == evidence_id, ObligationEvidence.expiry_handled_at.is_(None))
            .values(expiry_handled_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        evidence = db.session.get(ObligationEvidence, evidence_id)
        obligation = db.session.scalar(select(Obligation).where(Obligation.id == evidence.obligation_id)
                                       .options(joinedload(Obligation.team)))
        if obligation.status == "done" and obligation.deleted_at is None:
            from tracker.register.obligations import set_status

            name = evidence.title or evidence.filename or evidence.url
            note = f"evidence “{name}” expired on {evidence.valid_until.isoformat()}"
            set_status(obligation, "open", SYSTEM, note=note, now=now, commit=False)
            obligation.status_note = note
            if obligation.owner_id is not None:
                db.session.add(WorkNotice(recipient_id=obligation.owner_id, kind="evidence_expired",
                                          obligation_id=obligation.id, created_at=now,
                                          text=f"“{obligation.title}” was reopened: {note}",
                                          url=obligation_page_url(obligation.id)))
            reopened += 1
        db.session.commit()
    return reopened
