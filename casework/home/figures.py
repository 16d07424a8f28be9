"""The figures of each role's home page: every count is a link to the list it counts, scoped as
that list is, with a line saying what it counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from casework.cases import choices
from casework.cases import operations as cases
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.referrals import operations as referrals
from casework.reminders import operations as reminders

# How long a referral may wait for review before the advisor's home points it out (the queue's
# « unchanged for » filter offers the same value).
REVIEW_WAIT_DAYS = 7


@dataclass(frozen=True)
class Figure:
    value: int | str
    label: Any
    hint: Any
    url: str
    alert: bool = False


@dataclass(frozen=True)
class FigureGroup:
    title: Any
    figures: list[Figure]


STATUS_HINTS = {
    "new": _l("Opened; the first needs assessment is still to do."),
    "active": _l("Being followed: plan, referrals and follow-ups under way."),
    "on_hold": _l("Paused at the person's request or while they are away."),
    "closed": _l("Closed, kept for the retention period."),
}


def figures_for(user: Any, summary: Any = None) -> list[FigureGroup]:
    """The groups of figures of ``user``'s home page (``summary``: the agent's day, computed by
    reports for its other sections)."""
    builders = {
        "agent": _agent,
        "advisor": _advisor,
        "partner": _partner,
        "supervisor": _supervisor,
    }
    builder = builders.get(user.role)
    return builder(user, summary) if builder else []


def _agent(user: Any, summary: Any) -> list[FigureGroup]:
    counts = summary.counts
    caseload = [
        Figure(
            counts.get(code, 0),
            label,
            STATUS_HINTS[code],
            url_for("cases.index", status=code),
        )
        for code, label in choices.STATUSES.items()
    ]
    caseload.append(
        Figure(
            summary.overdue_follow_ups,
            _l("Follow-ups overdue"),
            _l("Open cases whose next follow-up date has passed."),
            url_for("cases.index", overdue="y"),
            alert=bool(summary.overdue_follow_ups),
        )
    )
    tabs = reminders.waiting_counts(user, local_today())
    by_status = referrals.status_counts(user)
    todo = sum(by_status.get(status, 0) for status in referrals.todo_statuses(user.role))
    work = [
        Figure(
            tabs["due"],
            _l("Reminders due today"),
            _l("Follow-ups planned for today, not yet handled."),
            url_for("reminders.index", tab="due"),
        ),
        Figure(
            tabs["overdue"],
            _l("Reminders overdue"),
            _l("Follow-ups of past days, not yet handled."),
            url_for("reminders.index", tab="overdue"),
            alert=bool(tabs["overdue"]),
        ),
        Figure(
            todo,
            _l("Referrals to handle"),
            _l("Drafts to submit, referrals returned to you, approved ones to send."),
            url_for("referrals.index", status=referrals.TODO),
        ),
        Figure(
            by_status.get("sent", 0),
            _l("Referrals awaiting an answer"),
            _l("Sent to an organisation that has not accepted or declined yet."),
            url_for("referrals.index", status="sent"),
        ),
    ]
    return [
        FigureGroup(_l("My caseload today"), caseload),
        FigureGroup(_l("What waits for me"), work),
    ]


def _advisor(user: Any, _summary: Any) -> list[FigureGroup]:
    by_status = referrals.status_counts(user)
    waiting = referrals.status_counts(
        user, unchanged_since=utcnow() - timedelta(days=REVIEW_WAIT_DAYS)
    )
    return [
        FigureGroup(
            _l("Referrals of my region"),
            [
                Figure(
                    by_status.get("submitted", 0),
                    _l("Awaiting review"),
                    _l("Submitted by the agents; approve them or return them with a comment."),
                    url_for("referrals.index", status="submitted"),
                ),
                Figure(
                    waiting.get("submitted", 0),
                    _l("Waiting %(num)d days or more", num=REVIEW_WAIT_DAYS),
                    _l("Awaiting review and unchanged for a week or more."),
                    url_for("referrals.index", status="submitted", attente=REVIEW_WAIT_DAYS),
                    alert=bool(waiting.get("submitted")),
                ),
                Figure(
                    by_status.get("returned", 0),
                    _l("Returned to the agents"),
                    _l("Waiting for the agent to change and submit them again."),
                    url_for("referrals.index", status="returned"),
                ),
                Figure(
                    by_status.get("sent", 0),
                    _l("Sent, no answer yet"),
                    _l("Sent to an organisation that has not accepted or declined yet."),
                    url_for("referrals.index", status="sent"),
                ),
            ],
        )
    ]


def _partner(user: Any, _summary: Any) -> list[FigureGroup]:
    by_status = referrals.status_counts(user)
    return [
        FigureGroup(
            _l("Referrals to my organisation"),
            [
                Figure(
                    by_status.get("sent", 0),
                    _l("New referrals to answer"),
                    _l("Sent to your organisation: accept or decline them."),
                    url_for("referrals.index", status="sent"),
                    alert=bool(by_status.get("sent")),
                ),
                Figure(
                    by_status.get("accepted", 0),
                    _l("In progress"),
                    _l("Accepted: report the outcome once the service is given or not."),
                    url_for("referrals.index", status="accepted"),
                ),
            ],
        )
    ]


def _supervisor(user: Any, _summary: Any) -> list[FigureGroup]:
    tabs = reminders.waiting_counts(user, local_today())
    by_status = referrals.status_counts(user)
    # Counted from the very statement the linked list shows (the caseload with its filter).
    listed = cases.caseload(user, cases.CaseloadFilters(overdue=True), for_count=True)
    overdue = db.session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    return [
        FigureGroup(
            _l("My region"),
            [
                Figure(
                    overdue,
                    _l("Follow-ups overdue"),
                    _l("Open cases of the region whose next follow-up date has passed."),
                    url_for("cases.index", overdue="y"),
                    alert=bool(overdue),
                ),
                Figure(
                    tabs["overdue"],
                    _l("Reminders overdue"),
                    _l("The agents' follow-ups of past days, not yet handled."),
                    url_for("reminders.index", tab="overdue"),
                    alert=bool(tabs["overdue"]),
                ),
                Figure(
                    by_status.get("submitted", 0),
                    _l("Referrals awaiting review"),
                    _l("Submitted by the agents, waiting for an advisor."),
                    url_for("referrals.index", status="submitted"),
                ),
            ],
        )
    ]
