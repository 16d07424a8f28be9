"""Reminders pages: the list with its tabs, complete, snooze, reassign, retry; the rules."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework.auth.models import User
from casework.cases.forms import parse_id
from casework.cases.operations import readable
from casework.core.forms import submitted
from casework.core.navigation import done
from casework.core.pagination import parse_page_number
from casework.core.permissions import Scope, load_or_abort, region_ids, requires, scope_for
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.reminders import operations, subjects
from casework.reminders.forms import UNIT_LABELS, ReassignForm, RuleForm, SnoozeForm, VersionedForm
from casework.reminders.models import FollowUpRule, Reminder

bp = Blueprint("reminders", __name__, url_prefix="/rappels")


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
    filters, today = list_filters(), local_today()
    number = parse_page_number(request.args.get("page"))
    page = operations.listed_page(current_user, filters, today, number)
    return _index_page(page, filters, today)


def _index_page(page, filters: operations.ListFilters, today) -> str:
    return render_template(
        "reminders/index.html",
        page=page,
        subjects=subjects.describe(page.items),
        readable={r.case_id for r in page.items if r.case and readable(current_user, r.case)},
        reminder_label=operations.reminder_label,
        now=utcnow(),
        filters=filters,
        counts=operations.tab_counts(current_user, filters, today),
        unread=operations.unread_count(current_user),
        regional=_regional(),
        agents=_region_agents() if _regional() else [],
        undelivered=operations.undelivered_emails(current_user) if filters.tab == "failed" else [],
        form=VersionedForm(),
        today=today,
    )


def _regional() -> bool:
    return scope_for(current_user.role, "reminders.read") is Scope.REGION


def list_filters() -> operations.ListFilters:
    """The tab and (supervisor) the agent from the query string: the list and its CSV export
    read the same ones."""
    tab = request.args.get("tab", "due")
    agent_id = parse_id(request.args.get("agent")) if _regional() else None
    return operations.ListFilters(tab=tab if tab in operations.TABS else "due", agent_id=agent_id)


def _region_agents() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "agent", User.region_id.in_(region_ids(current_user)))
            .order_by(User.full_name)
        )
    )


def _load(reminder_id: int, action: str) -> Reminder:
    return load_or_abort(Reminder, reminder_id, action)


def _posted_version() -> int:
    """The version the list showed: 400 for a tampered form. A stale one, or a reminder handled
    meanwhile, is the operation's conflict (409)."""
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    return form.version.data


@bp.post("/<int:reminder_id>/terminer")
@requires("reminders.act")
def complete(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    operations.complete(current_user, reminder, _posted_version())
    return done(_("Reminder marked as done."), _back())


@bp.post("/<int:reminder_id>/relancer")
@requires("reminders.act")
def retry(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    operations.retry(current_user, reminder, _posted_version())
    return done(_("The e-mail will be sent again within a minute."), _back())


@bp.route("/<int:reminder_id>/reporter", methods=["GET", "POST"])
@requires("reminders.act")
def snooze(reminder_id: int):
    reminder = _load(reminder_id, "reminders.act")
    form = SnoozeForm()
    if request.method == "GET":
        form.version.data = reminder.version
    page = partial(
        render_template, "reminders/snooze.html", form=form, reminder=reminder, today=local_today()
    )
    if not submitted(form, page):
        if reminder.status not in ("pending", "sent", "snoozed"):
            abort(409)
        return page()
    operations.snooze(current_user, reminder, form.until.data, form.version.data)
    return done(_("Reminder snoozed."), url_for("reminders.index", tab="snoozed"))


@bp.route("/<int:reminder_id>/reassigner", methods=["GET", "POST"])
@requires("reminders.reassign")
def reassign(reminder_id: int):
    reminder = _load(reminder_id, "reminders.reassign")
    form = ReassignForm()
    form.fill_choices(operations.reassign_candidates(reminder))
    if request.method == "GET":
        form.version.data = reminder.version
    page = partial(render_template, "reminders/reassign.html", form=form, reminder=reminder)
    if not submitted(form, page):
        if reminder.status not in ("pending", "sent", "snoozed", "failed"):
            abort(409)
        return page()
    chosen = db.session.get(User, form.agent_id.data) if form.agent_id.data else None
    operations.reassign(current_user, reminder, chosen, form.version.data)
    return done(
        _("Reminder handed to %(name)s.", name=chosen.full_name), url_for("reminders.index")
    )


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
    page = partial(render_template, "reminders/rule_form.html", form=form, rule=rule)
    if not submitted(form, page):
        return page()
    changed = operations.update_rule(current_user, rule, form.values(), form.version.data)
    if not changed:
        return done(_("No change to save."), url_for("reminders.rules"))
    message = _("Saved. Reminders follow the new rule within five minutes.")
    return done(message, url_for("reminders.rules"))
