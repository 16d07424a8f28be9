"""Reminders pages: the list with its tabs, complete, snooze, reassign, retry; the rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework.auth.models import User
from casework.cases.forms import parse_id
from casework.core import audit
from casework.core.domain import StaleEdit
from casework.core.forms import save_versioned
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import Scope, can, load_or_abort, requires, scope_for
from casework.core.time import local_today
from casework.extensions import db
from casework.reminders import operations
from casework.reminders.forms import UNIT_LABELS, ReassignForm, RuleForm, SnoozeForm, VersionedForm
from casework.reminders.models import FollowUpRule, Reminder

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


@bp.app_context_processor
def header_counter() -> dict:
    """The header's count of unread notifications: one bounded query, only when a page shows it."""

    def unread_notifications() -> int:
        if "unread_notifications" not in g:
            g.unread_notifications = (
                operations.unread_count(current_user) if can(current_user, "reminders.read") else 0
            )
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.context_processor
def labels() -> dict:
    return {
        "status_labels": operations.STATUS_LABELS,
        "error_labels": operations.ERROR_LABELS,
        "email_kinds": operations.EMAIL_KINDS,
        "subject_labels": operations.SUBJECT_LABELS,
        "tabs": operations.TABS,
        "unit_labels": UNIT_LABELS,
    }


def _back() -> str:
    """Back to the tab the action was taken from (only the known query parameters)."""
    tab = request.args.get("tab", "")
    return url_for("reminders.index", tab=tab if tab in operations.TABS else None)


@bp.get("/")
@requires("reminders.read")
def index():
    tab = request.args.get("tab", "due")
    if tab not in operations.TABS:
        tab = "due"
    regional = scope_for(current_user.role, "reminders.read") is Scope.REGION
    filters = operations.ListFilters(
        tab=tab, agent_id=parse_id(request.args.get("agent")) if regional else None
    )
    today = local_today()
    page = paginate(
        operations.listing(current_user, filters, today),
        parse_page_number(request.args.get("page")),
    )
    notifications = operations.unread(current_user)
    # The page shows them: the header counter starts again from zero.
    operations.mark_read(current_user)
    audit.record(
        current_user,
        "reminders.read",
        target_type="reminder",
        reminder_ids=[reminder.id for reminder in page.items],
    )
    html = render_template(
        "reminders/index.html",
        page=page,
        filters=filters,
        counts=operations.tab_counts(current_user, filters, today),
        notifications=notifications,
        regional=regional,
        agents=_region_agents() if regional else [],
        undelivered=operations.undelivered_emails(current_user) if tab == "failed" else [],
        form=VersionedForm(),
        today=today,
    )
    db.session.commit()
    return html


def _region_agents() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "agent", User.region_id == current_user.region_id)
            .order_by(User.full_name)
        )
    )


def _load(reminder_id: int, action: str) -> Reminder:
    return load_or_abort(Reminder, reminder_id, action)


def _act(reminder: Reminder, operation) -> None:
    """Run ``operation`` with the posted version: 400 for a tampered form, 409 for a stale one
    or a reminder handled meanwhile."""
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operation(form.version.data)
    except (StaleEdit, operations.AlreadySettled):
        db.session.rollback()
        abort(409)


@bp.post("/<int:reminder_id>/terminer")
@requires("reminders.act")
def complete(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    _act(reminder, lambda version: operations.complete(current_user, reminder, version))
    db.session.commit()
    flash(_("Reminder marked as done."), "success")
    return redirect(_back())


@bp.post("/<int:reminder_id>/relancer")
@requires("reminders.act")
def retry(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    _act(reminder, lambda version: operations.retry(current_user, reminder, version))
    db.session.commit()
    flash(_("The e-mail will be sent again within a minute."), "success")
    return redirect(_back())


@bp.route("/<int:reminder_id>/reporter", methods=["GET", "POST"])
@requires("reminders.act")
def snooze(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    form = SnoozeForm()
    if request.method == "GET":
        form.version.data = reminder.version
    done = _save(
        form, lambda: operations.snooze(current_user, reminder, form.until.data, form.version.data)
    )
    if done:
        flash(_("Reminder snoozed."), "success")
        return redirect(url_for("reminders.index", tab="snoozed"))
    if reminder.status not in ("pending", "sent", "snoozed"):
        abort(409)
    return render_template(
        "reminders/snooze.html", form=form, reminder=reminder, today=local_today()
    )


@bp.route("/<int:reminder_id>/reassigner", methods=["GET", "POST"])
@requires("reminders.reassign")
def reassign(reminder_id: int):
    reminder = _load(reminder_id, "reminders.reassign")
    form = ReassignForm()
    form.fill_choices(operations.reassign_candidates(reminder))
    if request.method == "GET":
        form.version.data = reminder.version
    chosen = db.session.get(User, form.agent_id.data) if form.agent_id.data else None
    done = _save(
        form, lambda: operations.reassign(current_user, reminder, chosen, form.version.data)
    )
    if done:
        flash(_("Reminder handed to %(name)s.", name=chosen.full_name), "success")
        return redirect(url_for("reminders.index"))
    if reminder.status not in ("pending", "sent", "snoozed", "failed"):
        abort(409)
    return render_template("reminders/reassign.html", form=form, reminder=reminder)


def _save(form, operation) -> bool:
    """``save_versioned`` that also answers 409 for a reminder handled meanwhile."""
    try:
        result = save_versioned(form, lambda: operation() or True)
    except operations.AlreadySettled:
        db.session.rollback()
        abort(409)
    if result:
        db.session.commit()
    return bool(result)


# --- Rules --------------------------------------------------------------------------------------


@bp.get("/regles")
@requires("reminders.rules")
def rules():
    return render_template("reminders/rules.html", rules=operations.all_rules())


@bp.route("/regles/<int:rule_id>", methods=["GET", "POST"])
@requires("reminders.rules")
def edit_rule(rule_id: int):
    rule = load_or_abort(FollowUpRule, rule_id, "reminders.rules")
    form = RuleForm(obj=rule)
    if request.method == "GET":
        form.version.data = rule.version
    changed = save_versioned(
        form,
        lambda: operations.update_rule(
            current_user,
            rule,
            operations.RuleFields(
                enabled=bool(form.enabled.data),
                offset=form.offset.data,
                unit=form.unit.data,
                at_time=form.at_time.data,
                escalate_after_days=form.escalate_after_days.data,
                validity_days=form.validity_days.data,
            ),
            form.version.data,
        ),
    )
    if changed is not None:
        db.session.commit()
        flash(
            _("Saved. Reminders follow the new rule within five minutes.")
            if changed
            else _("No change to save."),
            "success",
        )
        return redirect(url_for("reminders.rules"))
    return render_template("reminders/rule_form.html", form=form, rule=rule)
