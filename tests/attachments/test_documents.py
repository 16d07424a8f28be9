"""Documents of a case through the service layer: bad input leaves nothing, sharing under
consent with the register, deletion with a reason, destruction by retention."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casework.attachments import operations
from casework.attachments.models import Attachment
from casework.core.domain import DomainError
from casework.extensions import db
from casework.referrals.models import Disclosure
from tests.attachments import samples


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("vide.pdf", b"", "empty"),
        ("../../etc/passwd", samples.pdf(), "name_path"),
        ("polyglotte.pdf", samples.pdf_html_polyglot(), "polyglot"),
        ("diplome.pdf.exe", samples.pdf(), "double_extension"),
        ("diplome\x1b[31m.pdf", samples.pdf(), "name_control"),
        ("d" * 1000 + ".pdf", samples.pdf(), "name_length"),
        ("page.html", b"<html><script>alert(1)</script></html>", "type"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_leave_nothing_on_disk(
    clamd, documents, name, data, reason
):
    attachment_id, refused = documents.upload(data, name)
    assert (attachment_id, refused) == (None, reason)
    assert documents.stored_files() == []
    with documents.app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None
    [(outcome, details)] = documents.audit("attachment.refused")
    assert (outcome, details["reason"]) == ("denied", reason)


def test_a_file_over_the_limit_is_stopped_at_the_limit(clamd, documents):
    services = documents.services(max_bytes=1024)

    class Endless:
        """A stream that never ends: reading stops at the limit, not at its end."""

        read_bytes = 0

        def read(self, size):
            self.read_bytes += size
            return b"%PDF-" + bytes(size - 5)

    stream = Endless()
    with documents.app.app_context():
        from casework.auth.models import User
        from casework.cases.models import Case

        outcome = operations.upload(
            db.session.get(User, documents.agent_id),
            db.session.get(Case, documents.case_id),
            stream,
            "enorme.pdf",
            operations.UploadFields("diploma", "Très gros"),
            services,
        )
        db.session.commit()
    assert outcome.refusal.reason == "too_large"
    assert stream.read_bytes <= 1024 + operations.READ_CHUNK
    assert documents.stored_files() == []


def test_fields_are_checked_before_anything_is_read(documents):
    for fields, field in (
        ({"document_type": "passport"}, "document_type"),
        ({"description": "  "}, "description"),
        ({"description": "x" * 301}, "description"),
        ({"expires_on": date(1850, 1, 1)}, "expires_on"),
    ):
        with pytest.raises(operations.AttachmentError) as error:
            documents.upload(samples.pdf(), **fields)
        assert error.value.field == field
    assert documents.stored_files() == []


def test_a_file_whose_row_is_rolled_back_is_removed(clamd, documents):
    from casework.auth.models import User
    from casework.cases.models import Case

    with documents.app.app_context():
        import io

        operations.upload(
            db.session.get(User, documents.agent_id),
            db.session.get(Case, documents.case_id),
            io.BytesIO(samples.pdf()),
            "diplome.pdf",
            operations.UploadFields("diploma", "Diplôme"),
            documents.services(),
        )
        assert len(documents.stored_files()) == 1
        db.session.rollback()
    assert documents.stored_files() == []


def _share(documents, attachment_id, referral_id):
    from casework.auth.models import User
    from casework.referrals.models import Referral

    with documents.app.app_context():
        operations.share(
            db.session.get(User, documents.agent_id),
            db.session.get(Attachment, attachment_id),
            db.session.get(Referral, referral_id),
        )
        db.session.commit()


def _shared_with(documents, referral_id):
    from casework.referrals.models import Referral

    with documents.app.app_context():
        return [a.id for a in operations.shared_with(db.session.get(Referral, referral_id))]


def test_sharing_is_per_document_under_consent_and_in_the_register(
    clamd, documents, consent_and_referral
):
    referral_id, _partner = consent_and_referral
    diploma, _ = documents.upload(samples.pdf(), "diplome.pdf")
    lease, _ = documents.upload(samples.docx(), "bail.docx", document_type="lease")
    assert _shared_with(documents, referral_id) == []

    _share(documents, diploma, referral_id)
    assert _shared_with(documents, referral_id) == [diploma]  # the lease stays with the agent
    with documents.app.app_context():
        [register] = db.session.scalars(
            select(Disclosure).where(Disclosure.case_id == documents.case_id)
        ).all()
        assert register.categories == ["document:diploma"]
        assert register.legal_basis == "consent:share_partner"
        assert register.referral_id == referral_id
    with pytest.raises(operations.AttachmentError):
        _share(documents, diploma, referral_id)  # once is enough
    assert lease


def test_no_sharing_without_consent_and_withdrawal_stops_it(clamd, documents, consent_and_referral):
    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case, Consent

    referral_id, _ = consent_and_referral
    diploma, _ = documents.upload(samples.pdf(), "diplome.pdf")
    _share(documents, diploma, referral_id)
    with documents.app.app_context():
        case = db.session.get(Case, documents.case_id)
        consent = db.session.scalar(select(Consent).where(Consent.case_id == case.id))
        cases.withdraw_consent(db.session.get(User, documents.agent_id), case, consent.id)
        db.session.commit()
    assert _shared_with(documents, referral_id) == []
    other, _ = documents.upload(samples.pdf(), "releve.pdf", document_type="transcript")
    with pytest.raises(DomainError) as error:
        _share(documents, other, referral_id)
    assert "consent" in str(error.value)


def test_a_held_document_cannot_be_shared(clamd, documents, consent_and_referral):
    referral_id, _ = consent_and_referral
    clamd.stop()
    held, _ = documents.upload(samples.pdf(), "diplome.pdf")
    with pytest.raises(operations.AttachmentError):
        _share(documents, held, referral_id)


def test_deleting_needs_a_reason_is_audited_and_removes_the_file(clamd, documents):
    from casework.auth.models import User

    attachment_id, _ = documents.upload(samples.pdf(), "mauvais-dossier.pdf")
    [stored] = documents.stored_files()
    with documents.app.app_context():
        user = db.session.get(User, documents.agent_id)
        attachment = db.session.get(Attachment, attachment_id)
        with pytest.raises(operations.AttachmentError) as error:
            operations.delete(user, attachment, "", attachment.version)
        assert error.value.field == "reason"
        operations.delete(user, attachment, "wrong_case", attachment.version)
        assert stored.exists()  # not before the deletion commits
        db.session.commit()
    assert not stored.exists()
    trace = documents.get(attachment_id)
    assert trace.is_deleted and trace.deletion_reason == "wrong_case"
    assert trace.original_name == operations.ERASED_NAME and trace.description is None
    assert documents.audit("attachment.deleted") == [
        ("ok", {"attachment_id": attachment_id, "reason": "wrong_case"})
    ]


def test_retention_destroys_the_documents_with_the_case(app, clamd, documents):
    from casework.cases.models import Case
    from casework.cases.retention import anonymise_expired
    from casework.core.time import utcnow

    attachment_id, _ = documents.upload(samples.pdf(), "diplome.pdf")
    [stored] = documents.stored_files()
    with app.app_context():
        case = db.session.get(Case, documents.case_id)
        case.status, case.closing_reason = "closed", "goals_met"
        case.closed_at = utcnow() - timedelta(days=400)
        db.session.commit()
        counts = anonymise_expired(utcnow(), retention_days=365)
        db.session.commit()
    assert counts["attachments_destroyed"] == 1
    assert not stored.exists()
    assert documents.stored_files() == []
    gone = documents.get(attachment_id)
    assert gone.file_removed_at is not None and gone.original_name == operations.ERASED_NAME


def test_the_sweep_removes_files_no_document_owns(app, clamd, documents):
    from casework.attachments import tasks
    from casework.core.time import utcnow

    attachment_id, _ = documents.upload(samples.pdf(), "diplome.pdf")
    orphan = documents.root / "ab" / ("ab" + "0" * 30)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind by a crash")
    with app.app_context():
        assert tasks.sweep(now=utcnow() + timedelta(hours=2)) == {"orphans_removed": 1}
    assert not orphan.exists()
    assert len(documents.stored_files()) == 1  # the live document's file stays
    assert attachment_id


def test_the_whole_file_export_lists_documents_and_zips_their_files(clamd, documents):
    import io
    import json
    import zipfile

    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.reports import exports

    data_pdf = samples.pdf()
    diploma, _ = documents.upload(data_pdf, "diplome.pdf")
    clamd.stop()
    held, _ = documents.upload(samples.pdf(), "permis.pdf", document_type="permit")
    clamd.start()
    with documents.app.app_context():
        user = db.session.get(User, documents.agent_id)
        case = db.session.get(Case, documents.case_id)
        data = exports.person_file(user, case)
        listing = {d["name"]: d for d in data["cases"][0]["documents"]}
        assert listing["diplome.pdf"]["file"] == f"documents/{diploma}-diplome.pdf"
        assert listing["permis.pdf"]["file"] is None  # awaiting its scan: listed, not included
        assert listing["permis.pdf"]["scan_status"] == "pending"
        out = io.BytesIO()
        storage = documents.services().storage
        exports.write_archive(data, exports.archive_documents(user, case), storage.open, out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "documents/" + f"{diploma}-diplome.pdf",
            "dossier-complet.json",
        ]
        assert archive.read(f"documents/{diploma}-diplome.pdf") == data_pdf
        assert json.loads(archive.read("dossier-complet.json"))["cases"][0]["documents"]
    assert held
