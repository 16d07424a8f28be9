"""Exports: lists as CSV, the person's whole file (right of access), and the short-lived
confirmation a bulk export needs. Every export writes an audit row. No request, no flash."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from casework.appointments import operations as appointment_operations
from casework.appointments.models import AirportBooking, Appointment
from casework.assessments.models import AssessedNeed, Assessment, DomainAssets
from casework.attachments import operations as attachment_operations
from casework.attachments.models import Attachment, AttachmentShare
from casework.cases import choices
from casework.cases import operations as cases
from casework.cases.models import (
    Case,
    CaseTransfer,
    Consent,
    HouseholdMember,
    HouseholdMemberNeed,
    Interaction,
    Person,
)
from casework.core import audit
from casework.core.time import utcnow
from casework.extensions import db
from casework.followups import operations as follow_ups
from casework.followups.models import FollowUp
from casework.plans.models import Plan
from casework.reference.models import Need, Organisation
from casework.referrals import operations as referral_operations
from casework.referrals import outcomes
from casework.referrals.models import Disclosure, Referral, ReferralOutcome
from casework.reports import operations as reports

# Lists are read in batches: a region's caseload can hold tens of thousands of cases.
BATCH = 500


# --- Confirmation before a bulk export ------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    """Kept in the signed session cookie: who confirmed, until when (naive UTC, ISO)."""

    user_id: int
    until: str

    def valid_for(self, user_id: int, now: datetime | None = None) -> bool:
        try:
            until = datetime.fromisoformat(self.until)
        except ValueError:
            return False
        return self.user_id == user_id and (now or utcnow()) < until

    @classmethod
    def starting_now(cls, user_id: int, lifetime: timedelta) -> Confirmation:
        return cls(user_id, (utcnow() + lifetime).isoformat())

    @classmethod
    def from_session(cls, stored: Any) -> Confirmation | None:
        if not isinstance(stored, dict):
            return None
        user_id, until = stored.get("user_id"), stored.get("until")
        if not isinstance(user_id, int) or not isinstance(until, str):
            return None
        return cls(user_id, until)

    def to_session(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "until": self.until}


# --- Caseload ------------------------------------------------------------------------------


CASELOAD_HEADERS = (
    _l("Case"),
    _l("Family name"),
    _l("Given names"),
    _l("Category"),
    _l("Status"),
    _l("Priority"),
    _l("Opened on"),
    _l("Next follow-up"),
    _l("Agent"),
    _l("Service point"),
    _l("Region"),
)


def caseload_rows(user: Any, filters: cases.CaseloadFilters) -> Iterator[tuple]:
    """Every case of the caseload list with its filters, not only the page on screen."""
    statement = cases.caseload(user, filters).options(joinedload(Case.region))
    for case in db.session.scalars(statement.execution_options(yield_per=BATCH)):
        yield (
            case.number,
            case.person.family_name,
            case.person.given_names,
            choices.IMMIGRATION_CATEGORIES.get(case.person.immigration_category, ""),
            choices.STATUSES.get(case.status, case.status),
            choices.PRIORITIES.get(case.priority, case.priority),
            case.opened_at,
            case.next_follow_up_on,
            case.agent.full_name,
            case.service_point.name,
            case.region.label,
        )


# --- Referrals -----------------------------------------------------------------------------


REFERRAL_HEADERS = (
    _l("Referral"),
    _l("Case"),
    _l("Person"),
    _l("Organisation"),
    _l("Kind"),
    _l("Purpose"),
    _l("Status"),
    _l("Last change"),
)
KINDS = {"service": _l("Service"), "requalification": _l("Requalification (MTESS)")}


def referral_rows(user: Any, filters: referral_operations.QueueFilters) -> Iterator[tuple]:
    """Every referral of the queue with its filters, as the user sees it on screen."""
    statement = referral_operations.queue(user, filters)
    for referral in db.session.scalars(statement.execution_options(yield_per=BATCH)):
        yield (
            f"#{referral.id}",
            referral.case.number,
            referral.case.person.full_name,
            referral.organisation.name,
            KINDS.get(referral.kind, referral.kind),
            referral.purpose,
            referral_operations.STATUSES.get(referral.status, referral.status),
            referral.updated_at,
        )


# --- Reminders ----------------------------------------------------------------------------


REMINDER_HEADERS = (
    _l("Due"),
    _l("Reminder"),
    _l("Case"),
    _l("Agent"),
    _l("Status"),
)


def reminder_rows(user: Any, filters: Any) -> Iterator[tuple]:
    """Every reminder of the tab on screen (with its agent filter), not only the page shown."""
    from casework.reminders import operations as reminders

    statement = reminders.listing(user, filters)
    for reminder in db.session.scalars(statement.execution_options(yield_per=BATCH)):
        yield (
            reminder.due_at,
            reminder.rule.label,
            reminder.case.number if reminder.case else "",
            reminder.agent.full_name,
            reminders.STATUS_LABELS.get(reminder.status, reminder.status),
        )


# --- Audit trail --------------------------------------------------------------------------


AUDIT_HEADERS = (
    _l("When"),
    _l("Who"),
    _l("Role"),
    _l("Action"),
    _l("Code"),
    _l("Outcome"),
    _l("Target"),
    _l("Identifier"),
    _l("Address"),
)


def audit_rows(filters: audit.TrailFilters) -> Iterator[tuple]:
    """The trail as the administrator filters it; the details column stays out (ids only, and
    the trail's own page is the place to read them)."""
    from casework.core.audit import trail

    for event in db.session.scalars(trail(filters).execution_options(yield_per=BATCH)):
        yield (
            event.occurred_at,
            event.actor.username if event.actor else "",
            event.actor_role_label,
            event.action_label,
            event.action,
            event.outcome,
            event.target_label,
            event.target_id or "",
            event.remote_addr or "",
        )


# --- Dashboard tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    headers: tuple[Any, ...]
    rows: list[tuple]


def dashboard_table(board: reports.Dashboard, name: str) -> Table | None:
    """One table of the dashboard, as on screen; None for a name that is not a table."""
    builder = DASHBOARD_TABLES.get(name)
    return builder(board) if builder else None


def _caseload_table(board: reports.Dashboard) -> Table:
    return Table(
        (
            _l("Agent"),
            _l("New"),
            _l("Active"),
            _l("On hold"),
            _l("Total"),
            _l("Follow-ups overdue"),
        ),
        [(a.agent_name, a.new, a.active, a.on_hold, a.total, a.overdue) for a in board.caseload],
    )


def _needs_table(board: reports.Dashboard) -> Table:
    needs = board.needs
    return Table(
        (_l("Region"), *[domain.label for domain in needs.domains]),
        [
            (region.label, *[needs.count(region.id, d.id) for d in needs.domains])
            for region in needs.regions
        ],
    )


def _funnel_table(board: reports.Dashboard) -> Table:
    return Table(
        (
            _l("Organisation"),
            *[STAGE_LABELS[stage] for stage in reports.FUNNEL_STAGES],
            _l("Median response (days)"),
        ),
        [
            (
                row.organisation_name,
                *[row.stage(stage) for stage in reports.FUNNEL_STAGES],
                row.median_response_days,
            )
            for row in board.funnel
        ],
    )


def _delays_table(board: reports.Dashboard) -> Table:
    return Table(
        (_l("Measure"), _l("Median (days)"), _l("90th percentile (days)"), _l("People counted")),
        [
            (stat.label, float(stat.median) if stat.median is not None else None, stat.p90, stat.n)
            for stat in board.delays
        ],
    )


STAGE_LABELS = referral_operations.STAGE_LABELS
DASHBOARD_TABLES = {
    "caseload": _caseload_table,
    "needs": _needs_table,
    "funnel": _funnel_table,
    "delays": _delays_table,
}


def record_list_export(user: Any, action: str, target_type: str, rows: int, **details: Any) -> None:
    """What was exported and how many rows; filters by code, never a searched name."""
    audit.record(user, action, target_type=target_type, rows=rows, **details)


# --- The person's whole file (right of access) ---------------------------------------------


def _plain(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _json_value(getattr(row, name)) for name in names}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


PERSON_FIELDS = {
    "given_names": _l("Given names"),
    "family_name": _l("Family name"),
    "preferred_name": _l("Preferred name"),
    "date_of_birth": _l("Date of birth"),
    "gender": _l("Gender"),
    "country_of_birth": _l("Country of birth"),
    "citizenships": _l("Citizenships"),
    "languages_spoken": _l("Languages spoken"),
    "preferred_language": _l("Preferred language"),
    "french_level_self": _l("French level (self-assessed)"),
    "french_level_scale": _l("French level (Québec scale)"),
    "immigration_category": _l("Immigration category"),
    "arrival_date": _l("Arrival in Québec"),
    "permanent_residence_date": _l("Permanent residence"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "address": _l("Address"),
    "postal_code": _l("Postal code"),
    "city": _l("City"),
    "destination_city": _l("Destination city"),
    "interpreter_needed": _l("Interpreter needed"),
    "interpreter_language": _l("Interpreter language"),
    "mifi_client_number": _l("MIFI client number"),
    "education_level": _l("Highest education level completed"),
    "field_of_study": _l("Field of study"),
    "origin_cnp": _l("Profession in the country of origin (CNP code)"),
    "origin_cnp_version": _l("CNP version"),
    "employment_status": _l("Employment status at intake"),
    "permit_expires_on": _l("Work or study permit expires on"),
    "caq_expires_on": _l("CAQ expires on"),
    "created_at": _l("Recorded on"),
    "updated_at": _l("Last changed on"),
}
MEMBER_FIELDS = (
    "relationship_to_person",
    "given_names",
    "family_name",
    "date_of_birth",
    "immigration_category",
    "french_level_scale",
)
CASE_FIELDS = (
    "number",
    "origin",
    "status",
    "priority",
    "closing_reason",
    "closing_summary",
    "next_follow_up_on",
    "opened_at",
    "closed_at",
)


def readable_cases(user: Any, person: Person) -> list[Case]:
    """The person's cases the user may read (a person may have an older, closed case)."""
    statement = (
        select(Case)
        .options(
            joinedload(Case.agent),
            joinedload(Case.region),
            joinedload(Case.service_point),
            selectinload(Case.household)
            .joinedload(HouseholdMember.needs)
            .joinedload(HouseholdMemberNeed.need),
        )
        .where(Case.person_id == person.id)
        .order_by(Case.opened_at, Case.id)
    )
    return [case for case in db.session.scalars(statement).unique() if cases.readable(user, case)]


def person_file(user: Any, case: Case) -> dict[str, Any]:
    """Everything recorded about the person of ``case`` that ``user`` may read, as plain data
    (JSON-ready: dates ISO 8601, times in UTC with a « Z »). One query per kind of record."""
    person = case.person
    files = readable_cases(user, person)
    ids = [c.id for c in files]
    by_case: dict[int, dict[str, Any]] = {}
    for c in files:
        by_case[c.id] = {
            **_plain(c, CASE_FIELDS),
            "agent": c.agent.full_name,
            "region": c.region.label,
            "service_point": c.service_point.name,
            "household": [
                {
                    **_plain(m, MEMBER_FIELDS),
                    "needs": [row.need.label for row in m.needs],
                }
                for m in c.household
            ],
        }
    _add_interactions(by_case, ids)
    _add_consents(by_case, ids)
    _add_transfers(by_case, ids)
    _add_assessments(by_case, ids)
    _add_plans(by_case, ids)
    _add_referrals(by_case, ids)
    _add_appointments(by_case, ids)
    _add_attachments(by_case, ids)
    _add_follow_ups(by_case, ids)
    return {
        "generated_at": _json_value(utcnow().replace(microsecond=0)),
        "person": {
            **_plain(person, PERSON_FIELDS),
            "destination_region": person.destination_region.label
            if person.destination_region
            else None,
        },
        "cases": [by_case[i] for i in ids],
    }


def _grouped(by_case: dict[int, dict], key: str, rows: Iterable[tuple[int, dict]]) -> None:
    for case_data in by_case.values():
        case_data.setdefault(key, [])
    for case_id, data in rows:
        by_case[case_id][key].append(data)


def _add_interactions(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Interaction)
        .options(joinedload(Interaction.author))
        .where(Interaction.case_id.in_(ids))
        .order_by(Interaction.occurred_at, Interaction.id)
    )
    fields = ("kind", "occurred_at", "duration_minutes", "mode", "interpreter_language", "summary")
    _grouped(
        by_case,
        "timeline",
        (
            (i.case_id, {**_plain(i, fields), "author": i.author.full_name if i.author else None})
            for i in rows
        ),
    )


def _add_consents(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Consent).where(Consent.case_id.in_(ids)).order_by(Consent.given_on, Consent.id)
    )
    fields = ("purpose", "given_on", "method", "withdrawn_on")
    _grouped(by_case, "consents", ((c.case_id, _plain(c, fields)) for c in rows))


def _add_transfers(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(CaseTransfer)
        .options(joinedload(CaseTransfer.from_agent), joinedload(CaseTransfer.to_agent))
        .where(CaseTransfer.case_id.in_(ids))
        .order_by(CaseTransfer.requested_at, CaseTransfer.id)
    )
    _grouped(
        by_case,
        "transfers",
        (
            (
                t.case_id,
                {
                    **_plain(t, ("status", "reason", "requested_at", "decided_at")),
                    "from_agent": t.from_agent.full_name,
                    "to_agent": t.to_agent.full_name,
                },
            )
            for t in rows
        ),
    )


def _add_assessments(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Assessment)
        .options(
            selectinload(Assessment.needs).joinedload(AssessedNeed.need).joinedload(Need.domain),
            selectinload(Assessment.domain_notes).joinedload(DomainAssets.domain),
        )
        .where(Assessment.case_id.in_(ids))
        .order_by(Assessment.number)
    )
    fields = (
        "number",
        "status",
        "interview_date",
        "interview_mode",
        "interpreter_language",
        "requalification_interest",
        "current_occupation",
        "current_cnp",
        "target_cnp",
        "completed_at",
    )
    _grouped(
        by_case,
        "assessments",
        (
            (
                a.case_id,
                {
                    **_plain(a, fields),
                    "needs": [
                        {
                            "domain": n.need.domain.label,
                            "need": n.need.label,
                            "level": n.level,
                            "notes": n.notes,
                        }
                        for n in a.needs
                    ],
                    "assets": [
                        {"domain": d.domain.label, "assets": d.assets} for d in a.domain_notes
                    ],
                },
            )
            for a in rows
        ),
    )


def _add_plans(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Plan)
        .options(selectinload(Plan.actions))
        .where(Plan.case_id.in_(ids))
        .order_by(Plan.number)
    )
    action_fields = (
        "objective",
        "label",
        "service",
        "assignee",
        "due_on",
        "status",
        "abandon_reason",
    )
    _grouped(
        by_case,
        "plans",
        (
            (
                p.case_id,
                {
                    **_plain(p, ("number", "status", "created_at", "finalised_at")),
                    "actions": [_plain(a, action_fields) for a in p.actions],
                },
            )
            for p in rows
        ),
    )


OUTCOME_FIELDS = (
    "kind",
    "happened",
    "occurred_on",
    "course_format",
    "cnp",
    "cnp_version",
    "source",
    "verdict",
    "recorded_at",
)


def _add_referrals(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Referral)
        .options(
            joinedload(Referral.organisation),
            selectinload(Referral.events),
        )
        .where(Referral.case_id.in_(ids))
        .order_by(Referral.id)
    )
    outcomes_by_referral: dict[int, list[ReferralOutcome]] = {}
    for outcome in db.session.scalars(
        select(ReferralOutcome).where(ReferralOutcome.case_id.in_(ids)).order_by(ReferralOutcome.id)
    ):
        outcomes_by_referral.setdefault(outcome.referral_id, []).append(outcome)
    disclosures = db.session.execute(
        select(Disclosure, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Disclosure.organisation_id)
        .where(Disclosure.case_id.in_(ids))
        .order_by(Disclosure.disclosed_at, Disclosure.id)
    ).all()
    _grouped(
        by_case,
        "referrals",
        (
            (
                r.case_id,
                {
                    "organisation": r.organisation.name,
                    **_plain(r, ("kind", "purpose", "status", "created_at")),
                    "history": [
                        _plain(e, ("occurred_at", "from_status", "to_status", "comment"))
                        for e in r.events
                    ],
                    "outcomes": [
                        _plain(o, OUTCOME_FIELDS) for o in outcomes_by_referral.get(r.id, [])
                    ],
                },
            )
            for r in rows
        ),
    )
    _grouped(
        by_case,
        "disclosures",
        (
            (
                d.case_id,
                {
                    "organisation": organisation_name or d.recipient,
                    **_plain(d, ("disclosed_at", "categories", "legal_basis")),
                },
            )
            for d, organisation_name in disclosures
        ),
    )


def _add_follow_ups(by_case: dict[int, dict], ids: list[int]) -> None:
    """The follow-up interviews: what each found per domain (in words, with its note), the
    plan's objectives it judged."""
    rows = db.session.scalars(
        select(FollowUp)
        .options(selectinload(FollowUp.situations), selectinload(FollowUp.reviews))
        .where(FollowUp.case_id.in_(ids))
        .order_by(FollowUp.held_on, FollowUp.id)
    )
    _grouped(
        by_case,
        "follow_ups",
        (
            (
                f.case_id,
                {
                    **_plain(f, ("held_on", "milestone", "mode", "notes")),
                    "situation": [
                        {
                            "domain": row.domain,
                            "found": follow_ups.change_phrase(row),
                            "note": row.note,
                        }
                        for row in f.situations
                    ],
                    "objectives": [
                        _plain(review, ("objective", "verdict", "comment")) for review in f.reviews
                    ],
                },
            )
            for f in rows
        ),
    )


def _add_appointments(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.execute(
        select(Appointment, AirportBooking)
        .outerjoin(AirportBooking, AirportBooking.appointment_id == Appointment.id)
        .options(
            joinedload(Appointment.type),
            joinedload(Appointment.service_point),
            joinedload(Appointment.agent),
        )
        .where(Appointment.case_id.in_(ids))
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    fields = ("starts_at", "ends_at", "mode", "status", "channel", "interpreter_language")
    _grouped(
        by_case,
        "appointments",
        (
            (
                a.case_id,
                {
                    **_plain(a, fields),
                    "type": a.type.label,
                    "service_point": a.service_point.name,
                    "agent": a.agent.full_name,
                    "airport_booking": _plain(
                        booking, ("flight_type", "arrival_date", "host_city", "contact")
                    )
                    if booking
                    else None,
                },
            )
            for a, booking in rows
        ),
    )


ARCHIVE_DOCUMENTS = "documents"


def archive_path(attachment: Attachment) -> str:
    """Where a document's file sits in the whole-file ZIP: its id keeps two « diplome.pdf »
    apart."""
    return f"{ARCHIVE_DOCUMENTS}/{attachment.id}-{attachment.original_name}"


def _add_attachments(by_case: dict[int, dict], ids: list[int]) -> None:
    rows = db.session.scalars(
        select(Attachment)
        .options(
            joinedload(Attachment.uploaded_by),
            selectinload(Attachment.shares)
            .joinedload(AttachmentShare.referral)
            .joinedload(Referral.organisation),
        )
        .where(Attachment.case_id.in_(ids))
        .order_by(Attachment.uploaded_at, Attachment.id)
    ).unique()
    fields = (
        "document_type",
        "description",
        "kind",
        "size_bytes",
        "sha256",
        "expires_on",
        "uploaded_at",
        "scan_status",
        "deleted_at",
        "deletion_reason",
    )
    _grouped(
        by_case,
        "documents",
        (
            (
                a.case_id,
                {
                    "name": None if a.is_deleted else a.original_name,
                    **_plain(a, fields),
                    "uploaded_by": a.uploaded_by.full_name if a.uploaded_by else None,
                    "shared_with": [s.referral.organisation.name for s in a.shares],
                    # The file in the ZIP export; a document deleted or awaiting its scan has none.
                    "file": archive_path(a) if a.servable else None,
                },
            )
            for a in rows
        ),
    )


def archive_documents(user: Any, case: Case) -> list[Attachment]:
    """The documents whose files go into the whole-file ZIP: those of the cases ``user`` may
    read, neither deleted nor awaiting their scan (the listing names a file for exactly these)."""
    ids = [c.id for c in readable_cases(user, case.person)]
    return [
        attachment
        for attachment in db.session.scalars(
            select(Attachment)
            .where(Attachment.case_id.in_(ids), Attachment.deleted_at.is_(None))
            .order_by(Attachment.id)
        )
        if attachment.servable
    ]


def write_archive(
    data: dict[str, Any], documents: list[Attachment], open_file: Any, out: BinaryIO
) -> None:
    """The whole file as a ZIP: the JSON, and each document's file where the listing says.
    ``open_file(key)`` reads a file from the store; files are copied a chunk at a time."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "dossier-complet.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        for attachment in documents:
            with (
                open_file(attachment.storage_key) as source,
                archive.open(archive_path(attachment), "w") as target,
            ):
                shutil.copyfileobj(source, target, 64 * 1024)


# Kept for the printable page: labels of the codes the file stores.
LABELS = {
    "statuses": choices.STATUSES,
    "priorities": choices.PRIORITIES,
    "origins": choices.ORIGINS,
    "categories": choices.IMMIGRATION_CATEGORIES,
    "consent_purposes": choices.CONSENT_PURPOSES,
    "consent_methods": choices.CONSENT_METHODS,
    "interaction_kinds": choices.INTERACTION_KINDS,
    "relationships": choices.RELATIONSHIPS,
    "education_level": choices.EDUCATION_LEVELS,
    "employment_status": choices.EMPLOYMENT_STATUSES,
    "referral_statuses": referral_operations.STATUSES,
    "appointment_statuses": appointment_operations.STATUSES,
    "modes": appointment_operations.MODES,
    "document_types": attachment_operations.DOCUMENT_TYPES,
    "follow_up_domains": follow_ups.DOMAIN_LABELS,
    "milestones": follow_ups.MILESTONE_LABELS,
    "objective_verdicts": follow_ups.VERDICT_LABELS,
    "outcomes": outcomes.OUTCOME_LABELS,
    "outcome_verdicts": outcomes.VERDICT_LABELS,
    "course_formats": outcomes.COURSE_FORMATS,
}


def record_file_export(
    user: Any, case: Case, output: str, cases_included: int, **details: Any
) -> None:
    audit.record(user, "export.person_file", case, output=output, cases=cases_included, **details)
