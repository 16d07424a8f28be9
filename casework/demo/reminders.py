"""Demo reminders: the follow-up rules run over the demo cases, then a few are walked to every
state (due, overdue, snoozed, done, failed) for the ``agente`` account.

The reminders come from the data, not from invented rows: a reminder due today is that of plan
actions due today, so the scheduler leaves it where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select

from casework.auth.models import User
from casework.cases.models import Case
from casework.core.time import local_today, utcnow
from casework.demo.accounts import HOME_AGENT
from casework.extensions import db
from casework.reminders import operations, tasks
from casework.reminders.models import OutboundEmail, Reminder


def load_demo_reminders(
    progress: Callable[[str], None] | None = None, now: datetime | None = None
) -> dict[str, int]:
    now = now or utcnow()
    agent = db.session.scalar(select(User).where(User.username == HOME_AGENT))
    # The appointments (upcoming ones and no-shows) come from demo.appointments, loaded before.
    if agent is not None:
        _actions_due_today(agent)
    _age_some_referrals(now)
    operations.materialise(now)
    db.session.flush()
    tasks.dispatch(now, with_email=False)
    if agent is not None:
        _walk_to_every_state(agent, now)
    db.session.commit()
    counts = dict(
        db.session.execute(
            select(Reminder.status, func.count(Reminder.id)).group_by(Reminder.status)
        ).all()
    )
    (progress or (lambda _label: None))(
        "rappels de démonstration : " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return counts


def _actions_due_today(agent: User) -> None:
    """Two open actions of the agent's followed-up plans fall due today."""
    from casework.plans.models import Plan, PlanAction

    actions = db.session.scalars(
        select(PlanAction)
        .join(Plan, Plan.id == PlanAction.plan_id)
        .join(Case, Case.id == Plan.case_id)
        .where(
            Case.agent_id == agent.id,
            Case.status.in_(("new", "active")),
            Plan.status == "final",
            PlanAction.status.in_(("todo", "in_progress")),
        )
        .order_by(PlanAction.id)
        .limit(2)
    ).all()
    for action in actions:
        action.due_on = local_today()


def _age_some_referrals(now: datetime) -> None:
    """Every other referral waiting for an organisation was sent three weeks ago, so that the
    advisors' queue shows the ones without an answer."""
    from casework.referrals.models import Referral, ReferralEvent

    events = db.session.scalars(
        select(ReferralEvent)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(Referral.status == "sent", ReferralEvent.to_status == "sent")
        .order_by(ReferralEvent.id)
    ).all()
    for event in events[::2]:
        event.occurred_at = now - timedelta(days=21)


def _walk_to_every_state(agent: User, now: datetime) -> None:
    delivered = db.session.scalars(
        select(Reminder)
        .where(Reminder.agent_id == agent.id, Reminder.status == "sent")
        .order_by(Reminder.due_at, Reminder.id)
    ).all()
    # The oldest stay overdue; the next ones become snoozed, done and failed.
    for reminder, state in zip(delivered[3:], ("snoozed", "done", "done", "failed"), strict=False):
        if state == "snoozed":
            operations.snooze(agent, reminder, local_today() + timedelta(days=3), reminder.version)
        elif state == "done":
            operations.complete(agent, reminder, reminder.version)
        else:
            _failed_email(reminder, now)
        db.session.flush()


def _failed_email(reminder: Reminder, now: datetime) -> None:
    """What a reminder looks like after its e-mail failed every attempt (the server was down)."""
    db.session.add(
        OutboundEmail(
            key=f"{reminder.key}#{reminder.deliveries}",
            user_id=reminder.agent_id,
            reminder_id=reminder.id,
            kind="reminder",
            subject=f"Rappel : {reminder.rule.name}",
            body="(démonstration)",
            status="failed",
            attempts=5,
            next_attempt_at=now,
            last_error="smtp_unreachable",
        )
    )
    reminder.status = "failed"
    reminder.last_error = "smtp_unreachable"
