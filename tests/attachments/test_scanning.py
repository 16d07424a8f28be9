"""Virus scanning with a real clamd (tests/clamav.py: Debian's daemon, the EICAR signature only):
what is refused, what waits when the scanner is down, and what the rescan job releases."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from casework.attachments import operations, tasks
from casework.attachments.scanner import Clamd, ScannerUnavailable
from casework.core.time import utcnow
from casework.extensions import db
from tests.attachments import samples
from tests.clamav import EICAR, SIGNATURE


def test_clamd_finds_eicar_raw_and_inside_a_zip_and_passes_a_clean_pdf(clamd):
    scanner = Clamd(clamd.socket, 30)
    assert scanner.ping()
    assert scanner.scan(io.BytesIO(EICAR)).signature == SIGNATURE
    assert scanner.scan(io.BytesIO(samples.eicar_zip())).signature == SIGNATURE
    assert scanner.scan(io.BytesIO(samples.pdf())).clean


def test_an_unreachable_scanner_says_so(tmp_path):
    scanner = Clamd(str(tmp_path / "no-such.sock"), 2)
    assert not scanner.ping()
    with pytest.raises(ScannerUnavailable):
        scanner.scan(io.BytesIO(b"%PDF-1.4"))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("eicar.com", EICAR),
        ("diplome.pdf", samples.eicar_zip()),  # the EICAR file in a ZIP disguised as a PDF
        ("releve.pdf", samples.pdf() + b"\n" + EICAR),  # a real PDF carrying it
    ],
)
def test_an_infected_file_is_refused_audited_and_not_kept(clamd, documents, name, data):
    attachment_id, reason = documents.upload(data, name)
    assert attachment_id is None
    assert reason == "infected"
    assert documents.audit("attachment.refused") == [
        ("denied", {"reason": "infected", "signature": SIGNATURE})
    ]
    assert documents.stored_files() == []


def test_a_clean_pdf_passes_and_is_stored_under_a_random_name(clamd, documents):
    data = samples.pdf()
    attachment_id, reason = documents.upload(data, "Diplôme DEC.pdf")
    assert reason is None
    attachment = documents.get(attachment_id)
    assert attachment.scan_status == "clean"
    assert attachment.scanned_at is not None
    assert (attachment.original_name, attachment.kind) == ("Diplôme DEC.pdf", "pdf")
    assert attachment.size_bytes == len(data)
    import hashlib

    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    [stored] = documents.stored_files()
    assert stored.name == attachment.storage_key
    assert "Diplôme" not in str(stored)
    assert stored.read_bytes() == data
    assert stored.stat().st_mode & 0o077 == 0  # readable by the application's user only
    assert documents.audit("attachment.uploaded")[0][1]["scan"] == "clean"


def test_a_stopped_scanner_holds_the_file_until_the_job_releases_it(app, clamd, documents):
    clamd.stop()
    data = samples.pdf()
    attachment_id, reason = documents.upload(data, "permis.pdf", document_type="permit")
    assert reason is None
    held = documents.get(attachment_id)
    assert held.scan_status == "pending"
    assert not held.servable
    with app.app_context(), pytest.raises(operations.AttachmentError):
        _open(documents, attachment_id)

    later = utcnow() + timedelta(minutes=2)
    with app.app_context():
        assert tasks.rescan(now=later) == {"pending": 1}  # still down: it waits again
    assert documents.get(attachment_id).scan_status == "pending"

    clamd.start()
    with app.app_context():
        assert tasks.rescan(now=later + timedelta(hours=1)) == {"clean": 1}
    released = documents.get(attachment_id)
    assert (released.scan_status, released.servable) == ("clean", True)
    with app.app_context():
        assert _open(documents, attachment_id).read() == data
    assert documents.audit("attachment.scanned")


def test_a_held_file_found_infected_later_is_destroyed(app, clamd, documents):
    clamd.stop()
    attachment_id, _ = documents.upload(samples.pdf() + b"\n" + EICAR, "releve.pdf")
    assert documents.get(attachment_id).scan_status == "pending"
    clamd.start()
    with app.app_context():
        assert tasks.rescan(now=utcnow() + timedelta(minutes=5)) == {"infected": 1}
    destroyed = documents.get(attachment_id)
    assert destroyed.scan_status == "infected"
    assert destroyed.is_deleted and not destroyed.servable
    assert documents.stored_files() == []
    assert documents.audit("attachment.infected")[0][1]["signature"] == SIGNATURE


def test_no_transaction_is_open_while_clamd_scans(app, clamd, documents, monkeypatch):
    seen = []
    original = Clamd.scan

    def watching(self, stream):
        seen.append(db.session().in_transaction())
        return original(self, stream)

    monkeypatch.setattr(Clamd, "scan", watching)
    documents.upload(samples.pdf(), "diplome.pdf")
    assert seen == [False]


def test_scanning_off_marks_files_not_scanned_and_serves_them(app, documents, monkeypatch):
    monkeypatch.setitem(app.config, "SCANNING", "off")
    attachment_id, _ = documents.upload(samples.pdf(), "diplome.pdf")
    attachment = documents.get(attachment_id)
    assert (attachment.scan_status, attachment.servable) == ("not_scanned", True)


def test_scanning_off_outside_the_demo_is_a_problem_for_the_check(app, monkeypatch):
    from casework.attachments.scanner import scanning_problem

    config = {**app.config, "SCANNING": "off", "DEMO": False}
    assert "désactivée" in scanning_problem(config)
    assert scanning_problem({**config, "DEMO": True}) is None


def _open(documents, attachment_id):
    from casework.attachments.models import Attachment
    from casework.auth.models import User

    stream = operations.open_file(
        db.session.get(User, documents.agent_id),
        db.session.get(Attachment, attachment_id),
        documents.services(),
        "downloaded",
    )
    db.session.commit()
    return stream
