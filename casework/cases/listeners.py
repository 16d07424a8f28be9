"""What cases add to the extension points of core and auth: the audit trail names a case by its
number (and, cases being the first feature above accounts, an account by its user name); the
session lookup reads the transfers awaiting the user's answer."""

from __future__ import annotations

from sqlalchemy import select

from casework.auth.models import User
from casework.auth.sessions import SESSION_FIGURES, SessionFigure
from casework.cases.models import Case
from casework.cases.operations import TRANSFERS_AWAITING, transfers_awaiting_column
from casework.core.audit import AUDIT_TARGETS, AuditTarget
from casework.extensions import db


def case_numbers(ids: list[str]) -> dict[str, str]:
    """The numbers of the cases the trail's page names (one query)."""
    wanted = [int(ident) for ident in ids if ident.isdigit()]
    rows = db.session.execute(select(Case.id, Case.number).where(Case.id.in_(wanted)))
    return {str(ident): number for ident, number in rows if number}


def case_by_number(number: str) -> str | None:
    ident = db.session.scalar(select(Case.id).where(Case.number == number.strip().upper()))
    return None if ident is None else str(ident)


AUDIT_TARGETS.add(AuditTarget("case", case_numbers, case_by_number))


def usernames(ids: list[str]) -> dict[str, str]:
    wanted = [int(ident) for ident in ids if ident.isdigit()]
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {str(ident): username for ident, username in rows}


def user_by_name(username: str) -> str | None:
    ident = db.session.scalar(select(User.id).where(User.username == username.strip().lower()))
    return None if ident is None else str(ident)


AUDIT_TARGETS.add(AuditTarget("user", usernames, user_by_name))


# The caseload's « transfers await your answer », read by the session lookup's query.
SESSION_FIGURES.add(SessionFigure(TRANSFERS_AWAITING, transfers_awaiting_column))
