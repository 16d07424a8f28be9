"""Caseload, case page, person, household, timeline, consent, transfers, access log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.auth.models import User
from casework.cases import choices, operations
from casework.cases.forms import (
    CaseloadFilterForm,
    CaseStatusForm,
    ConsentForm,
    EditPersonForm,
    HouseholdForm,
    InteractionForm,
    NewCaseForm,
    PersonForm,
    SearchForm,
    TransferForm,
    parse_id,
)
from casework.cases.models import Case, CaseTransfer
from casework.cases.sections import rendered_sections
from casework.core import audit
from casework.core.domain import DomainError
from casework.core.domain import show_error as core_show_error
from casework.core.forms import ConfirmForm, save_versioned
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import Scope, load_or_abort, requires, scope_for
from casework.core.time import local_today
from casework.extensions import db
from casework.reference.lookup import domains, regions
from casework.reference.models import Region

bp = Blueprint("cases", __name__, url_prefix="/cases")
transfers_bp = Blueprint("transfers", __name__, url_prefix="/transferts")


def template_context() -> dict:
    """Labels of stored codes, for every page of the case file."""
    return {"choices": choices}


bp.context_processor(template_context)
transfers_bp.context_processor(template_context)


def load_case(case_id: int, action: str, read: str | None = None) -> Case:
    """The case, if ``action`` is allowed on it. ``read`` names the audit action of a page that
    shows the file; the view's single commit saves it with everything else."""
    case = load_or_abort(Case, case_id, action)
    if read:
        audit.record(current_user, read, case)
    return case


def render_file(template: str, **context) -> str:
    """Render a page of the file, then commit once (the read's audit row).

    Rendering first keeps the loaded objects alive (a commit expires them) and shows nothing
    whose read could not be recorded.
    """
    page = render_template(template, **context)
    db.session.commit()
    return page


def show_error(form, error: DomainError) -> None:
    core_show_error(form, error, lambda message: flash(message, "error"))


def _regions() -> list[Region]:
    return regions()


def person_fields(form: PersonForm) -> operations.PersonFields:
    return operations.PersonFields(
        given_names=form.given_names.data or "",
        family_name=form.family_name.data or "",
        immigration_category=form.immigration_category.data or "",
        preferred_name=form.preferred_name.data,
        date_of_birth=form.date_of_birth.data,
        gender=form.gender.data,
        country_of_birth=form.country_of_birth.data,
        citizenships=list(form.citizenships.data or []),
        languages_spoken=list(form.languages_spoken.data or []),
        preferred_language=form.preferred_language.data,
        french_level_self=form.french_level_self.data,
        french_level_scale=form.french_level_scale.data,
        arrival_date=form.arrival_date.data,
        permanent_residence_date=form.permanent_residence_date.data,
        phone=form.phone.data,
        email=form.email.data,
        address=form.address.data,
        postal_code=form.postal_code.data,
        city=form.city.data,
        destination_region_id=form.destination_region_id.data,
        destination_city=form.destination_city.data,
        interpreter_needed=bool(form.interpreter_needed.data),
        interpreter_language=form.interpreter_language.data,
    )


# --- Caseload --------------------------------------------------------------------------------


SEARCH_SESSION_KEY = "case_search"


def caseload_filters(
    regional: bool,
) -> tuple[CaseloadFilterForm, SearchForm, operations.CaseloadFilters]:
    """The caseload's filters from the query string, and the search kept in the session
    (the list and its CSV export read the same ones)."""
    form = CaseloadFilterForm(request.args)
    form.fill_choices(domains(), [current_user.region] if regional else [])
    form.validate()
    search = SearchForm(data={"q": session.get(SEARCH_SESSION_KEY, "")})
    filters = operations.CaseloadFilters(
        status=form.status.data or "",
        domain=form.domain.data or "",
        priority=form.priority.data or "",
        overdue=bool(form.overdue.data),
        region_id=parse_id(request.args.get("region")),
        query=search.q.data or "",
        sort=form.sort.data or "recent",
    )
    return form, search, filters


@bp.get("/")
@requires("cases.read")
def index():
    regional = scope_for(current_user.role, "cases.read") is Scope.REGION
    form, search, filters = caseload_filters(regional)
    page = operations.caseload_page(
        current_user, filters, parse_page_number(request.args.get("page"))
    )
    audit.record(
        current_user,
        "cases.searched" if filters.query else "cases.listed",
        target_type="case",
        case_ids=[case.id for case in page.items],
    )
    return render_file(
        "cases/index.html",
        page=page,
        form=form,
        search=search,
        regional=regional,
        counts=operations.caseload_counts(current_user),
        transfers=operations.transfers_awaiting(current_user),
        today=local_today(),
    )


@bp.post("/recherche")
@requires("cases.read")
def search():
    """Search terms are names, phones and e-mails: kept in the session, never in a URL."""
    form = SearchForm()
    if not form.validate_on_submit():
        flash(_("The search was not run: at most 100 characters."), "error")
    elif form.q.data and not request.form.get("clear"):
        session[SEARCH_SESSION_KEY] = form.q.data
    else:
        session.pop(SEARCH_SESSION_KEY, None)
    return redirect(url_for("cases.index"))


# --- Opening a case ----------------------------------------------------------------------------


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("cases.create")
def create():
    form = NewCaseForm()
    form.fill_choices(_regions())
    if request.method == "GET":
        form.destination_region_id.data = current_user.region_id
    duplicates = None
    if form.validate_on_submit():
        values = person_fields(form)
        key = operations.duplicate_check_key(
            values.given_names, values.family_name, values.date_of_birth
        )
        if form.duplicates_reviewed.data != key:
            duplicates = operations.find_duplicates(
                current_user, values.given_names, values.family_name, values.date_of_birth
            )
            if duplicates.any:
                form.duplicates_reviewed.data = key
                audit.record(
                    current_user,
                    "cases.duplicates_shown",
                    target_type="case",
                    case_ids=[m.case.id for m in duplicates.matches],
                    hidden=duplicates.hidden,
                )
                return render_file("cases/new.html", form=form, duplicates=duplicates)
        try:
            case = operations.open_case(
                current_user, values, form.origin.data, form.priority.data or "normal"
            )
        except operations.CaseError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Case %(number)s opened.", number=case.number), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/new.html", form=form, duplicates=duplicates)


# --- The case page -----------------------------------------------------------------------------


@bp.get("/<int:case_id>")
@requires("cases.read")
def show(case_id: int):
    case = load_case(case_id, "cases.read", read="case.viewed")
    case = operations.with_page_details(case)
    return render_file(
        "cases/show.html",
        case=case,
        person=case.person,
        timeline=operations.timeline(case),
        consents=operations.consents_of(case),
        transfer=operations.pending_transfer(case),
        sections=rendered_sections(case),
        today=local_today(),
    )


@bp.route("/<int:case_id>/personne", methods=["GET", "POST"])
@requires("cases.edit")
def edit_person(case_id: int):
    case = load_case(case_id, "cases.edit", read="case.viewed" if request.method == "GET" else None)
    form = EditPersonForm(obj=case.person)
    form.fill_choices(_regions())
    if request.method == "GET":
        form.version.data = case.person.version
    changed = save_versioned(
        form,
        lambda: operations.update_person(
            current_user, case, person_fields(form), form.version.data
        ),
    )
    if changed is not None:
        return _saved(case, changed)
    return render_file("cases/person_form.html", form=form, case=case)


def _saved(case: Case, changed: list[str]):
    db.session.commit()
    flash(_("Saved.") if changed else _("No change to save."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.route("/<int:case_id>/statut", methods=["GET", "POST"])
@requires("cases.edit")
def edit_status(case_id: int):
    case = load_case(case_id, "cases.edit", read="case.viewed" if request.method == "GET" else None)
    form = CaseStatusForm(obj=case)
    form.fill_choices()
    if request.method == "GET":
        form.version.data = case.version
    changed = save_versioned(
        form,
        lambda: operations.update_case(
            current_user,
            case,
            form.status.data,
            form.priority.data,
            form.next_follow_up_on.data,
            form.version.data,
            form.closing_reason.data,
            form.closing_summary.data,
        ),
    )
    if changed is not None:
        return _saved(case, changed)
    return render_file("cases/status_form.html", form=form, case=case)


@bp.route("/<int:case_id>/menage", methods=["GET", "POST"])
@requires("cases.edit")
def add_household(case_id: int):
    case = load_case(case_id, "cases.edit")
    form = HouseholdForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            operations.add_household_member(
                current_user,
                case,
                form.relationship.data,
                form.given_names.data,
                form.family_name.data,
                form.date_of_birth.data,
            )
        except operations.CaseError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Household member added."), "success")
            return redirect(url_for("cases.show", case_id=case.id) + "#menage")
    return render_template("cases/household_form.html", form=form, case=case)


@bp.route("/<int:case_id>/menage/<int:member_id>/retirer", methods=["GET", "POST"])
@requires("cases.edit")
def remove_household(case_id: int, member_id: int):
    case = load_case(case_id, "cases.edit")
    member = next((m for m in case.household if m.id == member_id), None)
    if member is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.remove_household_member(current_user, case, member_id)
        db.session.commit()
        flash(_("Household member removed."), "success")
        return redirect(url_for("cases.show", case_id=case.id) + "#menage")
    return render_template("cases/household_remove.html", form=form, case=case, member=member)


@bp.route("/<int:case_id>/suivi", methods=["GET", "POST"])
@requires("cases.edit")
def add_interaction(case_id: int):
    case = load_case(case_id, "cases.edit")
    form = InteractionForm()
    form.fill_choices()
    if form.validate_on_submit():
        values = operations.InteractionFields(
            kind=form.kind.data,
            occurred_at=form.occurred_at.data,
            summary=form.summary.data or "",
            duration_minutes=form.duration_minutes.data,
            mode=form.mode.data,
            interpreter_language=form.interpreter_language.data,
            interpreter_remote=bool(form.interpreter_remote.data),
        )
        try:
            operations.add_interaction(current_user, case, values)
        except operations.CaseError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Added to the timeline."), "success")
            return redirect(url_for("cases.show", case_id=case.id) + "#suivi")
    return render_template("cases/interaction_form.html", form=form, case=case)


@bp.route("/<int:case_id>/consentements", methods=["GET", "POST"])
@requires("cases.edit")
def consents(case_id: int):
    case = load_case(case_id, "cases.edit", read="case.viewed" if request.method == "GET" else None)
    form = ConsentForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            operations.record_consent(
                current_user, case, form.purpose.data, form.given_on.data, form.method.data
            )
        except operations.CaseError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Consent recorded."), "success")
            return redirect(url_for("cases.consents", case_id=case.id))
    return render_file(
        "cases/consents.html",
        form=form,
        case=case,
        consents=operations.consents_of(case),
        withdraw=ConfirmForm(),
    )


@bp.post("/<int:case_id>/consentements/<int:consent_id>/retrait")
@requires("cases.edit")
def withdraw_consent(case_id: int, consent_id: int):
    case = load_case(case_id, "cases.edit")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.withdraw_consent(current_user, case, consent_id)
    except operations.CaseError as error:
        flash(str(error), "error")
        return redirect(url_for("cases.consents", case_id=case.id))
    db.session.commit()
    flash(_("Consent withdrawn."), "success")
    return redirect(url_for("cases.consents", case_id=case.id))


# --- Transfers ---------------------------------------------------------------------------------


@bp.route("/<int:case_id>/transfert", methods=["GET", "POST"])
@requires("cases.transfer")
def transfer(case_id: int):
    case = load_case(case_id, "cases.transfer")
    form = TransferForm()
    agents = operations.transfer_candidates(case)
    form.to_agent_id.choices = [("", _("— Choose —"))] + [
        (a.id, f"{a.full_name} ({a.region.label})") for a in agents
    ]
    if form.validate_on_submit():
        receiver = db.session.get(User, form.to_agent_id.data) if form.to_agent_id.data else None
        try:
            operations.request_transfer(current_user, case, receiver, form.reason.data)
        except operations.CaseError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Transfer requested; the case moves when the receiving agent accepts."), "success"
            )
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template(
        "cases/transfer.html",
        form=form,
        case=case,
        pending=operations.pending_transfer(case),
        cancel=ConfirmForm(),
    )


@bp.post("/<int:case_id>/transfert/annuler")
@requires("cases.transfer")
def cancel_transfer(case_id: int):
    case = load_case(case_id, "cases.transfer")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.cancel_transfer(current_user, case)
    except operations.CaseError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Transfer cancelled."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


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
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.answer_transfer(current_user, transfer, accept=answer == "accepter")
    except operations.CaseError:
        db.session.rollback()
        abort(409)
    db.session.commit()
    if answer == "accepter":
        flash(_("Case %(number)s is now in your caseload.", number=transfer.case.number), "success")
        return redirect(url_for("cases.show", case_id=transfer.case_id))
    flash(_("Transfer declined."), "success")
    return redirect(url_for("transfers.index"))


# --- Access log --------------------------------------------------------------------------------


@bp.get("/<int:case_id>/journal-acces")
@requires("cases.access_log")
def access_log(case_id: int):
    case = load_case(case_id, "cases.access_log", read="case.access_log_viewed")
    statement = operations.access_log(case)
    page = paginate(statement, parse_page_number(request.args.get("page")))
    return render_file("cases/access_log.html", case=case, page=page)
