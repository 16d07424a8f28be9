"""Reminders follow what they watch: when a case, an appointment, a plan action or a referral
changes, the case's reminders are reconciled as the transaction commits (once per commit,
only the rules concerned). Also what reminders add to the pages below them. Imported by
``app.register_listeners``; ``casework events`` lists it all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from casework.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    AppointmentRescheduled,
)
from casework.attachments.events import DocumentExpiryChanged
from casework.cases.events import CasesAnonymised, CaseStatusChanged, StayExpiryChanged
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.cases.timeline import TIMELINE_SOURCES, TimelineEntry, TimelineSource
from casework.core.events import listens_to
from casework.core.time import utcnow
from casework.followups.events import FollowUpRecorded
from casework.plans.events import PlanActionStatusChanged
from casework.plans.operations import OPEN_ACTION_STATUSES
from casework.reference.seed import SEED_LOADERS, SeedLoader
from casework.referrals.events import ReferralStatusChanged
from casework.referrals.operations import QUEUE_BADGES, QueueBadge
from casework.reminders import operations, subjects
from casework.reminders.models import Reminder
from casework.reminders.rules import load_follow_up_rules
from casework.reminders.subjects import Subject


@listens_to(CaseStatusChanged)
def case_status_changed(event: CaseStatusChanged) -> None:
    """Closing (or reopening) a case cancels (or brings back) its reminders at once."""
    operations.refresh_case_on_commit(event.case_id)


@listens_to(AppointmentBooked, AppointmentRescheduled, AppointmentCancelled)
def appointment_changed(event: AppointmentBooked) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("appointment_upcoming",))


@listens_to(AppointmentOutcomeRecorded)
def appointment_outcome(event: AppointmentOutcomeRecorded) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("appointment_upcoming", "no_show"))


@listens_to(PlanActionStatusChanged)
def plan_action_followed(event: PlanActionStatusChanged) -> None:
    """An action done or abandoned no longer falls due; one reopened does again."""
    if (event.previous in OPEN_ACTION_STATUSES) != (event.status in OPEN_ACTION_STATUSES):
        operations.refresh_case_on_commit(event.case_id, triggers=("plan_action_due",))


@listens_to(ReferralStatusChanged)
def referral_moved(event: ReferralStatusChanged) -> None:
    """Sent, or answered: the « no answer » reminder starts or stops now, not at the next run."""
    if "sent" in (event.previous, event.status):
        operations.refresh_case_on_commit(event.case_id, triggers=("referral_unanswered",))


@listens_to(DocumentExpiryChanged)
def document_expiry_changed(event: DocumentExpiryChanged) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("document_expiring",))


@listens_to(FollowUpRecorded)
def follow_up_held(event: FollowUpRecorded) -> None:
    """The « follow-up due » reminders the interview answers are done."""
    operations.complete_follow_ups_held(event.case_id, event.reminder_id, event.agent_id)


@listens_to(StayExpiryChanged)
def stay_expiry_changed(event: StayExpiryChanged) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("permit_expiring", "caq_expiring"))


@listens_to(CasesAnonymised)
def cancel_open(event: CasesAnonymised) -> dict[str, int]:
    return operations.cancel_for_anonymised(event.case_ids)


def _named_reminders(case: Case) -> tuple[list[Reminder], dict[int, Subject]]:
    """The case's reminders and what each is about, loaded once per request: the « next
    follow-up » card and the timeline both name them."""
    memo = g.setdefault("named_reminders", {})
    if case.id not in memo:
        reminders = operations.of_case(case, limit=None)
        memo[case.id] = (reminders, subjects.describe(reminders))
    return memo[case.id]


def case_glance(case: Case) -> dict[str, Any]:
    """The case page's « next follow-up » card: the date set on the case, and the first open
    reminder (named), whichever comes first."""
    first, waiting = operations.next_of_case(case)
    return {
        "next_reminder": first,
        "next_subject": _named_reminders(case)[1].get(first.id) if first else None,
        "waiting_reminders": waiting,
        "reminder_label": operations.reminder_label,
        "now": utcnow(),
    }


def timeline_entries(case: Case, now: datetime) -> list[TimelineEntry]:
    """The case's reminders, each naming what it is about (one query, and one per kind of
    subject)."""
    reminders, described = _named_reminders(case)
    return [operations.timeline_entry(r, described.get(r.id), case, now) for r in reminders]


CASE_PAGE_SECTIONS.add(
    CaseSection("follow_up", "reminders/_case_glance.html", case_glance, "glance", order=20)
)
TIMELINE_SOURCES.add(
    TimelineSource(
        "reminder",
        _l("Reminders"),
        timeline_entries,
        order=40,
        group_summary=lambda n: ngettext("%(num)d reminder", "%(num)d reminders", n),
    )
)
QUEUE_BADGES.add(QueueBadge("unanswered", _l("No answer yet"), operations.unanswered_referrals))
SEED_LOADERS.add(SeedLoader("follow_up_rules", "règles de suivi", load_follow_up_rules))
