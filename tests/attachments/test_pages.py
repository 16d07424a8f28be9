"""Document pages over HTTP: upload from the case page, download and preview with the case's
scoping and safe headers, sharing with a partner, deletion, and every bad input a clear 4xx."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import func, select

from casework.attachments.models import Attachment
from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers
from tests.attachments import samples


@pytest.fixture
def agent_case(app, client, login, make_case, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    agent = login(role="agent", region="06")
    return agent, make_case(agent)


def _upload(client, case_id, data, name="diplome.pdf", **fields):
    path = f"/dossiers/{case_id}/documents/nouveau"
    token = helpers.csrf_token(client, path)
    values = {"document_type": "diploma", "description": "DEC en soins infirmiers", **fields}
    return client.post(
        path,
        data={**values, "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _only_document(app) -> Attachment:
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        db.session.expunge(attachment)
        return attachment


def _files(app):
    from pathlib import Path

    root = Path(app.config["ATTACHMENTS_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_agent_uploads_from_the_case_page_and_downloads_safely(app, client, clamd, agent_case):
    _, case = agent_case
    page = client.get(f"/dossiers/{case.id}").text
    assert f"/dossiers/{case.id}/documents/nouveau" in page
    data = samples.pdf()
    response = _upload(client, case.id, data, "Diplôme DEC.pdf")
    assert response.status_code == 302
    assert response.location.endswith(f"/dossiers/{case.id}#documents")
    document = _only_document(app)
    case_page = client.get(f"/dossiers/{case.id}").text
    assert "Diplôme DEC.pdf" in case_page and "Document joint." in case_page

    download = client.get(f"/dossiers/{case.id}/documents/{document.id}/telecharger")
    assert download.status_code == 200
    assert download.data == data
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.headers["Cache-Control"] == "no-store"
    with app.app_context():
        downloads = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "attachment.downloaded")
        )
    assert downloads == 1
    client.get(f"/dossiers/{case.id}/documents/{document.id}/telecharger")
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "attachment.downloaded"
                )
            )
            == 2
        )  # one audit row per download


def test_a_pdf_has_no_preview_and_a_photo_has_one(app, client, clamd, agent_case):
    _, case = agent_case
    _upload(client, case.id, samples.pdf(), "diplome.pdf")
    pdf = _only_document(app)
    assert client.get(f"/dossiers/{case.id}/documents/{pdf.id}/apercu").status_code == 404
    assert client.get(f"/dossiers/{case.id}/documents/{pdf.id}/image").status_code == 404
    photo = samples.image("JPEG")
    _upload(client, case.id, photo, "permis.jpg", document_type="permit")
    with app.app_context():
        photo_id = db.session.scalar(select(Attachment.id).where(Attachment.kind == "jpeg"))
    preview = client.get(f"/dossiers/{case.id}/documents/{photo_id}/apercu")
    assert preview.status_code == 200
    assert f"/dossiers/{case.id}/documents/{photo_id}/image" in preview.text
    image = client.get(f"/dossiers/{case.id}/documents/{photo_id}/image")
    assert (image.status_code, image.data, image.mimetype) == (200, photo, "image/jpeg")
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert image.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vide.pdf", b"", "Le fichier est vide"),
        ("../../etc/passwd", samples.pdf(), "ressemble à un chemin"),
        ("polyglotte.pdf", samples.pdf_html_polyglot(), "code de page Web"),
        ("diplome.pdf.exe", samples.pdf(), "deux extensions"),
        ("bail\x07.pdf", samples.pdf(), "caractères de contrôle"),
        ("x" * 1000 + ".pdf", samples.pdf(), "trop long"),
        ("eicar.pdf", samples.eicar_zip(), "menace"),
    ],
)
def test_bad_files_get_a_clear_message_and_leave_nothing(
    app, client, clamd, agent_case, name, data, message
):
    _, case = agent_case
    response = _upload(client, case.id, data, name)
    assert response.status_code == 400
    assert message in _text(response)
    assert 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Attachment.id))) == 0
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "attachment.refused")
            )
            == 1
        )  # the refusal is kept, though the upload is not
    assert _files(app) == []


def test_an_upload_over_the_limit_is_a_413_read_from_the_headers(
    app, client, agent_case, monkeypatch
):
    _, case = agent_case
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024 * 1024)
    path = f"/dossiers/{case.id}/documents/nouveau"
    token = helpers.csrf_token(client, path)

    class Unreadable(io.RawIOBase):
        """A 2 GB body that must never be read: reading it fails the test."""

        def readable(self):
            return True

        def readinto(self, buffer):
            raise AssertionError("the body was read")

    response = client.post(
        path,
        headers={"X-CSRFToken": token},
        environ_overrides={
            "wsgi.input": Unreadable(),
            "CONTENT_TYPE": "multipart/form-data; boundary=x",
            "CONTENT_LENGTH": str(2 * 1024**3),
        },
    )
    assert response.status_code == 413
    assert "1 Mo permis" in response.text and "choisissez un fichier plus petit" in response.text
    # Other pages keep the small limit of every request.
    assert (
        client.post(
            "/langue",
            data={"locale": "en", "csrf_token": token, "x": "y" * (3 * 1024 * 1024)},
        ).status_code
        == 413
    )


def test_a_held_document_is_listed_but_not_served(app, client, clamd, agent_case):
    _, case = agent_case
    clamd.stop()
    response = _upload(client, case.id, samples.pdf(), "permis.pdf")
    assert response.status_code == 302
    assert "en attente d'analyse" in _text(client.get(response.location))
    document = _only_document(app)
    refused = client.get(f"/dossiers/{case.id}/documents/{document.id}/telecharger")
    assert refused.status_code == 302
    assert "en attente d'analyse" in _text(client.get(refused.location))


def _client_of(app, record):
    """A browser of its own, signed in as ``record``."""
    other = app.test_client()
    assert helpers.login(other, record.username, record.password).status_code == 302
    return other


def test_documents_follow_the_case_s_scope(app, client, clamd, agent_case, make_user):
    _, case = agent_case
    _upload(client, case.id, samples.pdf(), "diplome.pdf")
    document = _only_document(app)
    url = f"/dossiers/{case.id}/documents/{document.id}/telecharger"
    colleague = make_user(role="agent", region="06")
    assert _client_of(app, colleague).get(url).status_code == 403  # not their caseload
    # The document of one case is not reachable through another case's address.
    with app.app_context():
        other_case = helpers.create_case(colleague.id)
    wrong_case = f"/dossiers/{other_case.id}/documents/{document.id}/telecharger"
    assert _client_of(app, colleague).get(wrong_case).status_code == 403
    assert client.get(wrong_case).status_code == 404
    supervisor = make_user(role="supervisor", region="06")
    assert _client_of(app, supervisor).get(url).status_code == 200  # the region's supervisor
    elsewhere = make_user(role="supervisor", region="03")
    assert _client_of(app, elsewhere).get(url).status_code == 403
    for role in ("airport", "admin", "partner"):
        assert _client_of(app, make_user(role=role, region="06")).get(url).status_code == 403
    with app.app_context():
        denied = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.outcome == "denied")
        )
    assert denied >= 6


def _text(response) -> str:
    return html.unescape(response.text)


def _credentials(record):
    return record.username, record.password


def test_sharing_then_the_partner_downloads_only_what_was_shared(
    app, client, clamd, agent_case, make_user
):
    from casework.referrals.models import Disclosure

    agent, case = agent_case
    with app.app_context():
        referral_id = helpers.consented_referral(agent.id, case.id)
    data = samples.pdf()
    _upload(client, case.id, data, "diplome.pdf")
    _upload(client, case.id, samples.docx(), "bail.docx", document_type="lease")
    with app.app_context():
        diploma, lease = db.session.scalars(select(Attachment.id).order_by(Attachment.id)).all()
    share_page = f"/dossiers/{case.id}/documents/{diploma}/partager"
    assert "PROMIS" in client.get(share_page).text
    shared = helpers.post_form(client, share_page, {"referral_id": str(referral_id)})
    assert shared.status_code == 302
    with app.app_context():
        assert db.session.scalar(
            select(Disclosure.categories).where(Disclosure.case_id == case.id)
        ) == ["document:diploma"]

    partner = _client_of(app, make_user(role="partner", organisation="promis"))
    page = partner.get(f"/references/{referral_id}").text
    assert "diplome.pdf" in page and "bail.docx" not in page
    got = partner.get(f"/references/{referral_id}/documents/{diploma}")
    assert (got.status_code, got.data) == (200, data)
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert partner.get(f"/references/{referral_id}/documents/{lease}").status_code == 404
    assert partner.get(f"/dossiers/{case.id}/documents/{diploma}/telecharger").status_code == 403
    stranger = _client_of(app, make_user(role="partner", organisation="cfiq"))
    assert stranger.get(f"/references/{referral_id}/documents/{diploma}").status_code == 403


def test_deleting_asks_a_reason_and_removes_the_file(app, client, clamd, agent_case):
    _, case = agent_case
    _upload(client, case.id, samples.pdf(), "mauvais.pdf")
    document = _only_document(app)
    path = f"/dossiers/{case.id}/documents/{document.id}/supprimer"
    page = client.get(path).text
    fields = helpers.form_fields(page)
    missing = client.post(path, data={**fields, "reason": ""})
    assert missing.status_code == 200 and "Ce champ est obligatoire" in missing.text
    assert len(_files(app)) == 1
    done = client.post(path, data={**fields, "reason": "wrong_case"})
    assert done.status_code == 302
    assert _files(app) == []
    assert "1 document supprimé" in client.get(f"/dossiers/{case.id}").text
    assert client.get(f"/dossiers/{case.id}/documents/{document.id}/telecharger").status_code == 302
    stale = client.post(path, data={**fields, "reason": "duplicate"})
    assert stale.status_code == 404  # already deleted


def test_the_whole_file_page_lists_documents_and_the_zip_holds_them(app, client, clamd, agent_case):
    import zipfile

    _, case = agent_case
    data = samples.pdf()
    _upload(client, case.id, data, "diplome.pdf")
    document = _only_document(app)
    page = client.get(f"/rapports/dossiers/{case.id}/dossier-complet").text
    assert "diplome.pdf" in page and f"documents/{document.id}-diplome.pdf" in page
    response = client.get(f"/rapports/dossiers/{case.id}/dossier-complet.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read(f"documents/{document.id}-diplome.pdf") == data
        assert "dossier-complet.json" in archive.namelist()


def test_with_scanning_off_every_document_says_non_analyse(app, client, agent_case, monkeypatch):
    """The demo's explicit setting: documents are served, and labelled « Non analysé » wherever
    they are shown (the case page, the preview)."""
    monkeypatch.setitem(app.config, "SCANNING", "off")
    _, case = agent_case
    assert _upload(client, case.id, samples.pdf(), "diplome.pdf").status_code == 302
    photo = samples.image("PNG")
    assert _upload(client, case.id, photo, "permis.png", document_type="permit").status_code == 302
    with app.app_context():
        pdf_id, png_id = db.session.scalars(select(Attachment.id).order_by(Attachment.id)).all()
        statuses = set(db.session.scalars(select(Attachment.scan_status)))
    assert statuses == {"not_scanned"}
    documents = _text(client.get(f"/dossiers/{case.id}")).split('id="documents"', 1)[1]
    assert documents.count("Non analysé") == 2
    preview = client.get(f"/dossiers/{case.id}/documents/{png_id}/apercu")
    assert "Non analysé" in _text(preview)
    download = client.get(f"/dossiers/{case.id}/documents/{pdf_id}/telecharger")
    assert download.status_code == 200  # served, as the label says, without a scan
    assert client.get(f"/dossiers/{case.id}/documents/{png_id}/image").data == photo
