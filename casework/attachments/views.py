"""Document pages: attach, preview, download, share, delete; and the partner's download of what
was shared with its referral. Thin: parse, call one operation, respond."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from casework.attachments import operations
from casework.attachments.content import KINDS
from casework.attachments.forms import DeleteForm, ShareForm, UploadForm
from casework.attachments.models import Attachment
from casework.cases.models import Case
from casework.cases.operations import current_consent
from casework.core.forms import submitted
from casework.core.navigation import done
from casework.core.permissions import load_or_abort, requires
from casework.core.security import accepts_upload
from casework.core.unit_of_work import refusals_go_to
from casework.referrals.models import Referral
from casework.referrals.operations import consent_purpose

bp = Blueprint("attachments", __name__, url_prefix="/dossiers/<int:case_id>/documents")
partner_bp = Blueprint(
    "partner_documents", __name__, url_prefix="/references/<int:referral_id>/documents"
)
# What a document's response may do in the browser: nothing (no script, no frame, no plugin).
DOCUMENT_POLICY = "default-src 'none'; img-src 'self'; sandbox"


bp.context_processor(operations.labels)
partner_bp.context_processor(operations.labels)


def _services() -> operations.Services:
    return operations.services_from(current_app.config)


def _document(case_id: int, attachment_id: int, action: str) -> Attachment:
    """The document, if ``action`` is allowed on its case; 404 when it is not this case's."""
    attachment = load_or_abort(Attachment, attachment_id, action)
    if attachment.case_id != case_id:
        abort(404)
    return attachment


def _case_page(case_id: int) -> str:
    return url_for("cases.show", case_id=case_id) + "#documents"


def _upload_page(case: Case) -> tuple[UploadForm, partial]:
    """The upload form and its page, the size limit named on both."""
    form = UploadForm()
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    # forms.js says at once when the chosen file is over the limit, and does not send it: the
    # server would only answer 413 once the browser had sent it (it checks again, regardless).
    form.file.render_kw = {
        "data-max-bytes": str(max_bytes),
        "data-too-large": str(operations.too_large(max_bytes)),
    }
    max_mb = max_bytes // (1024 * 1024)
    return form, partial(
        render_template, "attachments/upload.html", case=case, form=form, max_mb=max_mb
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("attachments.upload")
@accepts_upload(operations.upload_request_limit)
def upload(case_id: int):
    case = load_or_abort(Case, case_id, "attachments.upload")
    form, page = _upload_page(case)
    if not submitted(form, page):
        return page(), 400 if form.is_submitted() else 200
    received = form.file.data
    fields = operations.UploadFields(
        form.document_type.data, form.description.data, form.expires_on.data
    )
    outcome = operations.upload(
        current_user, case, received.stream, received.filename, fields, _services()
    )
    return _upload_answer(outcome, form, page, case_id)


def _upload_answer(outcome: operations.Upload, form: UploadForm, page: partial, case_id: int):
    """The form again with the refusal under the file (400), or the case: attached, or
    attached and awaiting its scan."""
    if outcome.refusal is not None:
        # The refusal is in the audit trail, which this request's unit of work commits.
        form.file.errors = [str(outcome.refusal)]
        return page(), 400
    if outcome.attachment.scan_status == "pending":
        message = _(
            "Document attached. It is awaiting its virus scan: it can be opened once the scan is done."
        )
        return done(message, _case_page(case_id), "warning")
    return done(_("Document attached."), _case_page(case_id))


def _send(attachment: Attachment, purpose: str, inline: bool) -> Response:
    refusals_go_to(_case_page(attachment.case_id))
    stream = operations.open_file(current_user, attachment, _services(), purpose)
    response = send_file(
        stream,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.original_name,
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:attachment_id>/telecharger")
@requires("attachments.read")
def download(case_id: int, attachment_id: int):
    return _send(_document(case_id, attachment_id, "attachments.read"), "downloaded", False)


@bp.get("/<int:attachment_id>/apercu")
@requires("attachments.read")
def preview(case_id: int, attachment_id: int):
    document = _document(case_id, attachment_id, "attachments.read")
    if not KINDS[document.kind].image or not document.servable:
        abort(404)
    return render_template("attachments/preview.html", case=document.case, document=document)


@bp.get("/<int:attachment_id>/image")
@requires("attachments.read")
def image(case_id: int, attachment_id: int):
    document = _document(case_id, attachment_id, "attachments.read")
    if not KINDS[document.kind].image:
        abort(404)
    return _send(document, "previewed", True)


def _share_page(document: Attachment, referrals: list[Referral], form: ShareForm) -> partial:
    """The share page: the referrals to choose from, and whether consent allows any."""
    form.referral_id.choices = [(r.id, f"{r.organisation.name} — {r.purpose}") for r in referrals]
    consent = any(current_consent(document.case, consent_purpose(r)) for r in referrals)
    return partial(
        render_template,
        "attachments/share.html",
        case=document.case,
        document=document,
        form=form,
        consent=consent or not referrals,
    )


@bp.route("/<int:attachment_id>/partager", methods=["GET", "POST"])
@requires("attachments.share")
def share(case_id: int, attachment_id: int):
    document = _document(case_id, attachment_id, "attachments.share")
    referrals = operations.shareable_referrals(document)
    form = ShareForm()
    page = _share_page(document, referrals, form)
    if not submitted(form, page):
        return page()
    chosen = next((r for r in referrals if r.id == form.referral_id.data), None)
    if chosen is None:
        abort(400)
    operations.share(current_user, document, chosen)
    return done(
        _("Document shared with %(organisation)s.", organisation=chosen.organisation.name),
        _case_page(case_id),
    )


@bp.route("/<int:attachment_id>/supprimer", methods=["GET", "POST"])
@requires("attachments.manage")
def delete(case_id: int, attachment_id: int):
    document = _document(case_id, attachment_id, "attachments.manage")
    if document.is_deleted:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.version.data = document.version
    page = partial(
        render_template, "attachments/delete.html", case=document.case, document=document, form=form
    )
    if not submitted(form, page):
        return page()
    operations.delete(current_user, document, form.reason.data, form.version.data)
    return done(_("Document deleted."), _case_page(case_id))


@partner_bp.get("/<int:attachment_id>")
@requires("attachments.partner")
def download_shared(referral_id: int, attachment_id: int):
    """An organisation's user downloads a document shared with its referral, and only that."""
    referral = load_or_abort(Referral, referral_id, "attachments.partner")
    document = operations.shared_document(referral, attachment_id)
    if document is None:
        abort(404)
    return _send(document, "downloaded", False)
