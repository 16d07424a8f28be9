"""The action plan of a case: generate, edit the draft, finalise, follow up the actions."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from casework.appointments import operations as appointment_operations
from casework.appointments.ics import location_of
from casework.assessments.views import template_context
from casework.cases.views import load_case
from casework.core import audit, conflicts
from casework.core.forms import ConfirmForm, confirmed
from casework.core.i18n import format_moment
from casework.core.navigation import done
from casework.core.permissions import requires
from casework.core.unit_of_work import conflicts_answered_by, refusals_go_to
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
from casework.plans.pdf import PlanLine, render_plan
from casework.plans.person import for_the_person
from casework.plans.rules import REFERRABLE_SERVICES

bp = Blueprint("plans", __name__, url_prefix="/dossiers/<int:case_id>/plan")
bp.context_processor(template_context)


def _english() -> bool:
    locale = get_locale()
    return bool(locale and locale.language == "en")


def _show(case, plan: Plan | None, schedule=None):
    audit.record(current_user, "plan.viewed", case, number=plan.number if plan else None)
    book = operations.rules()
    following = operations.latest_final(case)
    add_form = NewActionForm(data={"version": plan.version if plan else 0})
    add_form.fill_choices(book.services, _english())
    return render_template(
        "plans/show.html",
        case=case,
        plan=plan,
        plans=operations.plans_of(case),
        services=book.services,
        english=_english(),
        assignees=ASSIGNEE_LABELS,
        statuses=STATUS_LABELS,
        add_form=add_form,
        schedule=schedule or (schedule_form(plan) if plan and plan.is_draft else None),
        confirm=ConfirmForm(),
        status_form=_status_form(following),
        following=following,
        referrable=REFERRABLE_SERVICES,
        has_assessment=operations.latest_completed_assessment(case) is not None,
    )


def _status_form(following: Plan | None) -> ActionStatusForm:
    form = ActionStatusForm(data={"version": following.version if following else 0})
    if following is not None:
        form.fill_choices(following)
    return form


@bp.get("/")
@requires("plans.read")
def current(case_id: int):
    case = load_case(case_id, "plans.read")
    return _show(case, operations.latest(case))


@bp.get("/<int:number>")
@requires("plans.read")
def version(case_id: int, number: int):
    case = load_case(case_id, "plans.read")
    plan = operations.version(case, number)
    if plan is None:
        abort(404)
    return _show(case, plan)


def _back(case_id: int):
    return redirect(url_for("plans.current", case_id=case_id))


def _valid(form, case_id: int) -> bool:
    """Whether the posted form is valid; a missing or forged version is a 400, other errors are
    flashed for the plan page the agent goes back to, and so are the rules an operation breaks.
    """
    refusals_go_to(url_for("plans.current", case_id=case_id))
    if form.validate_on_submit():
        return True
    if form.version.errors:
        abort(400)
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return False


def _on_draft(case_id: int, then, done_message: str | None = None, next_url: str | None = None):
    """Every button of the draft's table posts the whole table: the due dates and assignees on
    screen are saved first, then ``then(case, plan, version)`` runs, in one transaction; on
    success the agent goes to ``next_url`` (default: the plan)."""
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None or not plan.is_draft:
        abort(409)
    form = schedule_form(plan, formdata=request.form)
    if not _valid(form, case_id):
        return _back(case_id)
    conflicts_answered_by(partial(_schedule_kept, case, plan, form))
    changes = {
        action.id: (form[f"due_{action.id}"].data, form[f"assignee_{action.id}"].data)
        for action in plan.actions
    }
    operations.update_schedule(current_user, case, plan, changes, form.version.data)
    if then is not None:
        then(case, plan, form.version.data)
    if done_message:
        flash(done_message, "success")
    return redirect(next_url) if next_url else _back(case_id)


def _schedule_kept(case, plan: Plan, form):
    """Someone saved the draft meanwhile: the plan again (409) with the dates and assignees
    typed, theirs merged in. Actions added or removed meanwhile are named in the panel: the
    form holds the actions as they are now, with what was typed for those still there."""
    if not plan.is_draft:
        abort(409)
    saved = schedule_form(plan)
    if {f.name for f in saved} != {f.name for f in form}:
        # The actions changed during this very request: the posted values, on today's rows.
        form = schedule_form(plan, formdata=request.form)
    current = {action.id: action for action in plan.actions}
    loaded = _posted_action_ids()
    added = [current[i] for i in current if loaded is not None and i not in loaded]
    removed = sorted(loaded - current.keys()) if loaded is not None else []
    english = _english()
    if added:
        conflicts.note(
            ngettext(
                "%(num)d action added meanwhile: %(labels)s.",
                "%(num)d actions added meanwhile: %(labels)s.",
                len(added),
                labels=", ".join(
                    f"« {a.label_en if english and a.label_en else a.label} »" for a in added
                ),
            )
        )
    if removed:
        labels = [request.form.get(f"label_{i}", "").strip()[:300] for i in removed]
        conflicts.note(
            ngettext(
                "%(num)d action removed meanwhile, with what you had typed for it: %(labels)s.",
                "%(num)d actions removed meanwhile, with what you had typed for them: %(labels)s.",
                len(removed),
                labels=", ".join(f"« {label} »" for label in labels if label) or "—",
            )
        )
    return conflicts.merged_page(form, lambda: _show(case, plan, schedule=form), saved)


def _posted_action_ids() -> set[int] | None:
    """The actions the posted schedule was loaded with (its due-date fields)."""
    ids = set()
    for name in request.form:
        number = name.removeprefix("due_")
        if number != name and number.isdigit() and len(number) < 12:
            ids.add(int(number))
    return ids or None


@bp.post("/generer")
@requires("plans.edit")
def generate(case_id: int):
    case = load_case(case_id, "plans.edit")
    confirmed()
    refusals_go_to(url_for("plans.current", case_id=case_id))
    _plan, created = operations.generate(current_user, case)
    if created:
        flash(
            _("Draft plan built from the latest assessment. Review it, then finalise it."),
            "success",
        )
    else:
        flash(_("A draft already exists: continue it."), "info")
    return _back(case_id)


@bp.post("/actions")
@requires("plans.edit")
def add_action(case_id: int):
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None:
        abort(404)
    form = NewActionForm()
    if not _valid(form, case_id):
        return _back(case_id)
    operations.add_action(current_user, case, plan, form.values(), form.version.data)
    return done(_("Action added."), url_for("plans.current", case_id=case_id))


@bp.post("/actions/<int:action_id>/demande-de-retrait")
@requires("plans.edit")
def ask_remove_action(case_id: int, action_id: int):
    """The table's Remove button: save what is on screen, then ask for confirmation."""
    return _on_draft(
        case_id,
        None,
        next_url=url_for("plans.remove_action", case_id=case_id, action_id=action_id),
    )


@bp.route("/actions/<int:action_id>/retirer", methods=["GET", "POST"])
@requires("plans.edit")
def remove_action(case_id: int, action_id: int):
    """Confirm, then remove an action of the draft (GET asks, POST removes)."""
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None or not plan.is_draft:
        abort(409)
    action = next((a for a in plan.actions if a.id == action_id), None)
    if action is None:
        abort(404)
    form = VersionForm(data={"version": plan.version})
    if request.method == "GET":
        return _confirm_removal(case, plan, action, form)
    if not _valid(form, case_id):
        return _back(case_id)
    operations.remove_action(current_user, case, plan, action_id, form.version.data)
    return done(_("Action removed."), url_for("plans.current", case_id=case_id))


def _confirm_removal(case, plan: Plan, action, form: VersionForm):
    return render_template(
        "plans/remove_action.html",
        case=case,
        plan=plan,
        action=action,
        position=plan.actions.index(action) + 1,
        form=form,
        services=operations.rules().services,
        english=_english(),
        assignees=ASSIGNEE_LABELS,
    )


@bp.post("/actions/<int:action_id>/<any(monter, descendre):direction>")
@requires("plans.edit")
def move_action(case_id: int, action_id: int, direction: str):
    step = -1 if direction == "monter" else 1
    return _on_draft(
        case_id,
        lambda case, plan, v: operations.move_action(current_user, case, plan, action_id, step, v),
    )


@bp.post("/echeances")
@requires("plans.edit")
def schedule(case_id: int):
    return _on_draft(case_id, None, _("Saved."))


@bp.post("/demande-de-finalisation")
@requires("plans.edit")
def ask_finalise(case_id: int):
    """The table's Finalise button: save what is on screen, then ask for confirmation."""
    return _on_draft(case_id, None, next_url=url_for("plans.finalise", case_id=case_id))


@bp.route("/finaliser", methods=["GET", "POST"])
@requires("plans.edit")
def finalise(case_id: int):
    """Confirm, then finalise the draft (GET asks, with what it records; POST finalises)."""
    if request.method == "POST":
        return _on_draft(
            case_id,
            lambda case, plan, v: operations.finalise(current_user, case, plan, v),
            _("Plan finalised."),
        )
    case = load_case(case_id, "plans.edit")
    plan = operations.latest(case)
    if plan is None or not plan.is_draft:
        return _back(case_id)
    return _finalise_page(case, plan)


def _finalise_page(case, plan: Plan) -> str:
    return render_template(
        "plans/finalise.html",
        case=case,
        plan=plan,
        form=VersionForm(data={"version": plan.version}),
        services=operations.rules().services,
        english=_english(),
        assignees=ASSIGNEE_LABELS,
    )


@bp.post("/actions/statut")
@requires("plans.edit")
def action_statuses(case_id: int):
    """The selected actions of the finalised plan take the status chosen under the table."""
    case = load_case(case_id, "plans.edit")
    plan = operations.latest_final(case)
    if plan is None:
        abort(409)
    form = ActionStatusForm()
    form.fill_choices(plan)
    if not _valid(form, case_id):
        return _back(case_id)
    chosen = (form.actions.data, form.status.data, form.reason.data, form.version.data)
    changed = operations.set_statuses(current_user, case, plan, *chosen)
    message = ngettext("%(num)d action updated.", "%(num)d actions updated.", changed)
    return done(message, url_for("plans.current", case_id=case_id))


def _print_language(person) -> str:
    """French or English: the one asked for (``?langue=``), else the person's language when it
    is English, else French."""
    asked = request.args.get("langue")
    if asked in ("en", "fr"):
        return "en" if asked == "en" else "fr_CA"
    return "en" if person.preferred_language == "en" else "fr_CA"


def _for_the_person(case_id: int, output: str):
    case = load_case(case_id, "plans.read")
    plan = operations.latest_final(case)
    if plan is None:
        abort(404)
    language = _print_language(case.person)
    audit.record(
        current_user, "plan.printed", case, number=plan.number, language=language, output=output
    )
    referred = operations.action_places(case)
    return case, plan, language, referred, appointment_operations.next_appointment(case.id)


@bp.get("/imprimer.pdf")
@requires("plans.read")
def printable_pdf(case_id: int):
    """The same plan as a PDF download."""
    case, plan, language, referred, upcoming = _for_the_person(case_id, "pdf")
    with force_locale(language):
        document = _plan_document(case, plan, language == "en", referred, upcoming)
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="plan-{case.number}.pdf"'
    return response


def _plan_document(case, plan: Plan, english: bool, referred, upcoming) -> bytes:
    """The plan as a PDF in the current language: the steps still to take, and where."""
    lines = [
        PlanLine(
            objective=objective.title,
            action=_with_bring(step.text, step.bring),
            who=_("You") if step.yours else _("Your agent"),
            due=format_date(step.due_on, "long") if step.due_on else "—",
            where=" · ".join(step.where),
        )
        for objective in for_the_person(plan, operations.rules().services, referred, english)
        for step in objective.steps
    ]
    point = case.service_point
    return render_plan(
        title=_("Your action plan"),
        header=[
            _("%(label)s: %(count)s", label=label, count=value)
            for label, value in (
                (_("Name"), case.person.full_name),
                (_("Your integration agent"), _agent_contact(case)),
                (_("Plan of"), format_date(plan.finalised_at, "long")),
                (_("Your next appointment"), _next_appointment_text(upcoming)),
            )
            if value
        ],
        columns=[_("What to do"), _("Who does it"), _("By"), _("Where")],
        lines=lines,
        footer=" ".join(
            [_("Keep this plan: your agent follows up with you on each step.")]
            + ([_("Questions? Call %(phone)s.", phone=point.phone)] if point.phone else [])
        ),
    )


def _with_bring(text: str, bring: str | None) -> str:
    if not bring:
        return text
    return "\n".join([text, _("What to bring: %(items)s", items=bring)])


def _agent_contact(case) -> str:
    point = case.service_point
    parts = [case.agent.full_name, point.name, point.address, point.phone, case.agent.email]
    return " · ".join(part for part in parts if part)


def _next_appointment_text(appointment) -> str:
    if appointment is None:
        return _("none booked yet: your agent will contact you")
    return " · ".join(
        [
            format_moment(appointment.starts_at),
            str(appointment_operations.MODES[appointment.mode]),
            location_of(appointment),
        ]
    )


@bp.get("/imprimer")
@requires("plans.read")
def printable(case_id: int):
    """The plan for the person: French by default, English on request (``?langue=en``)."""
    case, plan, language, referred, upcoming = _for_the_person(case_id, "html")
    with force_locale(language):
        return _print_page(case, plan, language, referred, upcoming)


def _print_page(case, plan: Plan, language: str, referred, upcoming) -> str:
    """The printable plan in ``language`` (the caller forces the locale)."""
    return render_template(
        "plans/print.html",
        case=case,
        person=case.person,
        plan=plan,
        english=language == "en",
        objectives=for_the_person(plan, operations.rules().services, referred, language == "en"),
        print_language=language,
        upcoming=upcoming,
        modes=appointment_operations.MODES,
    )
