"""Service layer for persons and cases. No request, no flash; the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    false,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy import case as sa_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.types import ARRAY, Integer

from casework.cases import choices
from casework.cases.events import (
    CaseStatusChanged,
    CaseTransferred,
    ConsentWithdrawn,
    StayExpiryChanged,
    TransferChanged,
)
from casework.cases.household import (  # noqa: F401  (re-exported: views, demo and tests use them)
    add_household_member,
    remove_household_member,
    update_household_member,
)
from casework.cases.models import (
    Case,
    CaseTransfer,
    Consent,
    HouseholdMember,
    HouseholdMemberNeed,
    Interaction,
    Person,
)
from casework.cases.search import (
    WIDE_COUNT,
    breadth_and_matches,
    index_case,
    matches_case,
    matching_case_ids,
)
from casework.cases.search import breadth as search_breadth
from casework.cases.validation import (  # noqa: F401  (re-exported: forms and tests use them)
    FOLLOW_UP_HORIZON,
    NAME_MAX,
    CaseError,
    PersonFields,
    validate_case_status,
    validate_person,
    visible,
)
from casework.core import audit
from casework.core.audit import AuditEvent
from casework.core.domain import StaleEdit
from casework.core.events import ExtensionPoint, emit
from casework.core.pagination import COUNT_LIMIT, Page, counted_page, paginate
from casework.core.permissions import Scope, region_ids, scope_for
from casework.core.text import phonetic_key, tokens
from casework.core.time import is_plausible, local_to_utc, local_today, utcnow
from casework.extensions import db
from casework.reference.models import ServicePoint

# A browser clock a little ahead of the server's must not make "now" look like the future.
CLOCK_TOLERANCE = timedelta(minutes=5)


# --- Person ---------------------------------------------------------------------------------


def _require(condition: bool, message: Any, field_name: str) -> None:
    if not condition:
        raise CaseError(message, field_name)


def apply_person_fields(person: Person, values: PersonFields) -> list[str]:
    changed = []
    for item in fields(PersonFields):
        value, current = getattr(values, item.name), getattr(person, item.name)
        if isinstance(value, list) and isinstance(current, list) and set(value) == set(current):
            continue  # the same choices in another order are not a change
        if current != value:
            setattr(person, item.name, value)
            changed.append(item.name)
    person.name_key = " ".join(sorted([*tokens(values.given_names), *tokens(values.family_name)]))
    person.family_phonetic = phonetic_key(values.family_name)
    person.given_phonetic = phonetic_key(
        values.given_names.split()[0] if values.given_names.split() else ""
    )
    return changed


# --- Loading cases --------------------------------------------------------------------------


def cases_in_order(case_ids: list[int], *related: Any) -> list[Case]:
    """The cases ``case_ids`` names, in that order, with their person, agent and the ``related``
    relationships loaded: one query for a page of ids chosen by a cheaper one."""
    loaded = db.session.scalars(
        select(Case)
        .options(
            joinedload(Case.person),
            joinedload(Case.agent),
            *(joinedload(relationship) for relationship in related),
        )
        .where(Case.id.in_(case_ids))
    ).unique()
    by_id = {case.id: case for case in loaded}
    return [by_id[case_id] for case_id in case_ids]


# --- Cases ----------------------------------------------------------------------------------


def readable(user: Any, case: Case) -> bool:
    from casework.core.permissions import in_scope

    scope = scope_for(getattr(user, "role", None), "cases.read")
    return scope is not None and in_scope(user, scope, case)


def open_case(
    actor: Any,
    values: PersonFields,
    origin: str,
    priority: str = "normal",
    opened_at: datetime | None = None,
    assignee: Any = None,
    service_point: ServicePoint | None = None,
) -> Case:
    """Create the person and their case, assigned to ``assignee`` (by default ``actor``) at
    ``service_point`` (by default the assignee's)."""
    validate_person(values)
    check_client_number(actor, values.mifi_client_number)
    _require(origin in choices.ORIGINS, _l("Choose how the person came to the service."), "origin")
    _require(priority in choices.PRIORITIES, _l("Not a valid choice."), "priority")
    agent = assignee or actor
    point = service_point or agent.service_point
    if point is None:
        raise CaseError(_l("Your account has no service point; ask your administrator."))
    if opened_at is not None and opened_at > utcnow() + CLOCK_TOLERANCE:
        raise CaseError(_l("This moment is in the future."))
    person = Person()
    apply_person_fields(person, values)
    case = Case(
        person=person,
        agent_id=agent.id,
        region_id=point.region_id,
        service_point_id=point.id,
        origin=origin,
        priority=priority,
        status="new",
        opened_at=opened_at or utcnow(),
    )
    db.session.add(case)
    _flush_person()
    # The number shows the year and a sequence, nothing about the person.
    case.number = f"AQ-{case.opened_at.year}-{case.id:06d}"
    index_case(case)
    audit.record(actor, "case.opened", case)
    if person.permit_expires_on or person.caq_expires_on:
        emit(StayExpiryChanged(case_id=case.id))
    return case


def update_person(actor: Any, case: Case, values: PersonFields, expected_version: int) -> list[str]:
    person = case.person
    if person.version != expected_version:
        raise StaleEdit()
    validate_person(values)
    check_client_number(actor, values.mifi_client_number, person.id)
    changed = apply_person_fields(person, values)
    if changed:
        _flush_person()
        index_case(case)
        audit.record(actor, "person.updated", case, fields=changed)
    if {"permit_expires_on", "caq_expires_on", "immigration_category"} & set(changed):
        emit(StayExpiryChanged(case_id=case.id))
    return changed


def check_client_number(actor: Any, number: str | None, person_id: int | None = None) -> None:
    """A MIFI client number is one person's: refused when another person has it, naming that
    person's case only to a user who may read it (the number of a file out of scope says
    nothing of it)."""
    if not number:
        return
    holder = db.session.execute(
        select(Case.id, Case.number, Case.agent_id, Case.region_id)
        .join(Person, Person.id == Case.person_id)
        .where(Person.mifi_client_number == number, Person.id != (person_id or 0))
        .order_by(Case.id)
        .limit(1)
    ).first()
    if holder is None:
        return
    if readable(actor, holder):
        message = _l(
            "This MIFI client number is already the one of case %(number)s: open that file "
            "rather than a second one.",
            number=holder.number,
        )
    else:
        message = _l(
            "This MIFI client number is already recorded on a file outside your caseload; "
            "ask your supervisor for a transfer rather than opening a second file."
        )
        # Typing numbers to learn whether a person is known elsewhere is a lookup of a file
        # out of scope: the audit trail keeps it, as a refused read (committed with the form's
        # page, which shows the refusal).
        audit.record(
            actor,
            "cases.read",
            target_type="case",
            target_id=holder.id,
            outcome="denied",
            via="client_number",
        )
    raise CaseError(message, "mifi_client_number")


def _flush_person() -> None:
    """Flush the person; two tabs saving the same client number at once: one is refused."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        if "mifi_client_number" not in str(error.orig):
            raise
        raise CaseError(
            _l("This MIFI client number is already recorded on another file."),
            "mifi_client_number",
        ) from error


def update_case(
    actor: Any,
    case: Case,
    status: str,
    priority: str,
    follow_up: date | None,
    expected_version: int,
    closing_reason: str | None = None,
    closing_summary: str | None = None,
) -> list[str]:
    if case.version != expected_version:
        raise StaleEdit()
    validate_case_status(status, priority, follow_up, closing_reason, closing_summary)
    if status != "closed":
        # Reopening keeps the last closing on record (the audit trail has the history).
        closing_reason, closing_summary = case.closing_reason, case.closing_summary
    wanted = {
        "status": status,
        "priority": priority,
        "next_follow_up_on": follow_up,
        "closing_reason": closing_reason,
        "closing_summary": closing_summary.strip() if closing_summary else None,
    }
    changed = [name for name, value in wanted.items() if getattr(case, name) != value]
    previous = case.status
    for name in changed:
        setattr(case, name, wanted[name])
    if "status" in changed:
        case.closed_at = utcnow() if status == "closed" else None
        emit(CaseStatusChanged(case_id=case.id, previous=previous, status=status))
    if changed:
        audit.record(actor, "case.updated", case, fields=changed)
    return changed


@dataclass
class InteractionFields:
    kind: str
    occurred_at: datetime  # Québec wall-clock time, as typed

    summary: str
    duration_minutes: int | None = None
    mode: str | None = None
    interpreter_language: str | None = None
    interpreter_remote: bool = False


def add_interaction(actor: Any, case: Case, values: InteractionFields) -> Interaction:
    _require(values.kind in choices.INTERACTION_KINDS, _l("Not a valid choice."), "kind")
    _require(values.mode is None or values.mode in choices.MODES, _l("Not a valid choice."), "mode")
    _require(bool(values.summary.strip()), _l("This field is required."), "summary")
    _require(
        len(values.summary) <= 10_000, _l("At most %(max)d characters.", max=10_000), "summary"
    )
    _require(
        is_plausible(values.occurred_at, local_today() + timedelta(days=1)),
        _l("This moment is in the future."),
        "occurred_at",
    )
    values.occurred_at = local_to_utc(values.occurred_at)
    _require(
        values.occurred_at <= utcnow() + CLOCK_TOLERANCE,
        _l("This moment is in the future."),
        "occurred_at",
    )
    _require(
        values.occurred_at.date() >= case.opened_at.date(),
        _l("This moment is before the case was opened."),
        "occurred_at",
    )
    _require(
        values.duration_minutes is None or 0 < values.duration_minutes <= 600,
        _l("Between 1 and 600 minutes."),
        "duration_minutes",
    )
    _require(
        values.interpreter_language is None or choices.is_language(values.interpreter_language),
        _l("Not a valid choice."),
        "interpreter_language",
    )
    interaction = Interaction(case_id=case.id, author_id=actor.id, **vars(values))
    interaction.summary = values.summary.strip()
    db.session.add(interaction)
    db.session.flush()
    audit.record(actor, "interaction.added", case, interaction_id=interaction.id, kind=values.kind)
    return interaction


def record_consent(actor: Any, case: Case, purpose: str, given_on: date, method: str) -> Consent:
    _require(purpose in choices.CONSENT_PURPOSES, _l("Not a valid choice."), "purpose")
    _require(method in choices.CONSENT_METHODS, _l("Not a valid choice."), "method")
    _require(
        is_plausible(given_on, local_today()), _l("Check this date: not in the future."), "given_on"
    )
    if current_consent(case, purpose) is not None:
        raise CaseError(_l("This consent is already recorded and in force."), "purpose")
    consent = Consent(
        case_id=case.id, purpose=purpose, given_on=given_on, method=method, recorded_by_id=actor.id
    )
    if not _insert_once(consent):
        raise CaseError(_l("This consent is already recorded and in force."), "purpose")
    audit.record(actor, "consent.given", case, purpose=purpose)
    return consent


def withdraw_consent(
    actor: Any, case: Case, consent_id: int, withdrawn_on: date | None = None
) -> Consent:
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.case_id != case.id:
        raise CaseError(_l("This consent is not on this case."))
    if consent.withdrawn_on is not None:
        raise CaseError(_l("This consent was already withdrawn."))
    withdrawn_on = withdrawn_on or local_today()
    if withdrawn_on > local_today() or withdrawn_on < consent.given_on:
        raise CaseError(_l("The withdrawal date must be between the consent date and today."))
    consent.withdrawn_on = withdrawn_on
    consent.withdrawn_by_id = actor.id
    audit.record(actor, "consent.withdrawn", case, purpose=consent.purpose)
    emit(ConsentWithdrawn(case_id=case.id, consent_id=consent.id, purpose=consent.purpose))
    return consent


def current_consent(case: Case, purpose: str) -> Consent | None:
    return db.session.scalar(
        select(Consent).where(
            Consent.case_id == case.id, Consent.purpose == purpose, Consent.withdrawn_on.is_(None)
        )
    )


def consents_of(case: Case) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent).where(Consent.case_id == case.id).order_by(Consent.recorded_at.desc())
        )
    )


# --- Transfers ------------------------------------------------------------------------------


TRANSFER_CONSENT = _l("The person has not consented to their file going to another region.")


def request_transfer(actor: Any, case: Case, to_agent: Any, reason: str) -> CaseTransfer:
    _require(
        to_agent is not None and to_agent.role == "agent" and to_agent.active,
        _l("Choose an active agent."),
        "to_agent_id",
    )
    _require(
        to_agent.id != case.agent_id,
        _l("The case is already assigned to this agent."),
        "to_agent_id",
    )
    _require(bool(reason.strip()), _l("This field is required."), "reason")
    if case.is_closed:
        raise CaseError(_l("A closed case cannot be transferred; reopen it first."))
    if pending_transfer(case) is not None:
        raise CaseError(_l("A transfer of this case is already awaiting an answer."))
    if to_agent.region_id != case.region_id and current_consent(case, "transfer_region") is None:
        raise CaseError(TRANSFER_CONSENT, "to_agent_id")  # as for a partner: consent first
    transfer = CaseTransfer(
        case_id=case.id,
        from_agent_id=case.agent_id,
        to_agent_id=to_agent.id,
        requested_by_id=actor.id,
        reason=reason.strip(),
    )
    if not _insert_once(transfer):
        raise CaseError(_l("A transfer of this case is already awaiting an answer."))
    audit.record(
        actor, "transfer.requested", case, transfer_id=transfer.id, to_agent_id=to_agent.id
    )
    emit(TransferChanged(case_id=case.id, transfer_id=transfer.id, status="pending"))
    return transfer


def _insert_once(row: Any) -> bool:
    """Insert ``row`` unless a unique index says it exists already (two tabs, two agents)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def pending_transfer(case: Case) -> CaseTransfer | None:
    return db.session.scalar(
        select(CaseTransfer).where(
            CaseTransfer.case_id == case.id, CaseTransfer.status == "pending"
        )
    )


def answer_transfer(actor: Any, transfer: CaseTransfer, accept: bool) -> None:
    """The receiving agent accepts (the case moves to them, their region and point) or declines."""
    outcome = "accepted" if accept else "declined"
    case = transfer.case
    # The consent to another region is checked again: withdrawn since the request, it stops it.
    elsewhere = accept and actor.region_id != case.region_id
    if elsewhere and current_consent(case, "transfer_region") is None:
        raise CaseError(TRANSFER_CONSENT)
    # Conditional update: of two answers sent at once, only one finds the transfer pending.
    answered = db.session.execute(
        update(CaseTransfer)
        .where(CaseTransfer.id == transfer.id, CaseTransfer.status == "pending")
        .values(status=outcome, decided_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if answered != 1:
        raise CaseError(_l("This transfer was already answered."))
    if accept and transfer.case.is_closed:
        raise CaseError(_l("A closed case cannot be transferred; reopen it first."))
    if accept:
        case.agent_id = actor.id
        case.region_id = actor.region_id
        case.service_point_id = actor.service_point_id
        db.session.flush()
        # Referrals follow the case; its upcoming appointments go to the new agent.
        emit(CaseTransferred(case_id=case.id, actor_id=actor.id))
    audit.record(actor, f"transfer.{outcome}", case, transfer_id=transfer.id)
    emit(TransferChanged(case_id=case.id, transfer_id=transfer.id, status=outcome))


def cancel_transfer(actor: Any, case: Case) -> None:
    """Withdraw the pending transfer (the receiver is away, or it was a mistake)."""
    cancelled = db.session.execute(
        update(CaseTransfer)
        .where(CaseTransfer.case_id == case.id, CaseTransfer.status == "pending")
        .values(status="cancelled", decided_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if cancelled != 1:
        raise CaseError(_l("No transfer of this case awaits an answer."))
    audit.record(actor, "transfer.cancelled", case)


def transfer_candidates(case: Case) -> list[Any]:
    """Active agents who could receive ``case``, by region then name."""
    from casework.auth.models import User

    return list(
        db.session.scalars(
            select(User)
            .options(joinedload(User.region))
            .where(User.role == "agent", User.active.is_(True), User.id != case.agent_id)
            .order_by(User.region_id, User.full_name)
        )
    )


def transfers_awaiting_count(user: Any) -> int:
    """How many transfers await ``user``'s answer (the caseload says so and links to them)."""
    return db.session.scalar(
        select(func.count())
        .select_from(CaseTransfer)
        .where(CaseTransfer.to_agent_id == user.id, CaseTransfer.status == "pending")
    )


def transfers_awaiting(user: Any) -> list[CaseTransfer]:
    return list(
        db.session.scalars(
            select(CaseTransfer)
            .options(
                joinedload(CaseTransfer.case).joinedload(Case.person),
                joinedload(CaseTransfer.from_agent),
            )
            .where(CaseTransfer.to_agent_id == user.id, CaseTransfer.status == "pending")
            .order_by(CaseTransfer.requested_at)
        ).unique()
    )


# --- The case page -------------------------------------------------------------------------


def with_page_details(case: Case) -> Case:
    """The case with what its page shows, loaded in one query."""
    return db.session.scalar(
        select(Case)
        .options(
            joinedload(Case.person).joinedload(Person.destination_region),
            joinedload(Case.agent),
            joinedload(Case.region),
            joinedload(Case.service_point),
            # The members' needs come in the household's own query (joined): no query more.
            selectinload(Case.household)
            .joinedload(HouseholdMember.needs)
            .joinedload(HouseholdMemberNeed.need),
        )
        .where(Case.id == case.id)
        .execution_options(populate_existing=True)
    )


def access_log(case: Case) -> Select:
    """Every audited access to ``case``, newest first, with who made it."""
    return (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


# --- Caseload -------------------------------------------------------------------------------


@dataclass
class CaseloadFilters:
    status: str = ""
    domain: str = ""
    priority: str = ""
    overdue: bool = False
    region_id: int | None = None
    query: str = ""
    sort: str = "recent"
    agent_id: int | None = None  # a regional reader's drill-down from the dashboard
    cohort: str = ""  # the cases a dashboard figure counts (``CASELOAD_COHORTS``)...
    period: tuple[date, date] | None = None  # ...over these local days, both included


PRIORITY_RANK = sa_case({"urgent": 0, "high": 1}, value=Case.priority, else_=2)
SORTS = {
    "recent": (Case.opened_at.desc(), Case.id.desc()),
    "name": (Person.family_name, Person.given_names, Case.id),
    "follow_up": (Case.next_follow_up_on.is_(None), Case.next_follow_up_on, Case.id),
    "priority": (PRIORITY_RANK, Case.id),
}


def _scope_filter(user: Any, indexed: bool = True):
    """The condition on ``Case`` that keeps the cases ``user`` may read.

    ``indexed=False`` writes it so that SQLite's planner does not start from the scope's index
    (« + 0 »): a narrow search is cheaper read from its few matches.
    """
    scope = scope_for(user.role, "cases.read")
    if scope is Scope.CASELOAD:
        return (Case.agent_id if indexed else Case.agent_id + 0) == user.id
    if scope is Scope.REGION:
        return (Case.region_id if indexed else Case.region_id + 0).in_(region_ids(user))
    return false()


def visible_cases(user: Any, indexed: bool = True, with_person: bool = True) -> Select:
    """Cases ``user`` may read, as a SELECT to refine (``with_person``: joined to their person,
    for sorting by name; a count does without)."""
    statement = select(Case).join(Case.person) if with_person else select(Case.id)
    return statement.where(_scope_filter(user, indexed))


# The caseload's « needs in a domain » filter: a SQL condition on ``Case`` given a domain code.
# Needs are assessed in the assessments feature, built on cases, which adds it.
NEEDS_IN_DOMAIN: ExtensionPoint[Callable[[str], ColumnElement[bool]]] = ExtensionPoint(
    "cases.caseload_needs_in_domain",
    "SQL condition on Case: open needs in a domain (the caseload's domain filter)",
)


def _domain_condition(domain_code: str) -> ColumnElement[bool]:
    conditions = [condition(domain_code) for condition in NEEDS_IN_DOMAIN]
    if not conditions:
        raise LookupError("no feature filters the caseload by domain (app.register_listeners)")
    return and_(*conditions)


@dataclass(frozen=True)
class Cohort:
    """The cases one figure of a report counts (a dashboard delay's people, a reminder's
    no-shows, an indicator's persons), defined by the feature that computes the figure, so that
    its drill-down lists exactly them.
    ``condition(first_day, last_day, region_ids, readable)`` is a SQL condition on ``Case``
    (``region_ids`` None: every region; ``readable``: the ids of the cases the reader may read,
    which bounds work done outside SQL)."""

    code: str
    label: Any  # a lazy string
    condition: Callable[[date, date, list[int] | None, Select], ColumnElement[bool]]


# Report figures are computed by reports, which builds on every feature; it adds them here.
CASELOAD_COHORTS: ExtensionPoint[Cohort] = ExtensionPoint(
    "cases.caseload_cohorts",
    "the cases a report's figure counts, for its drill-down (the caseload's « cohort » filter)",
)
COHORT_DEFAULT_DAYS = 90  # the dashboard's default period
COHORT_MAX_DAYS = 5 * 366  # the dashboard's longest period


def cohorts() -> dict[str, Cohort]:
    return {cohort.code: cohort for cohort in CASELOAD_COHORTS}


_cohort_labels: dict[str, Any] = {}


def cohort_labels() -> dict[str, Any]:
    """Each cohort's lazy label by code: the same dict while no cohort is added (they are added
    at import), so that ``core.i18n.translated`` resolves the forty labels once per locale
    rather than on every caseload page (issue 23)."""
    global _cohort_labels
    if len(_cohort_labels) != len(CASELOAD_COHORTS):
        _cohort_labels = {cohort.code: cohort.label for cohort in CASELOAD_COHORTS}
    return _cohort_labels


def _cohort_condition(user: Any, filters: CaseloadFilters) -> ColumnElement[bool]:
    cohort = cohorts().get(filters.cohort)
    if cohort is None or filters.period is None:
        return false()
    scope = scope_for(user.role, "cases.read")
    if filters.region_id and scope is Scope.REGION:
        regions: list[int] | None = [filters.region_id]
    else:
        # The reader's scope bounds the work; the scope filter itself still applies.
        regions = region_ids(user) if scope is Scope.REGION else None
    readable = select(Case.id).where(_scope_filter(user))
    return cohort.condition(filters.period[0], filters.period[1], regions, readable)


def caseload(
    user: Any,
    filters: CaseloadFilters,
    today: date | None = None,
    breadth: str | None = None,
    for_count: bool = False,
    ids_only: bool = False,
    matches: list[int] | None = None,
) -> Select:
    """The cases of the caseload page, in its order (``ids_only``: their ids, in that order;
    ``for_count``: their ids, unordered). ``matches``: a narrow search's matching ids, when
    already read (``search.breadth_and_matches``)."""
    today = today or local_today()
    if filters.query and breadth is None:
        breadth = search_breadth(filters.query)
    # An agent's own cases are a few thousand at most: walking them is cheaper than reading a
    # narrow search's matches; a region's (up to 90,000) are read from the matches instead.
    sqlite = db.engine.dialect.name == "sqlite"
    from_matches = breadth == "narrow" and scope_for(user.role, "cases.read") is Scope.REGION
    in_opening_order = not for_count and _walks_in_opening_order(user, filters, breadth)
    statement = visible_cases(
        user,
        indexed=not ((from_matches or in_opening_order) and sqlite),
        # The ids of a page need the person only to sort by name: without the join, SQLite
        # walks the scope's index alone (every walked case otherwise read from the table).
        with_person=not for_count and (not ids_only or filters.sort == "name"),
    )
    if ids_only:
        statement = statement.with_only_columns(Case.id)
    elif not for_count:
        # The person comes from the join the scope already makes (sorting by name needs it):
        # a second join of persons would be read for every match before the sort.
        statement = statement.options(
            contains_eager(Case.person), joinedload(Case.agent), joinedload(Case.service_point)
        )
    if filters.status == choices.OPEN_STATUS:
        statement = statement.where(Case.status != "closed")
    elif filters.status:
        statement = statement.where(Case.status == filters.status)
    if filters.agent_id and scope_for(user.role, "cases.read") is Scope.REGION:
        statement = statement.where(Case.agent_id == filters.agent_id)
    if filters.priority:
        statement = statement.where(Case.priority == filters.priority)
    if filters.overdue:
        statement = statement.where(Case.next_follow_up_on < today, Case.status != "closed")
    if filters.region_id and scope_for(user.role, "cases.read") is Scope.REGION:
        statement = statement.where(Case.region_id == filters.region_id)
    if filters.domain:
        statement = statement.where(_domain_condition(filters.domain))
    if filters.cohort:
        statement = statement.where(_cohort_condition(user, filters))
    if filters.query:
        if breadth == "very_wide":
            statement = statement.where(matches_case(filters.query, Case.id))
        elif from_matches and not sqlite:
            # PostgreSQL misjudges how many cases a prefix query matches and would probe the
            # search column row by row along the region: its few matches are read first instead.
            ids = (
                matches
                if matches is not None
                else list(db.session.scalars(matching_case_ids(filters.query)))
            )
            # As one array, not one parameter per match: « tremblay » is 2,219 of them, each
            # bound, sent and parsed (12 ms at 200,000 cases).
            statement = statement.where(Case.id == any_(bindparam(None, ids, ARRAY(Integer))))
        else:
            ids = matching_case_ids(filters.query)
            # A wide search, and any search of an agent's own cases, walks the scope's cases
            # in page order and probes the matches; with statistics SQLite would rather read
            # the matches (« + 0 » keeps it from the key), each from the table (an agent's
            # « diallo »: 2,200 matches read to keep 30), and sort them.
            walked = Case.id + 0 if sqlite and not from_matches else Case.id
            statement = statement.where(walked.in_(ids) if ids is not None else false())
    if for_count:
        return statement
    return statement.order_by(*SORTS.get(filters.sort, SORTS["recent"]))


def _walks_in_opening_order(user: Any, filters: CaseloadFilters, breadth: str | None) -> bool:
    """Whether a directorate's caseload, newest first, walks every case in opening order
    (``ix_cases_opened``) keeping its regions' (issue 23): the per-region index cannot give
    several regions in one order, and SQLite sorted Montréal's 120,000 cases to show 25 (135 ms
    at 200,000 cases; 7 ms walked at worst, docs/performance.md). Narrower filters and a narrow
    search keep their own index."""
    if scope_for(user.role, "cases.read") is not Scope.REGION or len(region_ids(user)) < 2:
        return False
    narrowed = (
        filters.agent_id or filters.region_id or filters.overdue or filters.domain or filters.cohort
    )
    return filters.sort == "recent" and not narrowed and breadth != "narrow"


def caseload_page(user: Any, filters: CaseloadFilters, number: int) -> Page:
    """One page of the caseload. A search that matches most cases is counted up to 100 only."""
    breadth, matches = _breadth_and_matches(user, filters.query)
    limit = WIDE_COUNT if breadth == "very_wide" else COUNT_LIMIT
    ids = caseload(user, filters, breadth=breadth, ids_only=True, matches=matches)
    page = counted_page(ids, number, limit) if filters.query else None
    if page is None:
        count = caseload(user, filters, breadth=breadth, for_count=True, matches=matches)
        page = paginate(ids, number, count_limit=limit, count_statement=count)
    # The sort carries ids only (a region's search sorts a thousand matches to show 25); the
    # cases shown are then read with their person's and agent's names.
    return replace(page, items=caseload_rows(page.items))


def _breadth_and_matches(user: Any, query: str) -> tuple[str | None, list[int] | None]:
    """A search's breadth; a region's narrow search also gets its matches (read once on
    PostgreSQL): only there is the page chosen among them (``caseload``)."""
    if not query:
        return None, None
    if scope_for(user.role, "cases.read") is Scope.REGION:
        return breadth_and_matches(query)
    return search_breadth(query), None


def record_caseload_read(user: Any, page: Page, filters: CaseloadFilters, searched: bool) -> None:
    """The audit row of a caseload page: the cases it shows, as a search when its results are
    first shown (``searched``), else as a listing (a search kept from before says so)."""
    audit.record(
        user,
        "cases.searched" if searched else "cases.listed",
        target_type="case",
        case_ids=[case.id for case in page.items],
        **({"search_kept": True} if filters.query and not searched else {}),
    )


def caseload_rows(case_ids: list[int]) -> list[Any]:
    """The caseload's rows for ``case_ids``, in that order: only the columns the list shows, as
    plain rows (``id``, ``number``, ``status``, ``priority``, ``next_follow_up_on``,
    ``family_name``, ``given_names``, ``immigration_category``, ``agent_name``). Loading each
    case, person and agent as objects was a fifth of the page's CPU (issue 23)."""
    if not case_ids:
        return []
    rows = {row.id: row for row in db.session.execute(_caseload_row_statement(), {"ids": case_ids})}
    # A case erased meanwhile (the retention job) is left out rather than failing the page.
    return [rows[case_id] for case_id in case_ids if case_id in rows]


@cache
def _caseload_row_statement() -> Select:
    from casework.auth.models import User

    return (
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.priority,
            Case.next_follow_up_on,
            Person.family_name,
            Person.given_names,
            Person.immigration_category,
            User.full_name.label("agent_name"),
        )
        .join(Case.person)
        .outerjoin(User, User.id == Case.agent_id)
        .where(Case.id.in_(bindparam("ids", expanding=True)))
    )


def caseload_counts(user: Any, limit: int = COUNT_LIMIT) -> dict[str, int | str]:
    """Cases per status in ``user``'s scope, in one query; a status with more than ``limit``
    cases says « 1000+ » (a region's 90,000 cases are not counted on every page)."""
    parts = [
        select(literal(status).label("status"), func.count().label("n")).select_from(
            select(Case.id)
            .where(_scope_filter(user), Case.status == status)
            .limit(limit + 1)
            .subquery()
        )
        for status in choices.STATUSES
    ]
    counts = {status: n for status, n in db.session.execute(union_all(*parts)).all()}
    return {status: (f"{limit}+" if n > limit else n) for status, n in counts.items() if n}
