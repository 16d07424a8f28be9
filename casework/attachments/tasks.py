"""Scheduled work on documents: scan again what the scanner could not check at upload, and
remove stored files that no document owns."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from flask import current_app

from casework.attachments import operations
from casework.core.time import utcnow
from casework.extensions import db

log = logging.getLogger(__name__)


def rescan(now: datetime | None = None, services: operations.Services | None = None) -> dict:
    """Scan the documents held « awaiting scan » whose next try is due. Each claim is committed
    before clamd is asked, and each outcome right after: no transaction stays open while the
    scanner works, and a job that stops leaves its claims to expire."""
    services = services or operations.services_from(current_app.config)
    counts: Counter[str] = Counter()
    if services.scanner is None:
        return {"skipped_scanning_off": 1}
    while True:
        moment = now or utcnow()
        claimed = operations.claim_pending(moment)
        db.session.commit()
        if not claimed:
            break
        for attachment_id in claimed:
            counts[operations.scan_claimed(attachment_id, services, moment)] += 1
            db.session.commit()
        if counts["pending"]:
            break  # the scanner is still away: the rest waits for the next run
    return dict(counts)


def sweep(now: datetime | None = None) -> dict:
    """Files in the store that no live document owns (a crash between writing a file and
    committing its row, or between a deletion's commit and the file's removal)."""
    services = operations.services_from(current_app.config)
    removed = operations.sweep_orphans(services, now or utcnow())
    if removed:
        log.warning("attachments sweep: %d stored files had no document and were removed", removed)
    return {"orphans_removed": removed}
