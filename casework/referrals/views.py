"""Referral pages: choose an organisation for a plan action, follow a referral, the queues."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casework.assessments import operations as assessments
from casework.cases import choices as case_choices
from casework.cases.forms import parse_id
from casework.cases.operations import current_consent
from casework.cases.views import load_case
from casework.core import audit
from casework.core.forms import ConfirmForm, confirmed, submitted
from casework.core.navigation import done
from casework.core.pagination import parse_page_number
from casework.core.permissions import load_or_abort, requires
from casework.core.time import local_to_utc
from casework.core.unit_of_work import refusals_answered_by, refusals_go_to
from casework.core.urls import french
from casework.extensions import db
from casework.plans import operations as plans
from casework.reference.languages import language_name
from casework.reference.lookup import active_organisations as lookup_organisations
from casework.reference.lookup import regions as lookup_regions
from casework.reference.models import Organisation
from casework.referrals import approval, operations, outcomes
from casework.referrals import brief as briefs
from casework.referrals.forms import BulkReturnForm, selected_versions
from casework.referrals.models import OUTCOME_KINDS, Referral
from casework.referrals.sections import rendered_sections

bp = Blueprint("referrals", __name__, url_prefix="/references")
case_bp = Blueprint("case_referrals", __name__, url_prefix="/dossiers/<int:case_id>/plan/actions")
DISCLOSED = ("sent", "accepted", "declined", "completed", "not_completed")
# The status a referral moves to, as its URL says it (the code stays English).
MOVE_PATHS = {
    "submitted": "soumise",
    "approved": "approuvee",
    "returned": "retournee",
    "sent": "envoyee",
    "accepted": "acceptee",
    "declined": "refusee",
    "completed": "realisee",
    "not_completed": "non-realisee",
}
bp.record_once(lambda state: state.app.url_map.converters.update(referral_move=french(MOVE_PATHS)))


def _context() -> dict:
    return {
        "statuses": operations.STATUSES,
        "language_name": language_name,
        "case_priorities": case_choices.PRIORITIES,
        "consent_purposes": case_choices.CONSENT_PURPOSES,
        "level_labels": assessments.LEVEL_LABELS,
        "move_labels": operations.MOVE_LABELS,
        "interest_levels": operations.INTEREST_LEVELS,
        "priority_labels": operations.PRIORITY_LABELS,
        "not_completed_reasons": operations.NOT_COMPLETED_REASONS,
    }


bp.context_processor(_context)
case_bp.context_processor(_context)


def _followed_action(case, action_id: int):
    """The action ``action_id`` of the case's finalised plan (404 when it has none such)."""
    plan = plans.latest_final(case)
    action = next((a for a in (plan.actions if plan else []) if a.id == action_id), None)
    if action is None:
        abort(404)
    return action


def _typed_choice() -> dict:
    """The organisation the agent chose and what they wrote, as ``operations.create`` takes
    them."""
    chosen = parse_id(request.form.get("organisation_id"))
    return {
        "organisation": db.session.get(Organisation, chosen) if chosen else None,
        "override_reason": request.form.get("override_reason"),
        "interest": request.form.get("interest"),
        "availability": request.form.get("availability"),
        "note": request.form.get("note"),
    }


def _drafted_message(case, referral: Referral) -> str:
    """« Drafted », and the consent sending it will need when it is not recorded yet."""
    purpose = operations.consent_purpose(referral)
    message = _("Referral drafted. Submit it for review when it is ready.")
    if current_consent(case, purpose) is None:
        message += " " + _(
            "Sending it will need the person's consent « %(purpose)s », not recorded yet.",
            purpose=case_choices.CONSENT_PURPOSES[purpose],
        )
    return message


@case_bp.route("/<int:action_id>/orienter", methods=["GET", "POST"])
@requires("referrals.create")
def new(case_id: int, action_id: int):
    case = load_case(case_id, "referrals.create")
    action = _followed_action(case, action_id)
    form = ConfirmForm()
    page = partial(_suggestions_page, case, action, form)
    if not submitted(form, page):
        return page()
    referral = operations.create(current_user, case, action, **_typed_choice())
    message = _drafted_message(case, referral)
    return done(message, url_for("referrals.show", referral_id=referral.id))


def _suggestions_page(case, action, form: ConfirmForm) -> str:
    """The organisations suggested for ``action``, with what the agent chose if they posted."""
    audit.record(current_user, "referral.suggestions_viewed", case, action_id=action.id)
    return render_template(
        "referrals/new.html",
        case=case,
        action=action,
        suggestions=operations.suggest(case, action),
        form=form,
        chosen=request.form.get("organisation_id", ""),
        override=request.form.get("override_reason", ""),
        requalification=operations.offers_requalification(case, action),
        interest_levels=operations.INTEREST_LEVELS,
        interest=request.form.get("interest", ""),
        availability=request.form.get("availability", ""),
        note=request.form.get("note", ""),
        consent=briefs.consent_for_service(case, action.service),
    )


def _load(referral_id: int, action: str = "referrals.read") -> Referral:
    referral = load_or_abort(Referral, referral_id, action)
    if current_user.role == "partner" and referral.status not in DISCLOSED:
        abort(404)  # an organisation sees a referral only once it has been sent to it
    return referral


@bp.get("/<int:referral_id>")
@requires("referrals.read")
def show(referral_id: int):
    referral = _load(referral_id)
    audit.record(current_user, "referral.viewed", referral.case, referral_id=referral.id)
    return _referral_page(referral)


def _referral_page(referral: Referral, revision: dict | None = None, status: int = 200):
    """The referral page; ``revision`` keeps what the agent typed in a refused change."""
    partner_view = current_user.role == "partner"
    revisable = current_user.role == "agent" and referral.status in operations.REVISABLE
    return render_template(
        "referrals/show.html",
        referral=referral,
        case=referral.case,
        person=referral.case.person,
        moves=operations.allowed_moves(current_user, referral),
        history=operations.history(referral),
        form=ConfirmForm(),
        partner_view=partner_view,
        brief=briefs.brief(referral, with_fit=not partner_view),
        agent=briefs.agent_of(referral),
        revisable=revisable,
        revision=revision or {},
        sections=rendered_sections(referral),
        outcome_family=outcomes.family_of(referral),
        outcome_kinds=OUTCOME_KINDS,
        outcome_labels=outcomes.OUTCOME_LABELS,
        verdict_labels=outcomes.VERDICT_LABELS,
        course_formats=outcomes.COURSE_FORMATS,
        cnp_versions=outcomes.CNP_VERSIONS,
        outcomes=_outcomes_shown(referral, partner_view),
    ), status


def _posted_version() -> int:
    """The confirmed form's ``version`` of the referral (400 when missing or not a number)."""
    confirmed()
    version = request.form.get("version", "")
    if not version.isdigit() or len(version) > 9:
        abort(400)
    return int(version)


@bp.post("/<int:referral_id>/modifier")
@requires("referrals.transition")
def revise(referral_id: int):
    """The agent changes a draft or returned referral, and may submit it again at once."""
    referral = _load(referral_id, "referrals.transition")
    version = _posted_version()
    typed = {key: request.form.get(key, "") for key in ("note", "override_reason")}
    refusals_answered_by(lambda error: _refused_revision(referral_id, typed, error))
    operations.revise(current_user, referral, typed["note"], typed["override_reason"], version)
    back = url_for("referrals.show", referral_id=referral_id)
    forward = request.form.get("submit")
    if forward == "sent":
        operations.move(current_user, referral, "sent", None, referral.version)
        return done(_("Referral changed and sent to the organisation."), back)
    if forward:
        operations.move(current_user, referral, "submitted", None, referral.version)
        return done(_("Referral changed and submitted for review."), back)
    return done(_("Referral changed."), back)


def _refused_revision(referral_id: int, typed: dict, error: Exception):
    referral = _load(referral_id)
    return _referral_page(referral, {**typed, "error": str(error)}, 400)


@bp.post("/<int:referral_id>/<referral_move:to_status>")
@requires("referrals.transition")
def move(referral_id: int, to_status: str):
    referral = _load(referral_id, "referrals.transition")
    version = _posted_version()
    back = url_for("referrals.show", referral_id=referral_id)
    refusals_go_to(back)
    form = request.form
    operations.move(
        current_user,
        referral,
        to_status,
        form.get("comment"),
        version,
        form.get("reason"),
        outcome=_typed_outcome(form) if to_status == "completed" else None,
    )
    return done(_("Referral: %(status)s.", status=operations.STATUSES[to_status]), back)


def _outcomes_shown(referral: Referral, partner_view: bool) -> list:
    """The outcomes recorded; the organisation sees only what it reported itself: what the
    agent learnt at a follow-up belongs to the case file, not to the referral's partner."""
    recorded = outcomes.outcomes_of_referral(referral.id)
    return [row for row in recorded if row.source == "partner"] if partner_view else recorded


@bp.post("/<int:referral_id>/resultat")
@requires("referrals.transition")
def add_outcome(referral_id: int):
    """The organisation reports what a completed referral led to later."""
    referral = _load(referral_id, "referrals.transition")
    confirmed()
    back = url_for("referrals.show", referral_id=referral_id)
    refusals_go_to(back)
    outcome = _typed_outcome(request.form)
    if outcome is None:
        raise outcomes.OutcomeError(_("Choose what the referral led to."), "outcome_kind")
    operations.add_outcome(current_user, referral, outcome)
    return done(_("Outcome recorded: %(kind)s.", kind=outcomes.OUTCOME_LABELS[outcome.kind]), back)


def _typed_outcome(form) -> outcomes.OutcomeValues | None:
    """What the completion led to, as the partner typed it (nothing chosen: not recorded)."""
    kind = (form.get("outcome_kind") or "").strip()
    if not kind:
        return None
    typed_date = (form.get("outcome_occurred_on") or "").strip()
    try:
        occurred_on = date.fromisoformat(typed_date) if typed_date else None
    except ValueError:
        raise outcomes.OutcomeError(
            _("Enter a valid date, for example 2026-03-31."), "outcome_occurred_on"
        ) from None
    return outcomes.OutcomeValues(
        kind=kind[:20],
        occurred_on=occurred_on,
        course_format=(form.get("outcome_course_format") or "").strip()[:20] or None,
        cnp=(form.get("outcome_cnp") or "").strip()[:8] or None,
        cnp_version=(form.get("outcome_cnp_version") or "").strip()[:4] or None,
    )


@bp.get("/")
@requires("referrals.read")
def index():
    return _queue_page(BulkReturnForm(formdata=None))


def queue_filters() -> operations.QueueFilters:
    """The queue's filters from the query string (the queue and its CSV export read the same)."""
    args = request.args
    opening = {"advisor": "submitted", "partner": operations.TODO}.get(current_user.role, "")
    status = args.get("status", opening)
    waiting = args.get("attente", "")
    return operations.QueueFilters(
        status=status,
        organisation_id=parse_id(args.get("organisme")),
        domain=args.get("domaine", "")[:20],
        waiting_days=int(waiting) if waiting in ("3", "7", "14", "30") else None,
        submitted_between=_submitted_between(args.get("soumises_du"), args.get("soumises_au")),
        reached=args.get("etape", "") if args.get("etape") in operations.FUNNEL_STAGES else "",
    )


def _submitted_between(first: str | None, last: str | None) -> tuple | None:
    """The dashboard's period (local days, both included) as UTC bounds; a malformed day is
    a 400 rather than a wider list than the figure it comes from."""
    if not first and not last:
        return None
    try:
        start, end = date.fromisoformat(first or ""), date.fromisoformat(last or "")
    except ValueError:
        abort(400)
    if end < start or start.year < 1900:
        abort(400)
    return (
        local_to_utc(datetime.combine(start, time.min)),
        local_to_utc(datetime.combine(end + timedelta(days=1), time.min)),
    )


def _queue_page(bulk: BulkReturnForm):
    """The queue with its filters; ``bulk`` carries a rejected selection and its errors."""
    args = request.args
    filters = queue_filters()
    page = operations.queue_page(current_user, filters, parse_page_number(args.get("page")))
    audit.record(
        current_user,
        "referrals.listed",
        target_type="referral",
        referral_ids=[r.id for r in page.items],
    )
    return render_template(
        "referrals/index.html",
        page=page,
        filters=filters,
        organisations=lookup_organisations(),
        domains=assessments.catalogue(),
        bulk=bulk,
        selected=set(bulk.selection.data or []),
        reviewer=current_user.role == "advisor",
        todo_statuses=operations.todo_statuses(current_user.role),
        stage_labels=operations.STAGE_LABELS,
        todo_labels=", ".join(
            str(operations.STATUSES[s]).lower() for s in operations.todo_statuses(current_user.role)
        ),
        badges=operations.queue_badges([r.id for r in page.items]),
    )


@bp.post("/approuver")
@requires("referrals.review")
def approve_selected():
    confirmed()
    outcome = operations.approve_many(
        current_user, selected_versions(request.form.getlist("selection"))
    )
    return _reported(
        outcome,
        _(
            "%(approved)d approved, %(skipped)d left as they were.",
            approved=len(outcome.done),
            skipped=len(outcome.skipped),
        ),
    )


@bp.post("/retourner")
@requires("referrals.review")
def return_selected():
    """Return the selection to the agents with one comment; without a comment or a selection,
    the queue comes back with the error and what was chosen."""
    form = BulkReturnForm()
    if not submitted(form, partial(_queue_page, form)):
        if "csrf_token" in form.errors:
            abort(400)
        return _queue_page(form)
    outcome = operations.return_many(
        current_user, selected_versions(form.selection.data or []), form.comment.data
    )
    message = ngettext(
        "%(num)d referral returned to its agent with the comment.",
        "%(num)d referrals returned to their agents with the comment.",
        len(outcome.done),
    )
    return _reported(outcome, message)


def _reported(outcome: operations.BulkOutcome, message: str):
    """Back to the queue, saying what the bulk action did and what it left as it was."""
    flash(message, "success")
    _report_skipped(outcome)
    return redirect(url_for("referrals.index"))


def _report_skipped(outcome: operations.BulkOutcome) -> None:
    if outcome.skipped:
        flash(
            _(
                "Left as they were (decided or changed meanwhile, or outside your region): "
                "%(numbers)s.",
                numbers=", ".join(f"#{n}" for n in outcome.skipped),
            ),
            "warning",
        )


@bp.get("/organismes")
@requires("referrals.review")
def loads():
    return render_template(
        "referrals/loads.html", loads=operations.organisation_loads(current_user)
    )


def _wanted_approvals() -> dict:
    """The posted settings: (region, kind) → whether approval is required (400 when one is not
    a known setting)."""
    wanted = dict.fromkeys(approval.settings(), False)
    for raw in request.form.getlist("required"):
        region, _separator, kind = raw.partition(":")
        if not region.isdigit() or (int(region), kind) not in wanted:
            abort(400)
        wanted[(int(region), kind)] = True
    return wanted


@bp.route("/approbation", methods=["GET", "POST"])
@requires("referrals.configure")
def approval_settings():
    """Per region and kind: does a referral need an advisor's approval before it is sent?"""
    form = ConfirmForm()
    if form.validate_on_submit():
        changed = approval.set_required(current_user, _wanted_approvals())
        message = (
            ngettext("%(num)d setting changed.", "%(num)d settings changed.", len(changed))
            if changed
            else _("No change to save.")
        )
        return done(message, url_for("referrals.approval_settings"))
    return _approval_page(form)


def _approval_page(form: ConfirmForm) -> str:
    return render_template(
        "referrals/approval.html",
        form=form,
        regions=lookup_regions(),
        kinds=approval.KINDS,
        current=approval.settings(),
    )
