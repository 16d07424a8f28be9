"""Follow-up rules: their seed file, when a reminder falls, and what each trigger watches.

Each trigger is one set-based query over the current data that yields the reminders that should
exist for a rule (a ``Candidate`` each); the reconciler in ``operations`` compares them with the
rows that do exist. Nothing here writes.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Select, and_, func, or_, select

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


Trigger = Callable[[FollowUpRule, datetime, Iterable[int] | None], Iterator[Candidate]]


def _key(rule: FollowUpRule, subject_type: str, subject_id: int, occurrence: str = "") -> str:
    return f"{rule.code}:{subject_type}:{subject_id}" + (f":{occurrence}" if occurrence else "")


def _open_cases(statement: Select, case_ids: Iterable[int] | None) -> Select:
    from casework.cases.models import Case

    statement = statement.where(Case.status.in_(OPEN_CASE_STATUSES))
    if case_ids is not None:
        statement = statement.where(Case.id.in_(list(case_ids)))
    return statement


def appointment_upcoming(rule, now, case_ids) -> Iterator[Candidate]:
    """A booked appointment still to come: the day before, at the rule's time."""
    from casework.appointments.models import Appointment
    from casework.cases.models import Case

    rows = db.session.execute(
        _open_cases(
            select(
                Appointment.id,
                Appointment.case_id,
                Appointment.agent_id,
                Case.region_id,
                Appointment.starts_at,
            )
            .join(Case, Case.id == Appointment.case_id)
            .where(Appointment.status == "booked", Appointment.starts_at > now),
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, starts_at in rows:
        due = falls_at(local_day(starts_at), rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "appointment", ident),
            "appointment",
            ident,
            case_id,
            agent_id,
            region_id,
            due,
        )


def referral_unanswered(rule, now, case_ids) -> Iterator[Candidate]:
    """A referral sent to an organisation that has neither accepted nor declined it."""
    from casework.cases.models import Case
    from casework.referrals.models import Referral, ReferralEvent

    sent_at = (
        select(ReferralEvent.referral_id, func.max(ReferralEvent.occurred_at).label("sent_at"))
        .where(ReferralEvent.to_status == "sent")
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    rows = db.session.execute(
        _open_cases(
            select(
                Referral.id,
                Referral.case_id,
                Referral.agent_id,
                Referral.region_id,
                sent_at.c.sent_at,
            )
            .join(sent_at, sent_at.c.referral_id == Referral.id)
            .join(Case, Case.id == Referral.case_id)
            .where(Referral.status == "sent"),
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, sent in rows:
        due = falls_at(local_day(sent), rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "referral", ident), "referral", ident, case_id, agent_id, region_id, due
        )


def plan_action_due(rule, now, case_ids) -> Iterator[Candidate]:
    """An action of the plan being followed up (the newest final version), not done yet."""
    from casework.cases.models import Case
    from casework.plans.models import Plan, PlanAction

    followed = (
        select(Plan.case_id, func.max(Plan.number).label("number"))
        .where(Plan.status == "final")
        .group_by(Plan.case_id)
        .subquery()
    )
    rows = db.session.execute(
        _open_cases(
            select(PlanAction.id, Case.id, Case.agent_id, Case.region_id, PlanAction.due_on)
            .join(Plan, Plan.id == PlanAction.plan_id)
            .join(
                followed,
                and_(followed.c.case_id == Plan.case_id, followed.c.number == Plan.number),
            )
            .join(Case, Case.id == Plan.case_id)
            .where(
                PlanAction.status.in_(("todo", "in_progress")),
                PlanAction.due_on.is_not(None),
            ),
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, due_on in rows:
        due = falls_at(due_on, rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "plan_action", ident),
            "plan_action",
            ident,
            case_id,
            agent_id,
            region_id,
            due,
        )


def no_show(rule, now, case_ids) -> Iterator[Candidate]:
    """A missed appointment: a follow-up call. ``follow_up_needed`` marks the no-shows not yet
    taken up; once the reminder exists, the no-show itself keeps it alive (the flag is cleared by
    the reconciler)."""
    from casework.appointments.models import Appointment
    from casework.cases.models import Case

    taken_up = select(Reminder.subject_id).where(
        Reminder.rule_id == rule.id, Reminder.subject_type == "appointment"
    )
    rows = db.session.execute(
        _open_cases(
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
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, missed_at in rows:
        due = falls_at(local_day(missed_at), rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "appointment", ident),
            "appointment",
            ident,
            case_id,
            agent_id,
            region_id,
            due,
        )


def assessment_completed(rule, now, case_ids) -> Iterator[Candidate]:
    """The latest completed needs assessment of each case (a re-assessment replaces it)."""
    from casework.assessments.models import Assessment
    from casework.cases.models import Case

    latest = (
        select(Assessment.case_id, func.max(Assessment.number).label("number"))
        .where(Assessment.status == "completed")
        .group_by(Assessment.case_id)
        .subquery()
    )
    rows = db.session.execute(
        _open_cases(
            select(Assessment.id, Case.id, Case.agent_id, Case.region_id, Assessment.completed_at)
            .join(
                latest,
                and_(latest.c.case_id == Assessment.case_id, latest.c.number == Assessment.number),
            )
            .join(Case, Case.id == Assessment.case_id)
            .where(Assessment.completed_at.is_not(None)),
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, completed_at in rows:
        due = falls_at(local_day(completed_at), rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "assessment", ident), "assessment", ident, case_id, agent_id, region_id, due
        )


def no_contact(rule, now, case_ids) -> Iterator[Candidate]:
    """An open case whose last contact (call, meeting, e-mail, appointment attended, or its
    opening) is older than the offset. The last contact's day is the occurrence: a new contact
    cancels the reminder and starts the count again."""
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
    rows = db.session.execute(
        _open_cases(
            select(
                Case.id,
                Case.agent_id,
                Case.region_id,
                Case.opened_at,
                last_interaction,
                last_appointment,
            ).where(Case.status.in_(("new", "active"))),
            case_ids,
        )
    )
    for case_id, agent_id, region_id, *moments in rows:
        anchor = local_day(max(moment for moment in moments if moment is not None))
        due = falls_at(anchor, rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "case", case_id, anchor.isoformat()),
            "case",
            case_id,
            case_id,
            agent_id,
            region_id,
            due,
        )


def consent_expiring(rule, now, case_ids) -> Iterator[Candidate]:
    """A consent in force reaches the end of its validity (the rule's ``validity_days``)."""
    from casework.cases.models import Case, Consent

    if not rule.validity_days:
        return
    rows = db.session.execute(
        _open_cases(
            select(Consent.id, Case.id, Case.agent_id, Case.region_id, Consent.given_on)
            .join(Case, Case.id == Consent.case_id)
            .where(Consent.withdrawn_on.is_(None)),
            case_ids,
        )
    )
    for ident, case_id, agent_id, region_id, given_on in rows:
        expires_on = given_on + timedelta(days=rule.validity_days)
        due = falls_at(expires_on, rule.offset, rule.unit, rule.at_time)
        yield Candidate(
            _key(rule, "consent", ident), "consent", ident, case_id, agent_id, region_id, due
        )


TRIGGERS: dict[str, Trigger] = {
    "appointment_upcoming": appointment_upcoming,
    "referral_unanswered": referral_unanswered,
    "plan_action_due": plan_action_due,
    "no_show": no_show,
    "assessment_completed": assessment_completed,
    "no_contact": no_contact,
    "consent_expiring": consent_expiring,
}


def candidates(
    rule: FollowUpRule, now: datetime, case_ids: Iterable[int] | None = None
) -> dict[str, Candidate]:
    """The reminders ``rule`` says should exist now, by idempotency key."""
    return {c.key: c for c in TRIGGERS[rule.trigger](rule, now, case_ids)}
