"""Messages pages: the templates (administrators), how a case may be reached (its agent), the
person's opt-out, and the SMS gateway's webhook (delivery receipts, replies)."""

from __future__ import annotations

import json
import logging
from functools import partial

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casework.cases.models import Case
from casework.core.forms import ConfirmForm, submitted
from casework.core.navigation import done
from casework.core.permissions import load_or_abort, public, requires
from casework.extensions import csrf
from casework.messages import operations, outbox, wording
from casework.messages.forms import ContactSettingsForm, OptOutForm, TemplateForm
from casework.messages.models import CHANNELS
from casework.messages.sms import SIGNATURE_HEADER, signature_is_valid

log = logging.getLogger(__name__)

bp = Blueprint("messages", __name__, url_prefix="/messages")
case_bp = Blueprint("case_messages", __name__, url_prefix="/dossiers")

NAME_LABELS = {**operations.KIND_LABELS, wording.FOOTER: _l("Footer (every message)")}
LANGUAGE_LABELS = {"fr": "Français", "en": "English"}


def _known(language: str, name: str, channel: str) -> None:
    if language not in wording.LANGUAGES or name not in wording.NAMES or channel not in CHANNELS:
        abort(404)


# --- Templates ------------------------------------------------------------------------------


@bp.get("/modeles")
@requires("messages.templates")
def templates():
    rows = [
        (name, channel, language, wording.is_edited(language, name, channel))
        for name in wording.NAMES
        for channel in CHANNELS
        for language in wording.LANGUAGES
    ]
    return render_template(
        "messages/templates.html",
        rows=rows,
        name_labels=NAME_LABELS,
        channel_labels=operations.CHANNEL_LABELS,
        language_labels=LANGUAGE_LABELS,
    )


def _template_page(form: TemplateForm, language: str, name: str, channel: str):
    """The template's edit page, ready to render (with the form as it stands)."""
    placeholders = wording.FOOTER_PLACEHOLDERS if name == wording.FOOTER else wording.PLACEHOLDERS
    return partial(
        render_template,
        "messages/template_form.html",
        form=form,
        language=language,
        name=name,
        channel=channel,
        title=f"{NAME_LABELS[name]} · {operations.CHANNEL_LABELS[channel]} · {LANGUAGE_LABELS[language]}",
        placeholders=placeholders,
        edited=wording.is_edited(language, name, channel),
    )


@bp.route("/modeles/<language>/<name>/<channel>", methods=["GET", "POST"])
@requires("messages.templates")
def edit_template(language: str, name: str, channel: str):
    _known(language, name, channel)
    form = TemplateForm()
    if request.method == "GET":
        form.text.data = operations.read_template(current_user, language, name, channel)
    page = _template_page(form, language, name, channel)
    if not submitted(form, page):
        return page()
    operations.save_template(current_user, language, name, channel, form.text.data or "")
    return done(_("Template saved. New messages use it."), url_for("messages.templates"))


@bp.post("/modeles/<language>/<name>/<channel>/par-defaut")
@requires("messages.templates")
def reset_template(language: str, name: str, channel: str):
    _known(language, name, channel)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.reset_template(current_user, language, name, channel)
    return done(_("The original text is back."), url_for("messages.templates"))


# --- How the case may be reached -----------------------------------------------------------


@case_bp.route("/<int:case_id>/messages/coordonnees", methods=["GET", "POST"])
@requires("cases.edit")
def contact_settings(case_id: int):
    case = load_or_abort(Case, case_id, "cases.edit")
    settings = operations.settings_of(case.id)
    form = ContactSettingsForm(obj=settings)
    page = partial(render_template, "messages/contact_settings.html", form=form, case=case)
    if not submitted(form, page):
        return page()
    operations.update_settings(
        current_user, case, bool(form.phone_is_landline.data), form.time_zone.data
    )
    return done(_("Saved."), url_for("cases.show", case_id=case.id) + "#messages")


# --- The person's opt-out ------------------------------------------------------------------


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@public
def opt_out(token: str):
    message = operations.message_by_opt_out_token(token)
    if message is None:
        abort(404)
    form = OptOutForm()
    if not form.validate_on_submit():
        return render_template("messages/opt_out.html", form=form, done=False)
    operations.opt_out_by_email(token)
    return render_template("messages/opt_out.html", form=form, done=True)


# --- The SMS gateway -----------------------------------------------------------------------


def _signed_payload() -> tuple[dict, None] | tuple[None, tuple[dict, int]]:
    """The webhook's JSON object, or the problem to answer: a bad signature (401), a body that
    is not a JSON object (400)."""
    body = request.get_data(cache=False)
    secret = current_app.config.get("SMS_WEBHOOK_SECRET", "")
    if not signature_is_valid(secret, body, request.headers.get(SIGNATURE_HEADER)):
        log.warning("SMS webhook: bad signature; refused")
        return None, ({"title": "bad signature", "status": 401}, 401)
    try:
        payload = json.loads(body)
    except ValueError:
        return None, ({"title": "not JSON", "status": 400}, 400)
    if not isinstance(payload, dict):
        return None, ({"title": "not an object", "status": 400}, 400)
    return payload, None


@bp.post("/sms/webhook")
@public
@csrf.exempt
def sms_webhook():
    """Delivery receipts and replies, signed by the gateway: a bad signature is 401 and nothing
    is recorded; a receipt for a message we do not know is acknowledged and ignored (a retry
    would change nothing)."""
    payload, refusal = _signed_payload()
    if refusal is not None:
        return refusal
    if payload.get("type") == "inbound":
        result = operations.record_sms_reply(payload.get("from"), payload.get("text"))
    else:
        result = outbox.record_receipt(payload)
    return {"result": result}, 200
