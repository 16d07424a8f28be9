"""Follow-up rules: their seed file, when a reminder falls, and what each trigger watches.

Each trigger is one set-based query over the current data that yields the reminders that should
exist for a rule (a ``Candidate`` each); the reconciler in ``operations`` compares them with the
rows that do exist. Nothing here writes.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select

from casework.core.time import local_to_utc, utc_to_local
from casework.extensions import db
from casework.reminders.models import FollowUpRule, Reminder

UNITS = ("days", "business_days", "months")
# Contacts that count against « no contact for 60 days » (a note written alone does not).
CONTACT_KINDS = ("phone", "meeting", "email")
OPEN_CASE_STATUSES = ("new", "active", "on_hold")


@dataclass(frozen=True)
class Candidate:
    """A reminder the data says should exist."""

    key: str
    subject_type: str
    subject_id: int
    case_id: int
    agent_id: int
    region_id: int
    due_at: datetime  # UTC


# --- When a reminder falls ----------------------------------------------------------------------


def add_business_days(day: date, count: int) -> date:
    """``count`` working days (Monday to Friday) after ``day`` (before it when negative)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def add_months(day: date, count: int) -> date:
    """Same day ``count`` months later, or the month's last day (31 January + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + count
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def shift(day: date, offset: int, unit: str) -> date:
    if unit == "business_days":
        return add_business_days(day, offset)
    if unit == "months":
        return add_months(day, offset)
    return day + timedelta(days=offset)


def falls_at(anchor: date, offset: int, unit: str, at: time) -> datetime:
    """The UTC moment of a reminder: the anchor day shifted, at ``at`` Québec wall-clock time.

    Computing in local time first is what keeps a 09:00 reminder at 09:00 across DST changes.
    """
    return local_to_utc(datetime.combine(shift(anchor, offset, unit), at))


def local_day(moment: datetime) -> date:
    return utc_to_local(moment).date()


# --- The seed file ------------------------------------------------------------------------------


def load_follow_up_rules(seed_dir: str | Path) -> tuple[int, int]:
    """Load ``follow_up_rules.yaml``: new rules are added; names follow the file; what an
    administrator may edit is set only when the rule is created. Returns (total, changed)."""
    from casework.reference.seed import SeedError, Upserter, read_seed

    upsert = Upserter(FollowUpRule, "code")
    existing = set(upsert.rows)
    for item in read_seed(seed_dir, "follow_up_rules.yaml", "follow_up_rules"):
        code = item["code"]
        if item["trigger"] not in TRIGGERS:
            raise SeedError(f"follow_up_rules.yaml : déclencheur inconnu « {item['trigger']} »")
        if item.get("unit", "days") not in UNITS:
            raise SeedError(f"follow_up_rules.yaml : unité inconnue pour « {code} »")
        values = {"name": item["name"], "name_en": item.get("name_en"), "trigger": item["trigger"]}
        if code not in existing:
            hour, minute = (int(part) for part in str(item.get("at", "09:00")).split(":"))
            values |= {
                "offset": int(item.get("offset", 0)),
                "unit": item.get("unit", "days"),
                "at_time": time(hour, minute),
                "escalate_after_days": item.get("escalate_after_days"),
                "validity_days": item.get("validity_days"),
                "enabled": bool(item.get("enabled", True)),
            }
        upsert.put(code, **values)
    return upsert.report


# --- Triggers -----------------------------------------------------------------------------------
#
# Each trigger states what it watches as one query whose rows are
# (subject id, case id, agent id, region id, anchor, [more anchors…]) — the anchor being the moment
# or day the rule's offset counts from (the latest, when there are several) — and the subject
# type; ``candidates`` turns the rows into reminders.


@dataclass(frozen=True)
class Watch:
    subject_type: str
    statement: Select
    # The anchor's day is part of the key: a new anchor is a new occurrence (no contact since…).
    per_anchor: bool = False
    # Added to the anchor before the rule's offset (a consent's validity).
    extension: timedelta = timedelta(0)


CaseIds = list[int] | None


def _only(statement: Select, column: Any, ids: Any) -> Select:
    """Narrow a grouped subquery to the cases being reconciled (one case after a change), so
    that reconciling one case never scans the whole table."""
    return statement if ids is None else statement.where(column.in_(ids))


def _open_cases(statement: Select, case_ids: CaseIds) -> Select:
    from casework.cases.models import Case

    statement = statement.where(Case.status.in_(OPEN_CASE_STATUSES))
    if case_ids is not None:
        statement = statement.where(Case.id.in_(case_ids))
    return statement


def appointment_upcoming(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A booked appointment still to come."""
    from casework.appointments.models import Appointment
    from casework.cases.models import Case

    return Watch(
        "appointment",
        select(Appointment.id, Case.id, Appointment.agent_id, Case.region_id, Appointment.starts_at)
        .join(Case, Case.id == Appointment.case_id)
        .where(Appointment.status == "booked", Appointment.starts_at > now),
    )


def referral_unanswered(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A referral sent to an organisation that has neither accepted nor declined it."""
    from casework.cases.models import Case
    from casework.referrals.models import Referral, ReferralEvent

    of_cases = select(Referral.id).where(Referral.case_id.in_(case_ids or []))
    sent_at = (
        _only(
            select(ReferralEvent.referral_id, func.max(ReferralEvent.occurred_at).label("sent_at"))
            .where(ReferralEvent.to_status == "sent")
            .group_by(ReferralEvent.referral_id),
            ReferralEvent.referral_id,
            None if case_ids is None else of_cases,
        )
    ).subquery()
    return Watch(
        "referral",
        select(Referral.id, Case.id, Referral.agent_id, Referral.region_id, sent_at.c.sent_at)
        .join(sent_at, sent_at.c.referral_id == Referral.id)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status == "sent"),
    )


def plan_action_due(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """An action of the plan being followed up (the newest final version), not done yet."""
    from casework.cases.models import Case
    from casework.plans.models import Plan, PlanAction

    followed = _only(
        select(Plan.case_id, func.max(Plan.number).label("number"))
        .where(Plan.status == "final")
        .group_by(Plan.case_id),
        Plan.case_id,
        case_ids,
    ).subquery()
    return Watch(
        "plan_action",
        select(PlanAction.id, Case.id, Case.agent_id, Case.region_id, PlanAction.due_on)
        .join(Plan, Plan.id == PlanAction.plan_id)
        .join(followed, and_(followed.c.case_id == Plan.case_id, followed.c.number == Plan.number))
        .join(Case, Case.id == Plan.case_id)
        .where(PlanAction.status.in_(("todo", "in_progress")), PlanAction.due_on.is_not(None)),
    )


def no_show(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A missed appointment: a follow-up call. ``follow_up_needed`` marks the no-shows not yet
    taken up; once the reminder exists, the no-show itself keeps it alive (the reconciler clears
    the flag)."""
    from casework.appointments.models import Appointment
    from casework.cases.models import Case

    taken_up = select(Reminder.subject_id).where(
        Reminder.rule_id == rule.id, Reminder.subject_type == "appointment"
    )
    return Watch(
        "appointment",
        select(
            Appointment.id,
            Case.id,
            Case.agent_id,
            Case.region_id,
            func.coalesce(Appointment.outcome_at, Appointment.starts_at),
        )
        .join(Case, Case.id == Appointment.case_id)
        .where(
            Appointment.status == "no_show",
            or_(Appointment.follow_up_needed.is_(True), Appointment.id.in_(taken_up)),
        ),
    )


def assessment_completed(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """The latest completed needs assessment of each case (a re-assessment replaces it)."""
    from casework.assessments.models import Assessment
    from casework.cases.models import Case

    latest = _only(
        select(Assessment.case_id, func.max(Assessment.number).label("number"))
        .where(Assessment.status == "completed")
        .group_by(Assessment.case_id),
        Assessment.case_id,
        case_ids,
    ).subquery()
    return Watch(
        "assessment",
        select(Assessment.id, Case.id, Case.agent_id, Case.region_id, Assessment.completed_at)
        .join(
            latest,
            and_(latest.c.case_id == Assessment.case_id, latest.c.number == Assessment.number),
        )
        .join(Case, Case.id == Assessment.case_id)
        .where(Assessment.completed_at.is_not(None)),
    )


def no_contact(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A new or active case whose last contact (call, meeting, e-mail, appointment attended, or
    its opening) is older than the offset; a new contact cancels the reminder and starts again."""
    from casework.appointments.models import Appointment
    from casework.cases.models import Case, Interaction

    last_interaction = (
        select(func.max(Interaction.occurred_at))
        .where(Interaction.case_id == Case.id, Interaction.kind.in_(CONTACT_KINDS))
        .scalar_subquery()
    )
    last_appointment = (
        select(func.max(Appointment.starts_at))
        .where(Appointment.case_id == Case.id, Appointment.status == "done")
        .scalar_subquery()
    )
    return Watch(
        "case",
        select(
            Case.id,
            Case.id,
            Case.agent_id,
            Case.region_id,
            Case.opened_at,
            last_interaction,
            last_appointment,
        ).where(Case.status.in_(("new", "active"))),
        per_anchor=True,
    )


def consent_expiring(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A consent in force reaches the end of its validity (the rule's ``validity_days``)."""
    from casework.cases.models import Case, Consent

    statement = (
        select(Consent.id, Case.id, Case.agent_id, Case.region_id, Consent.given_on)
        .join(Case, Case.id == Consent.case_id)
        .where(Consent.withdrawn_on.is_(None))
    )
    if not rule.validity_days:
        statement = statement.where(false())  # no validity set: consents never expire
    return Watch("consent", statement, extension=timedelta(days=rule.validity_days or 0))


def document_expiring(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
    """A document of the case (a permit, a lease…) with an expiry date, not deleted."""
    from casework.attachments.models import Attachment
    from casework.cases.models import Case

    return Watch(
        "attachment",
        select(Attachment.id, Case.id, Case.agent_id, Case.region_id, Attachment.expires_on)
        .join(Case, Case.id == Attachment.case_id)
        .where(Attachment.expires_on.is_not(None), Attachment.deleted_at.is_(None)),
    )


def _stay_expiring(subject_type: str, column_name: str) -> Callable[..., Watch]:
    def trigger(rule: FollowUpRule, now: datetime, case_ids: CaseIds) -> Watch:
        from casework.cases.models import Case, Person

        expires_on = getattr(Person, column_name)
        return Watch(
            subject_type,
            select(Case.id, Case.id, Case.agent_id, Case.region_id, expires_on)
            .join(Person, Person.id == Case.person_id)
            .where(expires_on.is_not(None)),
        )

    trigger.__doc__ = f"The person's {subject_type} expiry date (temporary residents, students)."
    return trigger


# A temporary resident's or student's work or study permit, and their CAQ (certificat
# d'acceptation du Québec): the subject is the case (one person, one date each).
permit_expiring = _stay_expiring("permit", "permit_expires_on")
caq_expiring = _stay_expiring("caq", "caq_expires_on")


TRIGGERS: dict[str, Callable[[FollowUpRule, datetime, CaseIds], Watch]] = {
    "appointment_upcoming": appointment_upcoming,
    "referral_unanswered": referral_unanswered,
    "plan_action_due": plan_action_due,
    "no_show": no_show,
    "assessment_completed": assessment_completed,
    "no_contact": no_contact,
    "consent_expiring": consent_expiring,
    "document_expiring": document_expiring,
    "permit_expiring": permit_expiring,
    "caq_expiring": caq_expiring,
}


def _day(anchor: date | datetime) -> date:
    return local_day(anchor) if isinstance(anchor, datetime) else anchor


def candidates(
    rule: FollowUpRule, now: datetime, case_ids: Iterable[int] | None = None
) -> dict[str, Candidate]:
    """The reminders ``rule`` says should exist now, by idempotency key."""
    case_ids = None if case_ids is None else list(case_ids)
    watch = TRIGGERS[rule.trigger](rule, now, case_ids)
    statement = _open_cases(watch.statement, case_ids)
    found = {}
    for subject_id, case_id, agent_id, region_id, *anchors in db.session.execute(statement):
        anchor = max(_day(moment) for moment in anchors if moment is not None)
        key = f"{rule.code}:{watch.subject_type}:{subject_id}"
        if watch.per_anchor:
            key += f":{anchor.isoformat()}"
        due = falls_at(anchor + watch.extension, rule.offset, rule.unit, rule.at_time)
        found[key] = Candidate(
            key, watch.subject_type, subject_id, case_id, agent_id, region_id, due
        )
    return found
