"""Caseload, case page, person, household, timeline, consent, transfers, access log."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from casework.auth.models import User
from casework.cases import choices, operations
from casework.cases import timeline as case_timeline
from casework.cases.duplicates import duplicate_check_key, find_duplicates
from casework.cases.forms import (
    CaseloadFilterForm,
    CaseStatusForm,
    ConsentForm,
    EditHouseholdForm,
    EditPersonForm,
    HouseholdForm,
    InteractionForm,
    NewCaseForm,
    SearchForm,
    TransferForm,
    parse_id,
)
from casework.cases.household import needs_catalogue, values_attestation_members
from casework.cases.models import Case, CaseTransfer, HouseholdMember
from casework.cases.sections import rendered_sections
from casework.core import audit
from casework.core.forms import ConfirmForm, confirmed, submitted
from casework.core.navigation import done, safe_next
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import Scope, load_or_abort, region_ids, requires, scope_for
from casework.core.time import local_today, utcnow
from casework.core.unit_of_work import refusals_go_to
from casework.extensions import db
from casework.reference import occupations
from casework.reference.lookup import regions, stored_occupations
from casework.reference.places import place_choices
from casework.reference.revision import REFERENCE_REVISION

bp = Blueprint("cases", __name__, url_prefix="/dossiers")
transfers_bp = Blueprint("transfers", __name__, url_prefix="/transferts")


def template_context() -> dict:
    """Labels of stored codes, for every page of the case file."""
    return {"choices": choices, "stored_occupations": stored_occupations}


bp.context_processor(template_context)
transfers_bp.context_processor(template_context)


def load_case(case_id: int, action: str, read: str | None = None) -> Case:
    """The case, if ``action`` is allowed on it. ``read`` names the audit action of a page that
    shows the file; the request's unit of work saves it after the page is rendered, so nothing
    is shown whose read could not be recorded."""
    case = load_or_abort(Case, case_id, action)
    if read:
        audit.record(current_user, read, case)
    return case


def read_on_get() -> str | None:
    """The audit action of a form page that shows the file: its GET reads it, its POST edits."""
    return "case.viewed" if request.method == "GET" else None


# --- Caseload --------------------------------------------------------------------------------


SEARCH_SESSION_KEY = "case_search"
NEW_SEARCH_KEY = "case_search_new"  # results not shown yet: their listing is the search's record
# How wide the kept search is, counted on its first listing: each listing of its results would
# count its matches in the whole province again (« diallo »: 2,200 at 200,000 cases, issue 23).
SEARCH_BREADTH_KEY = "case_search_breadth"


def caseload_filters(
    regional: bool,
) -> tuple[CaseloadFilterForm, SearchForm, operations.CaseloadFilters]:
    """The caseload's filters from the query string, and the search kept in the session
    (the list and its CSV export read the same ones)."""
    form = CaseloadFilterForm(request.args)
    cohorts = operations.cohorts()
    revision = current_user.session_figures.get(REFERENCE_REVISION)
    form.fill_choices(
        place_choices(revision),
        region_ids(current_user) if regional else [],
        operations.cohort_labels(),
    )
    form.validate()
    cohort = request.args.get("cohort", "")
    period = None
    if cohort:
        if cohort not in cohorts:
            abort(400)
        period = _cohort_period(request.args.get("start"), request.args.get("end"))
        form.start.data, form.end.data = period
    search = SearchForm(data={"q": session.get(SEARCH_SESSION_KEY, "")})
    filters = operations.CaseloadFilters(
        status=form.status.data or "",
        domain=form.domain.data or "",
        priority=form.priority.data or "",
        overdue=bool(form.overdue.data),
        region_id=parse_id(request.args.get("region")),
        query=search.q.data or "",
        breadth=_search_breadth(search.q.data) if search.q.data else None,
        sort=form.sort.data or "recent",
        agent_id=parse_id(request.args.get("agent")) if regional else None,
        cohort=cohort,
        period=period,
    )
    return form, search, filters


def _search_breadth(query: str) -> str:
    """Counted on the search's first listing, a page: not in the search's POST, which on SQLite
    holds the write lock from its first query."""
    kept = operations.trusted_breadth(query, session.get(SEARCH_BREADTH_KEY))
    if kept is None:
        kept = session[SEARCH_BREADTH_KEY] = operations.search_breadth(query)
    return kept


def _cohort_period(first: str | None, last: str | None) -> tuple[date, date]:
    """A dashboard figure's period (local days, both included): the dashboard's default when
    none is given; a malformed one is a 400 rather than another list than the figure's."""
    if not first and not last:
        today = local_today()
        return today - timedelta(days=operations.COHORT_DEFAULT_DAYS - 1), today
    try:
        start, end = date.fromisoformat(first or ""), date.fromisoformat(last or "")
    except ValueError:
        abort(400)
    if end < start or (end - start).days >= operations.COHORT_MAX_DAYS or start.year < 1900:
        abort(400)
    return start, end


@bp.get("/")
@requires("cases.read")
def index():
    regional = scope_for(current_user.role, "cases.read") is Scope.REGION
    form, search, filters = caseload_filters(regional)
    counts = operations.status_counts(current_user)
    number = parse_page_number(request.args.get("page"))
    page = operations.caseload_page(current_user, filters, number, counts)
    # A search is recorded once, when its results are first shown; coming back to the list,
    # or to another page of it, is a listing (still recorded, with the cases shown).
    searched = bool(filters.query) and session.pop(NEW_SEARCH_KEY, False)
    operations.record_caseload_read(current_user, page, filters, searched)
    return render_template(
        "cases/index.html", **_caseload_context(page, form, search, filters, regional, counts)
    )


def _caseload_context(
    page: Any,
    form: CaseloadFilterForm,
    search: SearchForm,
    filters: Any,
    regional: bool,
    counts: dict[str, int],
) -> dict[str, Any]:
    return {
        "page": page,
        "form": form,
        "search": search,
        "regional": regional,
        "counts": operations.caseload_counts(current_user, counts),
        "agent": agent_in_scope(filters.agent_id),
        "cohort": operations.cohorts().get(filters.cohort),
        "period": filters.period,
        "transfers_awaiting": operations.transfers_awaiting_count(current_user),
        "today": local_today(),
        "filters_key": _filters_key(form, regional),
    }


def _filters_key(form: CaseloadFilterForm, regional: bool) -> tuple | None:
    """Everything the filter bar shows (core.fragments): the language, the revision of the
    reference data (the domains, the regions), the regions offered and the values chosen."""
    values = form.shown_values()
    revision = current_user.session_figures.get(REFERENCE_REVISION)
    if values is None or revision is None:
        return None
    regions = tuple(region_ids(current_user)) if regional else ()
    return (str(get_locale()), revision, regions, values)


def agent_in_scope(agent_id: int | None) -> User | None:
    """The agent a regional reader narrowed the caseload to, when in their region (else None)."""
    if not agent_id or scope_for(current_user.role, "cases.read") is not Scope.REGION:
        return None
    agent = db.session.get(User, agent_id)
    return agent if agent is not None and agent.region_id == current_user.region_id else None


@bp.post("/recherche")
@requires("cases.read")
def search():
    """Search terms are names, phones and e-mails: kept in the session, never in a URL."""
    form = SearchForm()
    if request.form.get("clear"):
        _forget_search()
    elif not form.validate_on_submit():
        message = form.q.errors[0] if form.q.errors else _("The search was not run.")
        flash(_("The search was not run. %(reason)s", reason=message), "error")
    elif form.q.data:
        session[SEARCH_SESSION_KEY] = form.q.data
        session.pop(SEARCH_BREADTH_KEY, None)
        session[NEW_SEARCH_KEY] = True
    else:
        _forget_search()
    return redirect(url_for("cases.index"))


def _forget_search() -> None:
    for key in (SEARCH_SESSION_KEY, SEARCH_BREADTH_KEY, NEW_SEARCH_KEY):
        session.pop(key, None)


# --- Opening a case ----------------------------------------------------------------------------


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("cases.create")
def create():
    form = _new_case_form()
    page = partial(render_template, "cases/new.html", form=form)
    if not submitted(form, page):
        return page()
    values = form.values()
    duplicates = _duplicates_to_review(form, values)
    if duplicates is not None:
        return page(duplicates=duplicates)
    case = operations.open_case(
        current_user, values, form.origin.data, form.priority.data or "normal"
    )
    return done(
        _("Case %(number)s opened.", number=case.number), url_for("cases.show", case_id=case.id)
    )


def _new_case_form() -> NewCaseForm:
    form = NewCaseForm()
    form.fill_choices(regions())
    form.client_number_check = partial(operations.check_client_number, current_user)
    if request.method == "GET":
        form.destination_region_id.data = current_user.region_id
    return form


def _duplicates_to_review(form: NewCaseForm, values: operations.PersonFields):
    """The files that look like this person, the first time the form is sent with these names
    and date of birth (the agent then confirms); None when there are none or they were seen."""
    key = duplicate_check_key(values.given_names, values.family_name, values.date_of_birth)
    if form.duplicates_reviewed.data == key:
        return None
    duplicates = find_duplicates(
        current_user, values.given_names, values.family_name, values.date_of_birth
    )
    if not duplicates.any:
        return None
    form.duplicates_reviewed.data = key
    audit.record(
        current_user,
        "cases.duplicates_shown",
        target_type="case",
        case_ids=[m.case.id for m in duplicates.matches],
        hidden=duplicates.hidden,
    )
    return duplicates


# --- The case page -----------------------------------------------------------------------------


@bp.get("/<int:case_id>")
@requires("cases.read")
def show(case_id: int):
    case = load_case(case_id, "cases.read", read="case.viewed")
    return render_template("cases/show.html", **_case_page(operations.with_page_details(case)))


def _case_page(case: Case) -> dict[str, Any]:
    """What the case page (the hub) shows besides the case, its sections included."""
    timeline = case_timeline.build(
        case,
        utcnow(),
        kind=request.args.get("type", ""),
        whole_history=request.args.get("historique") == "tout",
    )
    return {
        "case": case,
        "person": case.person,
        "timeline": timeline,
        "consents": operations.consents_of(case),
        "transfer": operations.pending_transfer(case),
        "sections": rendered_sections(case),
        "today": local_today(),
        "attestation": {due.member.id for due in values_attestation_members(case)},
        "origin_occupation": occupations.occupation_in_version(
            case.person.origin_cnp, case.person.origin_cnp_version
        ),
    }


@bp.route("/<int:case_id>/personne", methods=["GET", "POST"])
@requires("cases.edit")
def edit_person(case_id: int):
    case = load_case(case_id, "cases.edit", read=read_on_get())
    form = EditPersonForm(obj=case.person)
    form.fill_choices(regions())
    form.client_number_check = partial(
        operations.check_client_number, current_user, person_id=case.person_id
    )
    if request.method == "GET":
        form.version.data = case.person.version
    page = partial(render_template, "cases/person_form.html", form=form, case=case)
    if not submitted(form, page, lambda: EditPersonForm(formdata=None, obj=case.person)):
        return page()
    changed = operations.update_person(current_user, case, form.values(), form.version.data)
    return _saved(case, changed)


def _saved(case: Case, changed: list[str]):
    return done(
        _("Saved.") if changed else _("No change to save."), url_for("cases.show", case_id=case.id)
    )


@bp.route("/<int:case_id>/statut", methods=["GET", "POST"])
@requires("cases.edit")
def edit_status(case_id: int):
    case = load_case(case_id, "cases.edit", read=read_on_get())
    form = CaseStatusForm(obj=case)
    form.fill_choices()
    if request.method == "GET":
        form.version.data = case.version
    page = partial(render_template, "cases/status_form.html", form=form, case=case)
    if not submitted(form, page, lambda: CaseStatusForm(formdata=None, obj=case)):
        return page()
    return _saved(case, _save_status(case, form))


def _save_status(case: Case, form: CaseStatusForm) -> list[str]:
    return operations.update_case(
        current_user,
        case,
        form.status.data,
        form.priority.data,
        form.next_follow_up_on.data,
        form.version.data,
        form.closing_reason.data,
        form.closing_summary.data,
    )


@bp.route("/<int:case_id>/menage", methods=["GET", "POST"])
@requires("cases.edit")
def add_household(case_id: int):
    case = load_case(case_id, "cases.edit")
    form = HouseholdForm()
    form.fill_choices(needs_catalogue())
    page = partial(render_template, "cases/household_form.html", form=form, case=case)
    if not submitted(form, page):
        return page()
    operations.add_household_member(current_user, case, **form.member_values())
    return done(_("Household member added."), url_for("cases.show", case_id=case.id) + "#menage")


@bp.route("/<int:case_id>/menage/<int:member_id>", methods=["GET", "POST"])
@requires("cases.edit")
def edit_household(case_id: int, member_id: int):
    case = load_case(case_id, "cases.edit", read=read_on_get())
    member = _member_of(case, member_id)
    form = _member_form(member, **({"formdata": None} if request.method == "GET" else {}))
    template = "cases/household_form.html"
    page = partial(render_template, template, form=form, case=case, member=member)
    if not submitted(form, page, lambda: _member_form(member, formdata=None)):
        return page()
    operations.update_household_member(
        current_user, case, member.id, **form.member_values(), expected_version=form.version.data
    )
    return done(_("Saved."), url_for("cases.show", case_id=case.id) + "#menage")


def _member_of(case: Case, member_id: int) -> HouseholdMember:
    member = next((m for m in case.household if m.id == member_id), None)
    if member is None:
        abort(404)
    return member


def _member_form(member: HouseholdMember, **kwargs: Any) -> EditHouseholdForm:
    """The member's form; with ``formdata=None``, as stored now (its version included)."""
    form = EditHouseholdForm(obj=member, **kwargs)
    form.fill_choices(needs_catalogue())
    if kwargs.get("formdata", "") is None:
        form.relationship.data = member.relationship_to_person
        form.needs.data = [row.need_id for row in member.needs]
        form.version.data = member.version
    return form


@bp.route("/<int:case_id>/menage/<int:member_id>/retirer", methods=["GET", "POST"])
@requires("cases.edit")
def remove_household(case_id: int, member_id: int):
    case = load_case(case_id, "cases.edit")
    member = _member_of(case, member_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("cases/household_remove.html", form=form, case=case, member=member)
    operations.remove_household_member(current_user, case, member_id)
    return done(_("Household member removed."), url_for("cases.show", case_id=case.id) + "#menage")


@bp.route("/<int:case_id>/suivi", methods=["GET", "POST"])
@requires("cases.edit")
def add_interaction(case_id: int):
    case = load_case(case_id, "cases.edit")
    form = InteractionForm()
    form.fill_choices()
    page = partial(render_template, "cases/interaction_form.html", form=form, case=case)
    if not submitted(form, page):
        return page()
    operations.add_interaction(current_user, case, form.values())
    return done(_("Added to the timeline."), url_for("cases.show", case_id=case.id) + "#suivi")


@bp.route("/<int:case_id>/consentements", methods=["GET", "POST"])
@requires("cases.edit")
def consents(case_id: int):
    case = load_case(case_id, "cases.edit", read=read_on_get())
    form = ConsentForm()
    form.fill_choices()
    if request.method == "GET" and request.args.get("purpose") in choices.CONSENT_PURPOSES:
        form.purpose.data = request.args["purpose"]  # asked for by a referral that needs it
    page = partial(_consents_page, case, form)
    if not submitted(form, page):
        return page()
    operations.record_consent(
        current_user, case, form.purpose.data, form.given_on.data, form.method.data
    )
    here = url_for("cases.consents", case_id=case.id)
    return done(_("Consent recorded."), safe_next(request.args.get("next"), here))


def _consents_page(case: Case, form: ConsentForm) -> str:
    consents = operations.consents_of(case)
    return render_template(
        "cases/consents.html", form=form, case=case, consents=consents, withdraw=ConfirmForm()
    )


@bp.post("/<int:case_id>/consentements/<int:consent_id>/retrait")
@requires("cases.edit")
def withdraw_consent(case_id: int, consent_id: int):
    case = load_case(case_id, "cases.edit")
    confirmed()
    back = url_for("cases.consents", case_id=case.id)
    refusals_go_to(back)
    operations.withdraw_consent(current_user, case, consent_id)
    return done(_("Consent withdrawn."), back)


# --- Transfers ---------------------------------------------------------------------------------


@bp.route("/<int:case_id>/transfert", methods=["GET", "POST"])
@requires("cases.transfer")
def transfer(case_id: int):
    case = load_case(case_id, "cases.transfer")
    form = TransferForm()
    form.fill_choices(operations.transfer_candidates(case))
    page = partial(_transfer_page, case, form)
    if not submitted(form, page):
        return page()
    receiver = db.session.get(User, form.to_agent_id.data) if form.to_agent_id.data else None
    operations.request_transfer(current_user, case, receiver, form.reason.data)
    return done(
        _("Transfer requested; the case moves when the receiving agent accepts."),
        url_for("cases.show", case_id=case.id),
    )


def _transfer_page(case: Case, form: TransferForm) -> str:
    pending = operations.pending_transfer(case)
    return render_template(
        "cases/transfer.html", form=form, case=case, pending=pending, cancel=ConfirmForm()
    )


@bp.post("/<int:case_id>/transfert/annuler")
@requires("cases.transfer")
def cancel_transfer(case_id: int):
    case = load_case(case_id, "cases.transfer")
    confirmed()
    refusals_go_to(url_for("cases.show", case_id=case.id))
    operations.cancel_transfer(current_user, case)
    return done(_("Transfer cancelled."), url_for("cases.show", case_id=case.id))


@transfers_bp.get("/", endpoint="index")
@requires("transfers.respond")
def awaiting_me():
    return render_template(
        "cases/transfers.html",
        transfers=operations.transfers_awaiting(current_user),
        form=ConfirmForm(),
    )


@transfers_bp.post("/<int:transfer_id>/<any(accepter, refuser):answer>")
@requires("transfers.respond")
def answer(transfer_id: int, answer: str):
    transfer = load_or_abort(CaseTransfer, transfer_id, "transfers.respond")
    confirmed()
    # A transfer already answered, or a closed case, is refused with the conflict page.
    operations.answer_transfer(current_user, transfer, accept=answer == "accepter")
    if answer == "accepter":
        return done(
            _("Case %(number)s is now in your caseload.", number=transfer.case.number),
            url_for("cases.show", case_id=transfer.case_id),
        )
    return done(_("Transfer declined."), url_for("transfers.index"))


# --- Access log --------------------------------------------------------------------------------


@bp.get("/<int:case_id>/journal-acces")
@requires("cases.access_log")
def access_log(case_id: int):
    case = load_case(case_id, "cases.access_log", read="case.access_log_viewed")
    statement = operations.access_log(case)
    page = paginate(statement, parse_page_number(request.args.get("page")))
    return render_template("cases/access_log.html", case=case, page=page)
