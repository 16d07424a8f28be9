"""Service layer for persons and cases. No request, no flash; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from casework.auth.models import User
from casework.cases import choices
from casework.cases.caseload import (  # noqa: F401  (re-exported: views, reports and tests use them)
    CASELOAD_COHORTS,
    COHORT_DEFAULT_DAYS,
    COHORT_MAX_DAYS,
    NEEDS_IN_DOMAIN,
    PRIORITY_RANK,
    SORTS,
    CaseloadFilters,
    Cohort,
    caseload,
    caseload_counts,
    caseload_page,
    caseload_rows,
    cohort_labels,
    cohorts,
    record_caseload_read,
    status_counts,
    visible_cases,
)
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
    PENDING_TRANSFER,
    Case,
    CaseTransfer,
    Consent,
    HouseholdMember,
    HouseholdMemberNeed,
    Interaction,
    Person,
)
from casework.cases.search import breadth as search_breadth  # noqa: F401  (re-exported: views)
from casework.cases.search import (
    index_case,
    trusted_breadth,  # noqa: F401  (re-exported: views)
)
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
from casework.core.events import emit
from casework.core.permissions import scope_for
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
            CaseTransfer.case_id == case.id, CaseTransfer.status == PENDING_TRANSFER
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
        .where(CaseTransfer.id == transfer.id, CaseTransfer.status == PENDING_TRANSFER)
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
        .where(CaseTransfer.case_id == case.id, CaseTransfer.status == PENDING_TRANSFER)
        .values(status="cancelled", decided_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if cancelled != 1:
        raise CaseError(_l("No transfer of this case awaits an answer."))
    audit.record(actor, "transfer.cancelled", case)


def transfer_candidates(case: Case) -> list[Any]:
    """Active agents who could receive ``case``, by region then name."""
    return list(
        db.session.scalars(
            select(User)
            .options(joinedload(User.region))
            .where(User.role == "agent", User.active.is_(True), User.id != case.agent_id)
            .order_by(User.region_id, User.full_name)
        )
    )


# The session figure's name (``user.session_figures[TRANSFERS_AWAITING]``).
TRANSFERS_AWAITING = "transfers_awaiting"


def transfers_awaiting_column() -> Any:
    """How many transfers await the user's answer, as a column of the session lookup's query
    (auth.sessions.SESSION_FIGURES): the caseload says so on every request, and a subquery on
    the pending transfers' index costs less than a query of its own (issue 23)."""
    return (
        select(func.count())
        .select_from(CaseTransfer)
        .where(CaseTransfer.to_agent_id == User.id, CaseTransfer.status == PENDING_TRANSFER)
        .correlate(User)
        .scalar_subquery()
    )


def transfers_awaiting_count(user: Any) -> int:
    """How many transfers await ``user``'s answer (the caseload says so and links to them):
    as read with the session when it was, else counted now."""
    figures = getattr(user, "session_figures", None) or {}
    if TRANSFERS_AWAITING in figures:
        return figures[TRANSFERS_AWAITING] or 0
    return db.session.scalar(select(transfers_awaiting_column()).where(User.id == user.id)) or 0


def transfers_awaiting(user: Any) -> list[CaseTransfer]:
    return list(
        db.session.scalars(
            select(CaseTransfer)
            .options(
                joinedload(CaseTransfer.case).joinedload(Case.person),
                joinedload(CaseTransfer.from_agent),
            )
            .where(CaseTransfer.to_agent_id == user.id, CaseTransfer.status == PENDING_TRANSFER)
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
