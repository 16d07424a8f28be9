"""The action plan of a case: generate, edit the draft, finalise, follow up the actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from casework.cases.views import load_case, render_file, template_context
from casework.core.domain import DomainError, StaleEdit
from casework.core.forms import ConfirmForm
from casework.core.permissions import requires
from casework.extensions import db
from casework.plans import operations
from casework.plans.forms import (
    ASSIGNEE_LABELS,
    STATUS_LABELS,
    ActionStatusForm,
    NewActionForm,
    VersionForm,
    schedule_form,
)
from casework.plans.models import Plan

bp = Blueprint("plans", __name__, url_prefix="/cases/<int:case_id>/plan")
bp.context_processor(template_context)


def _english() -> bool:
    locale = get_locale()
    return bool(locale and locale.language == "en")


def _show(case, plan: Plan | None):
    book = operations.rules()
    add_form = NewActionForm(data={"version": plan.version if plan else 0})
    add_form.fill_choices(book.services, _english())
    return render_file(
        "plans/show.html",
        case=case,
        plan=plan,
        plans=operations.plans_of(case),
        services=book.services,
        english=_english(),
        assignees=ASSIGNEE_LABELS,
        statuses=STATUS_LABELS,
        add_form=add_form,
        schedule=schedule_form(plan) if plan and plan.is_draft else None,
        confirm=ConfirmForm(),
        status_form=ActionStatusForm(),
        has_assessment=operations.latest_completed_assessment(case) is not None,
    )


@bp.get("/")
@requires("plans.read")
def current(case_id: int):
    case = load_case(case_id, "plans.read", read="plan.viewed")
    return _show(case, operations.latest(case))


@bp.get("/<int:number>")
@requires("plans.read")
def version(case_id: int, number: int):
    case = load_case(case_id, "plans.read", read="plan.viewed")
    plan = operations.version(case, number)
    if plan is None:
        abort(404)
    return _show(case, plan)


def _back(case_id: int):
    return redirect(url_for("plans.current", case_id=case_id))


def _act(case_id: int, form, action) -> object:
    """Run ``action(case, plan, version)`` on the current draft; flash what went wrong."""
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None:
        abort(404)
    if not form.validate_on_submit():
        if (
            form.is_submitted()
            and getattr(form, "version", None) is not None
            and form.version.errors
        ):
            abort(400)
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(case_id)
    try:
        action(case, plan, form.version.data if hasattr(form, "version") else None)
    except StaleEdit:
        db.session.rollback()
        abort(409)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(case_id)
    db.session.commit()
    return None


@bp.post("/generer")
@requires("plans.edit")
def generate(case_id: int):
    case = load_case(case_id, "plans.edit")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.generate(current_user, case)
    except DomainError as error:
        flash(str(error), "error")
        return _back(case_id)
    db.session.commit()
    flash(_("Draft plan built from the latest assessment. Review it, then finalise it."), "success")
    return _back(case_id)


@bp.post("/actions")
@requires("plans.edit")
def add_action(case_id: int):
    form = NewActionForm()
    values = operations.NewAction(
        label=form.label.data or "",
        objective=form.objective.data or "",
        due_on=form.due_on.data,
        assignee=form.assignee.data or "",
        service=form.service.data or "",
    )
    outcome = _act(
        case_id,
        form,
        lambda case, plan, v: operations.add_action(current_user, case, plan, values, v),
    )
    if outcome is None:
        flash(_("Action added."), "success")
    return outcome or _back(case_id)


@bp.post("/actions/<int:action_id>/retirer")
@requires("plans.edit")
def remove_action(case_id: int, action_id: int):
    outcome = _act(
        case_id,
        VersionForm(),
        lambda case, plan, v: operations.remove_action(current_user, case, plan, action_id, v),
    )
    if outcome is None:
        flash(_("Action removed."), "success")
    return outcome or _back(case_id)


@bp.post("/actions/<int:action_id>/<any(monter, descendre):direction>")
@requires("plans.edit")
def move_action(case_id: int, action_id: int, direction: str):
    step = -1 if direction == "monter" else 1
    outcome = _act(
        case_id,
        VersionForm(),
        lambda case, plan, v: operations.move_action(current_user, case, plan, action_id, step, v),
    )
    return outcome or _back(case_id)


@bp.post("/echeances")
@requires("plans.edit")
def schedule(case_id: int):
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None or not plan.is_draft:
        abort(409)
    form = schedule_form(plan, formdata=request.form)
    changes = {
        action.id: (form[f"due_{action.id}"].data, form[f"assignee_{action.id}"].data)
        for action in plan.actions
    }
    outcome = _act(
        case_id,
        form,
        lambda case, plan, v: operations.update_schedule(current_user, case, plan, changes, v),
    )
    if outcome is None:
        flash(_("Saved."), "success")
    return outcome or _back(case_id)


@bp.post("/finaliser")
@requires("plans.edit")
def finalise(case_id: int):
    outcome = _act(
        case_id,
        VersionForm(),
        lambda case, plan, v: operations.finalise(current_user, case, plan, v),
    )
    if outcome is None:
        flash(_("Plan finalised."), "success")
    return outcome or _back(case_id)


@bp.post("/actions/<int:action_id>/statut")
@requires("plans.edit")
def action_status(case_id: int, action_id: int):
    form = ActionStatusForm()
    outcome = _act(
        case_id,
        form,
        lambda case, plan, _v: operations.set_action_status(
            current_user, case, plan, action_id, form.status.data, form.reason.data
        ),
    )
    if outcome is None:
        flash(_("Saved."), "success")
    return outcome or _back(case_id)
