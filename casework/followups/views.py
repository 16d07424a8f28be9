"""Follow-up pages: record a follow-up (from the case page or a « follow-up due » reminder),
and the history of the person's situation."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.cases.forms import parse_id
from casework.cases.views import load_case, read_on_get
from casework.cases.views import template_context as case_file_context
from casework.core import audit
from casework.core.forms import submitted
from casework.core.navigation import done
from casework.core.permissions import requires
from casework.followups import operations
from casework.followups.forms import build_form, domain_fields
from casework.followups.models import DOMAINS
from casework.reference.lookup import regions

bp = Blueprint("followups", __name__, url_prefix="/dossiers/<int:case_id>/suivis")


def template_context() -> dict:
    return {**case_file_context(), **operations.LABELS}


bp.context_processor(template_context)


def _reminder_id() -> int | None:
    value = request.args.get("rappel", "")
    return parse_id(value)


def _form_page(case) -> tuple[Any, partial]:
    """The follow-up form, filled from the latest situation, the plan's objectives and the
    referrals with outcomes (or as posted), and its page."""
    latest = operations.latest_situation(case.id)
    actions = operations.objectives(case)
    referrals = operations.referrals_with_outcomes(case)
    posted = request.form if request.method == "POST" else None
    form = build_form(case, regions(), latest, actions, referrals, formdata=posted)
    return form, partial(
        render_template,
        "followups/form.html",
        case=case,
        form=form,
        domains=DOMAINS,
        domain_fields=domain_fields,
        latest=latest,
        objectives=actions,
        referrals=referrals,
        opened_on=operations.opened_on(case),
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("followups.record")
def new(case_id: int):
    case = load_case(case_id, "followups.record", read=read_on_get())
    form, page = _form_page(case)
    if not submitted(form, page):
        return page()
    values = form.values()
    values.reminder_id = _reminder_id()
    operations.record(current_user, case, values)
    return done(_("Follow-up recorded."), url_for("followups.history", case_id=case.id))


@bp.get("/")
@requires("followups.read")
def history(case_id: int):
    case = load_case(case_id, "followups.read")
    follow_ups = operations.history(case.id)
    audit.record(current_user, "follow_up.history_viewed", case, count=len(follow_ups))
    return render_template(
        "followups/history.html",
        case=case,
        follow_ups=follow_ups,
        domains=DOMAINS,
        latest=operations.latest_situation(case.id),
    )
