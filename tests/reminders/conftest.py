"""Fixtures for the reminders tests: an agent with a case, rows built directly, a fake mailer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from sqlalchemy import select

from casework.auth.models import User
from casework.cases.models import Case
from casework.extensions import db
from casework.reminders.mail import MailError
from casework.reminders.models import FollowUpRule, Reminder

# A Monday in June (EDT, UTC-4): 13:00 UTC is 09:00 in Montréal.
NOW = datetime(2026, 6, 15, 13, 0)


@dataclass
class RecordingMailer:
    """Stands in for the SMTP server: records what it accepted, fails when told to."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    failures: int = 0  # how many next sends fail
    always_fail: bool = False
    error: str = "smtp_refused"
    timeout: float = 15.0

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        if self.always_fail or self.failures > 0:
            self.failures -= 1
            raise MailError(self.error)
        self.sent.append((to, subject, message_id))

    def close(self) -> None:
        pass


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def agent(ctx, make_user) -> User:
    record = make_user(role="agent")
    user = db.session.get(User, record.id)
    user.email = f"{user.username}@exemple.ca"
    db.session.commit()
    return user


@pytest.fixture
def case(agent, make_case) -> Case:
    record = make_case(agent)
    found = db.session.get(Case, record.id)
    found.status = "active"
    found.opened_at = datetime(2026, 1, 5, 15, 0)
    db.session.commit()
    return found


def rule(code: str) -> FollowUpRule:
    return db.session.scalar(select(FollowUpRule).where(FollowUpRule.code == code))


def add_reminder(
    case: Case,
    due_at: datetime,
    key: str | None = None,
    code: str = "plan_action_due",
    status: str = "pending",
) -> Reminder:
    """A reminder row as the reconciler would create it (without data behind it)."""
    reminder = Reminder(
        key=key or f"test:{case.id}:{due_at.isoformat()}:{status}",
        rule_id=rule(code).id,
        subject_type="case",
        subject_id=case.id,
        case_id=case.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        due_at=due_at,
        next_attempt_at=due_at,
        status=status,
    )
    db.session.add(reminder)
    db.session.flush()
    return reminder


def reminders_of(case: Case, code: str | None = None) -> list[Reminder]:
    statement = select(Reminder).where(Reminder.case_id == case.id).order_by(Reminder.id)
    if code:
        statement = statement.where(Reminder.rule_id == rule(code).id)
    db.session.expire_all()
    return list(db.session.scalars(statement))


def day(text: str) -> date:
    return date.fromisoformat(text)
