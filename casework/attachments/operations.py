"""Service layer for documents attached to a case: upload (checked, scanned, stored), download,
sharing with a partner's referral, deletion, and what retention destroys. No request, no flash;
the caller commits.

Files change outside the database, so they follow its transactions: a file stored by a
transaction that rolls back is removed, and a file whose row is deleted is removed only once that
deletion has committed (``_FileEffects``). ``sweep_orphans`` removes what a crash between the two
left behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from babel.units import format_unit
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, joinedload

from casework.attachments.content import (
    KINDS,
    ContentRefused,
    checked_name,
    detect,
    with_extension,
)
from casework.attachments.events import DocumentExpiryChanged
from casework.attachments.models import PENDING_SCAN, SERVABLE, Attachment, AttachmentShare
from casework.attachments.scanner import Clamd, ScannerUnavailable, scanner_from
from casework.attachments.storage import Storage, new_key, storage_from
from casework.cases.models import Case
from casework.cases.operations import current_consent
from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.events import emit
from casework.core.time import is_plausible, local_today, utcnow
from casework.extensions import db
from casework.referrals.models import Referral
from casework.referrals.operations import consent_purpose, disclose

DOCUMENT_TYPES = {
    "diploma": _l("Diploma"),
    "transcript": _l("Transcript"),
    "permit": _l("Permit"),
    "consent": _l("Signed consent form"),
    "lease": _l("Lease"),
    "other": _l("Other document"),
}
DELETION_REASONS = {
    "wrong_case": _l("Attached to the wrong case"),
    "wrong_file": _l("Wrong file"),
    "duplicate": _l("Duplicate"),
    "person_request": _l("At the person's request"),
    "no_longer_needed": _l("No longer needed"),
}
# Why a document's file is gone: the reasons a person chooses, and those of the system.
REMOVAL_LABELS = {
    **DELETION_REASONS,
    "infected": _l("Threat found by the antivirus"),
    "retention": _l("Retention period over"),
}
SCAN_LABELS = {
    "clean": _l("Scanned"),
    "pending": _l("Awaiting scan"),
    "not_scanned": _l("Not scanned"),
}


def file_size(size: int) -> str:
    """« 1,4 Mo » in French, « 1.4 MB » in English."""
    locale = str(get_locale() or "fr_CA")
    for unit, scale in (("megabyte", 1024 * 1024), ("kilobyte", 1024)):
        if size >= scale:
            return format_unit(
                round(size / scale, 1), f"digital-{unit}", length="short", locale=locale
            )
    return format_unit(size, "digital-byte", length="short", locale=locale)


def labels() -> dict[str, Any]:
    """What the document templates name codes and sizes with."""
    return {
        "document_types": DOCUMENT_TYPES,
        "scan_labels": SCAN_LABELS,
        "removal_labels": REMOVAL_LABELS,
        "kinds": KINDS,
        "file_size": file_size,
    }


# Referral statuses in which the organisation works on it, and may read what was shared.
PARTNER_READABLE = ("sent", "accepted")
DESCRIPTION_MAX = 300
EXPIRY_HORIZON_YEARS = 50
READ_CHUNK = 64 * 1024
# A file the scanner could not check is tried again after 1, 2, 4 … minutes, at most an hour.
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
# A scan claimed by a job that stopped is taken again after this long.
SCAN_LEASE = timedelta(minutes=5)
# Files younger than this may belong to an upload whose row is not committed yet.
ORPHAN_AGE = timedelta(hours=1)


class AttachmentError(DomainError):
    """A rule about attachments was broken."""


@dataclass(frozen=True)
class Services:
    """Where files go and what scans them (None: scanning switched off, the demo)."""

    storage: Storage
    scanner: Clamd | None
    max_bytes: int


# What an upload's request carries besides the file: the form's fields and the multipart framing.
FORM_OVERHEAD = 64 * 1024


def upload_request_limit(config: dict) -> int:
    """The largest request body an upload may have: the file's limit plus the form around it.
    The upload view sets it on its request, and `casework serve` gives it to waitress, which
    then answers 413 from the request's headers without reading a byte more."""
    return config["ATTACHMENT_MAX_BYTES"] + FORM_OVERHEAD


def services_from(config: dict) -> Services:
    return Services(storage_from(config), scanner_from(config), config["ATTACHMENT_MAX_BYTES"])


@dataclass
class UploadFields:
    document_type: str
    description: str | None
    expires_on: date | None = None


@dataclass(frozen=True)
class Upload:
    """What became of an upload: the attachment, or the refusal (already in the audit trail)."""

    attachment: Attachment | None = None
    refusal: ContentRefused | None = None


# --- Files that follow the transaction ----------------------------------------------------------

_STORED = "attachments_stored"
_TO_REMOVE = "attachments_to_remove"


def _stored_in_transaction(storage: Storage, key: str) -> None:
    db.session.info.setdefault(_STORED, []).append((storage, key))


def _remove_after_commit(storage: Storage, key: str) -> None:
    db.session.info.setdefault(_TO_REMOVE, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    session.info.pop(_STORED, None)
    for storage, key in session.info.pop(_TO_REMOVE, ()):
        storage.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _files_after_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop(_TO_REMOVE, None)
    for storage, key in session.info.pop(_STORED, ()):
        storage.delete(key)


def _end_reading() -> None:
    """End the request's transaction before slow work outside the database (reading the upload,
    the scanner): it has written nothing, so ending it loses nothing, and on SQLite a change's
    transaction would otherwise hold the write lock for the whole scan."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes before leaving the transaction for the scanner")
    session.rollback()


def _audit(actor: Any, action: str, case_id: int, outcome: str = "ok", **details: Any) -> None:
    """A document's trace is on its case (the case's access log shows it); ids only."""
    audit.record(actor, action, target_type="case", target_id=case_id, outcome=outcome, **details)


# --- Upload --------------------------------------------------------------------------------------


def check_fields(fields: UploadFields) -> None:
    if fields.document_type not in DOCUMENT_TYPES:
        raise AttachmentError(_l("Choose the type of document."), "document_type")
    fields.description = " ".join((fields.description or "").split()) or None
    if not fields.description:
        raise AttachmentError(_l("Describe the document in a few words."), "description")
    if len(fields.description) > DESCRIPTION_MAX:
        raise AttachmentError(_l("At most %(max)d characters.", max=DESCRIPTION_MAX), "description")
    today = local_today()
    latest = today.replace(year=today.year + EXPIRY_HORIZON_YEARS)
    if not is_plausible(fields.expires_on, latest=latest):
        raise AttachmentError(_l("Enter a real expiry date."), "expires_on")


def receive(stream: BinaryIO, target: Path, max_bytes: int) -> tuple[int, str]:
    """Copy ``stream`` to ``target`` a chunk at a time, with its size and SHA-256; stops as soon
    as the file passes ``max_bytes`` (ContentRefused), so memory never holds more than a chunk."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(READ_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def too_large(max_bytes: int) -> ContentRefused:
    return ContentRefused(
        _l(
            "The file is larger than %(mb)d MB. Send a smaller file (a scan in lower resolution, or one document at a time).",
            mb=max_bytes // (1024 * 1024),
        ),
        "too_large",
    )


def upload(
    actor: Any,
    case: Case,
    stream: BinaryIO,
    filename: str | None,
    fields: UploadFields,
    services: Services,
) -> Upload:
    """Check, scan and store an uploaded file as an attachment of ``case``.

    Field errors raise AttachmentError. A file refused for its content is not kept anywhere, its
    refusal is audited (with the reason and, for a virus, the signature), and it is returned: the
    caller shows the message and commits the audit row. When the scanner cannot be reached the
    file is kept « awaiting scan » and served to no one until the rescan job clears it.
    """
    check_fields(fields)
    case_id, actor_id = case.id, actor.id
    _end_reading()
    storage = services.storage
    with storage.incoming() as path:
        try:
            name = checked_name(filename)
            size, digest = receive(stream, path, services.max_bytes)
            if size == 0:
                raise ContentRefused(
                    _l("The file is empty. Check that it is the right file, then try again."),
                    "empty",
                )
            # Scanned first, whatever the file claims to be: a threat is refused as one, and
            # the trail says so, even when the file would also have failed the type check.
            status = _first_scan(services.scanner, path)
            kind = detect(path, name)
            name = with_extension(name, kind)
        except ContentRefused as refusal:
            _audit(
                actor,
                "attachment.refused",
                case_id,
                "denied",
                reason=refusal.reason,
                **({"signature": refusal.signature} if isinstance(refusal, Infected) else {}),
            )
            return Upload(refusal=refusal)
        key = new_key()
        storage.put(key, path)
    _stored_in_transaction(storage, key)
    now = utcnow()
    attachment = Attachment(
        case_id=case_id,
        storage_key=key,
        original_name=name,
        kind=kind.code,
        content_type=kind.content_type,
        size_bytes=size,
        sha256=digest,
        document_type=fields.document_type,
        description=fields.description,
        expires_on=fields.expires_on,
        uploaded_by_id=actor_id,
        uploaded_at=now,
        scan_status=status,
        scanned_at=now if status == "clean" else None,
        next_scan_at=now + RETRY_FIRST if status == "pending" else None,
        scan_attempts=1 if services.scanner is not None else 0,
    )
    db.session.add(attachment)
    db.session.flush()
    _audit(
        actor,
        "attachment.uploaded",
        case_id,
        attachment_id=attachment.id,
        kind=kind.code,
        size=size,
        scan=status,
    )
    if fields.expires_on:
        emit(DocumentExpiryChanged(case_id, attachment.id))
    return Upload(attachment=attachment)


class Infected(ContentRefused):
    def __init__(self, signature: str):
        super().__init__(
            _l(
                "The antivirus found a threat in this file (%(signature)s). It was not kept. Ask the person for another copy.",
                signature=signature,
            ),
            "infected",
        )
        self.signature = signature


def _first_scan(scanner: Clamd | None, path: Path) -> str:
    if scanner is None:
        return "not_scanned"
    try:
        verdict = scanner.scan_file(path)
    except ScannerUnavailable:
        return "pending"
    if not verdict.clean:
        raise Infected(verdict.signature or "?")
    return "clean"


# --- Reading --------------------------------------------------------------------------------------


def of_case(case: Case) -> list[Attachment]:
    """The case's documents, newest first, deleted ones included (shown as such)."""
    return list(
        db.session.scalars(
            select(Attachment)
            .options(
                joinedload(Attachment.uploaded_by),
                joinedload(Attachment.deleted_by),
                # Joined, not a second query: the case page's count stays the same whatever
                # the documents hold.
                joinedload(Attachment.shares)
                .joinedload(AttachmentShare.referral)
                .joinedload(Referral.organisation),
            )
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())
        ).unique()
    )


def _check_servable(attachment: Attachment) -> None:
    if attachment.is_deleted:
        raise AttachmentError(_l("This document was deleted."))
    if attachment.scan_status not in SERVABLE:
        raise AttachmentError(
            _l("This document is awaiting its virus scan. It can be opened once the scan is done.")
        )


def open_file(actor: Any, attachment: Attachment, services: Services, purpose: str) -> BinaryIO:
    """The document's bytes for ``actor``, who may read it (the caller checked its scope); one
    audit row per opening. ``purpose``: « downloaded » or « previewed »."""
    _check_servable(attachment)
    if purpose == "previewed" and not KINDS[attachment.kind].image:
        raise AttachmentError(_l("Only photos have a preview."))
    stream = services.storage.open(attachment.storage_key)
    _audit(actor, f"attachment.{purpose}", attachment.case_id, attachment_id=attachment.id)
    return stream


# --- Sharing with a partner organisation ----------------------------------------------------------


def shareable_referrals(attachment: Attachment) -> list[Referral]:
    """The case's referrals an organisation is working on, to which the document may go."""
    return list(
        db.session.scalars(
            select(Referral)
            .options(joinedload(Referral.organisation))
            .where(Referral.case_id == attachment.case_id, Referral.status.in_(PARTNER_READABLE))
            .order_by(Referral.id)
        )
    )


def share(actor: Any, attachment: Attachment, referral: Referral) -> AttachmentShare:
    """Make the document available to the organisation of ``referral``: only under the person's
    consent to that disclosure, which the register of disclosures records."""
    _check_servable(attachment)
    if referral.case_id != attachment.case_id or referral.status not in PARTNER_READABLE:
        raise AttachmentError(
            _l("A document can be shared only with a referral of this case that was sent."),
            "referral_id",
        )
    if any(existing.referral_id == referral.id for existing in attachment.shares):
        raise AttachmentError(
            _l("This document is already shared with this organisation."), "referral_id"
        )
    disclosure = disclose(actor, referral, [f"document:{attachment.document_type}"])
    db.session.flush()
    shared = AttachmentShare(
        attachment=attachment,
        referral_id=referral.id,
        disclosure_id=disclosure.id,
        shared_by_id=actor.id,
    )
    db.session.add(shared)
    _audit(
        actor,
        "attachment.shared",
        attachment.case_id,
        attachment_id=attachment.id,
        referral_id=referral.id,
        organisation_id=referral.organisation_id,
    )
    return shared


def _partner_readable(statement, referral: Referral):
    """Documents shared with ``referral``, while the organisation works on it and the person's
    consent is in force: a withdrawn consent stops what was shared."""
    if (
        referral.status not in PARTNER_READABLE
        or current_consent(referral.case, consent_purpose(referral)) is None
    ):
        return None
    return statement.join(AttachmentShare, AttachmentShare.attachment_id == Attachment.id).where(
        AttachmentShare.referral_id == referral.id,
        Attachment.deleted_at.is_(None),
        Attachment.scan_status.in_(SERVABLE),
    )


def shared_with(referral: Referral) -> list[Attachment]:
    statement = _partner_readable(select(Attachment), referral)
    if statement is None:
        return []
    return list(db.session.scalars(statement.order_by(Attachment.uploaded_at, Attachment.id)))


def shared_document(referral: Referral, attachment_id: int) -> Attachment | None:
    """The document ``attachment_id`` if the organisation of ``referral`` may read it now."""
    statement = _partner_readable(select(Attachment), referral)
    if statement is None:
        return None
    return db.session.scalar(statement.where(Attachment.id == attachment_id))


# --- Deletion and retention ------------------------------------------------------------------------


def delete(actor: Any, attachment: Attachment, reason: str, expected_version: int) -> None:
    """Delete a document for a stated reason: the file is removed once this commits; the row
    stays as a trace (type, dates, who, why) without the name or the description."""
    if attachment.version != expected_version:
        raise StaleEdit()
    if attachment.is_deleted:
        raise AttachmentError(_l("This document was already deleted."))
    if reason not in DELETION_REASONS:
        raise AttachmentError(_l("Say why the document is deleted."), "reason")
    _erase(attachment, utcnow(), reason, actor.id)
    _audit(
        actor, "attachment.deleted", attachment.case_id, attachment_id=attachment.id, reason=reason
    )
    if attachment.expires_on:
        emit(DocumentExpiryChanged(attachment.case_id, attachment.id))


ERASED_NAME = "—"


def _erase(attachment: Attachment, now: datetime, reason: str, actor_id: int | None) -> None:
    attachment.deleted_at = attachment.deleted_at or now
    attachment.deleted_by_id = attachment.deleted_by_id or actor_id
    attachment.deletion_reason = attachment.deletion_reason or reason
    attachment.original_name = ERASED_NAME
    attachment.description = None
    attachment.file_removed_at = now
    _remove_after_commit(_storage(), attachment.storage_key)


def _storage() -> Storage:
    from flask import current_app

    return storage_from(current_app.config)


def erase_for_cases(case_ids: list[int] | tuple[int, ...], now: datetime) -> dict[str, int]:
    """Retention: the documents of cases being anonymised are destroyed with them (the files
    once the run commits). Counts only."""
    rows = db.session.scalars(
        select(Attachment).where(
            Attachment.case_id.in_(case_ids), Attachment.file_removed_at.is_(None)
        )
    ).all()
    for attachment in rows:
        _erase(attachment, now, "retention", None)
    return {"attachments_destroyed": len(rows)}


# --- The scanner's second chance ------------------------------------------------------------------


def _retry_after(attempts: int) -> timedelta:
    return min(RETRY_FIRST * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def claim_pending(now: datetime, limit: int = 20) -> list[int]:
    """Take up to ``limit`` documents whose scan is due (the caller commits before scanning):
    each claim moves its next try past the lease, so a second job leaves it alone."""
    due = db.session.execute(
        select(Attachment.id, Attachment.next_scan_at)
        .where(Attachment.scan_status == PENDING_SCAN, Attachment.next_scan_at <= now)
        .order_by(Attachment.next_scan_at, Attachment.id)
        .limit(limit)
    ).all()
    claimed = []
    for attachment_id, seen in due:
        taken = db.session.execute(
            update(Attachment)
            .where(Attachment.id == attachment_id, Attachment.next_scan_at == seen)
            .values(next_scan_at=now + SCAN_LEASE, scan_attempts=Attachment.scan_attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            claimed.append(attachment_id)
    return claimed


def scan_claimed(attachment_id: int, services: Services, now: datetime) -> str:
    """Scan one claimed document (no transaction open while clamd works) and record the outcome
    (the caller commits): « clean », « infected » (the file is destroyed), or « pending »."""
    key = db.session.scalar(select(Attachment.storage_key).where(Attachment.id == attachment_id))
    db.session.rollback()
    try:
        with services.storage.open(key) as stream:
            verdict = services.scanner.scan(stream)
    except (ScannerUnavailable, FileNotFoundError):
        attachment = db.session.get(Attachment, attachment_id)
        attachment.next_scan_at = now + _retry_after(attachment.scan_attempts)
        return "pending"
    attachment = db.session.get(Attachment, attachment_id)
    if verdict.clean:
        attachment.scan_status = "clean"
        attachment.scanned_at = now
        attachment.next_scan_at = None
        _audit(None, "attachment.scanned", attachment.case_id, attachment_id=attachment.id)
        return "clean"
    attachment.scan_status = "infected"
    attachment.next_scan_at = None
    _erase(attachment, now, "infected", None)
    _audit(
        None,
        "attachment.infected",
        attachment.case_id,
        "denied",
        attachment_id=attachment.id,
        signature=verdict.signature,
    )
    return "infected"


def sweep_orphans(services: Services, now: datetime) -> int:
    """Remove stored files that no live document owns (a crash between a file and its row);
    files younger than an hour may still be an upload in progress and are left."""
    live = set(
        db.session.scalars(
            select(Attachment.storage_key).where(Attachment.file_removed_at.is_(None))
        )
    )
    removed = 0
    for key, modified in services.storage.stored():
        if key not in live and now - modified > ORPHAN_AGE:
            removed += services.storage.delete(key)
    return removed
