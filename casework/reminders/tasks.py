"""Scheduled work: deliver due reminders, send the e-mail outbox, escalate, the daily digest.

In-app delivery is exactly once because each step is one database transaction keyed by the
reminder's idempotency key:

- ``dispatch`` locks a batch of due reminders (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
  SQLite their transactions begin ``IMMEDIATE``, so dispatchers take turns), and in the same
  transaction marks each one delivered, adds its in-app notification and queues its e-mail, both
  under unique keys. A dispatcher killed mid-batch commits nothing; the next one redoes the batch.
- ``outbox.send_emails`` is the only step with an effect outside the database: claim, send with
  no transaction open, record (see ``outbox``). E-mail is therefore at least once, with at most
  one duplicate per crash, carrying the same Message-ID; in-app notifications are exactly once.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import aliased, joinedload

from casework.core.db import refresh_statistics, skip_locked
from casework.core.events import ExtensionPoint, emit
from casework.core.i18n import format_clock, format_moment
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.reference.lookup import territories
from casework.reminders.events import ReminderEscalated
from casework.reminders.mail import new_message_id
from casework.reminders.models import (
    FollowUpRule,
    Notification,
    OutboundEmail,
    Reminder,
    email_lifetime,
)
from casework.reminders.operations import day_bounds, insert_ignoring_duplicates
from casework.reminders.outbox import send_emails
from casework.reminders.rules import local_day

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Stands for the case number in an e-mail rendered once for many reminders (never in a number).
NUMBER_MARK = "\x00number\x00"
DUE_STATUSES = ("pending", "snoozed")
EMAIL_LOCALES = ("fr_CA", "en")
# The digest leaves at 07:00 Montréal time (or at start-up, for a scheduler that was down then).
DIGEST_TIME = time(7, 0)


def mail_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


# --- In-app delivery ----------------------------------------------------------------------------


def dispatch(
    now: datetime | None = None, batch_size: int = BATCH_SIZE, with_email: bool | None = None
) -> dict[str, int]:
    """Deliver every reminder due at ``now``, batch by batch, each batch one transaction.

    A batch is read as plain rows (no ORM objects), then written set-wise: one executemany
    UPDATE per outcome, one INSERT of notifications, one of e-mails. Each UPDATE moves the
    row's version on, like an ORM update would, so an agent's concurrent change is detected.
    """
    from casework.auth.models import User
    from casework.cases.models import Case

    now = now or utcnow()
    with_email = mail_enabled() if with_email is None else with_email
    counts: Counter[str] = Counter()
    rules = {rule.id: rule for rule in db.session.scalars(select(FollowUpRule))}
    messages: dict[tuple[int, datetime], tuple[str, str]] = {}
    while True:
        rows = db.session.execute(
            skip_locked(
                select(
                    Reminder.id,
                    Reminder.key,
                    Reminder.agent_id,
                    Reminder.rule_id,
                    Reminder.due_at,
                    Reminder.deliveries,
                    Case.status,
                    Case.number,
                    User.email,
                    User.active,
                )
                .outerjoin(Case, Case.id == Reminder.case_id)
                .join(User, User.id == Reminder.agent_id)
                .where(Reminder.status.in_(DUE_STATUSES), Reminder.next_attempt_at <= now)
                .order_by(Reminder.next_attempt_at, Reminder.id)
                .limit(batch_size),
                Reminder,
            )
        ).all()
        batch = Batch(rules=rules, messages=messages)
        for row in rows:
            address = row.email if row.active and with_email else None
            counts[_deliver(batch, row, row.status, row.number, address, now)] += 1
        batch.write(now)
        db.session.commit()
        if len(rows) < batch_size:
            return dict(counts)


@dataclass
class Batch:
    """What one transaction writes: reminder updates, notifications and e-mails under their
    unique keys."""

    rules: dict[int, FollowUpRule] = field(default_factory=dict)
    messages: dict[tuple[int, datetime], tuple[str, str]] = field(default_factory=dict)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)

    def notify(self, key: str, user_id: int, kind: str, reminder_id: int, now: datetime) -> None:
        self.notifications.append(
            {
                "key": key,
                "user_id": user_id,
                "kind": kind,
                "reminder_id": reminder_id,
                "created_at": now,
            }
        )

    def email(
        self, key: str, user_id: int, reminder_id: int | None, kind: str, message, now: datetime
    ) -> None:
        subject, body = message
        self.emails.append(
            {
                "key": key,
                "user_id": user_id,
                "reminder_id": reminder_id,
                "kind": kind,
                "subject": subject[:200],
                "body": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "message_id": new_message_id(current_app.config["MAIL_FROM"]),
                "expires_at": now + email_lifetime(),
            }
        )

    def reminder_message(self, rule_id: int, due_at: datetime, number: str) -> tuple[str, str]:
        """``compose_reminder``'s text, rendered once per rule and due time in a batch run (the
        two locales' formatting is most of its cost), with the case number put in after."""
        cached = self.messages.get((rule_id, due_at))
        if cached is None:
            stand_in = SimpleNamespace(rule=self.rules[rule_id], due_at=due_at)
            cached = compose_reminder(stand_in, NUMBER_MARK)  # type: ignore[arg-type]
            self.messages[(rule_id, due_at)] = cached
        return cached[0].replace(NUMBER_MARK, number), cached[1].replace(NUMBER_MARK, number)

    def write(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        table = Reminder.__table__
        # One UPDATE per outcome (and error) for the whole batch, not one per reminder: the rows
        # are this transaction's (claimed FOR UPDATE), and the new values the same for all.
        if self.delivered:
            db.session.execute(
                update(table)
                .where(table.c.id.in_([row["reminder_id"] for row in self.delivered]))
                .values(
                    deliveries=table.c.deliveries + 1,
                    status="sent",
                    delivered_at=now,
                    snoozed_until=None,
                    version=table.c.version + 1,
                    updated_at=now,
                )
            )
        by_error: dict[str, list[int]] = {}
        for row in self.cancelled:
            by_error.setdefault(row["error"], []).append(row["reminder_id"])
        for error, ids in by_error.items():
            db.session.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(
                    status="cancelled",
                    last_error=error,
                    version=table.c.version + 1,
                    updated_at=now,
                )
            )
        insert_ignoring_duplicates(Notification, self.notifications)
        insert_ignoring_duplicates(OutboundEmail, self.emails)


def _deliver(
    batch: Batch,
    reminder: Any,
    case_status: str | None,
    number: str | None,
    email: str | None,
    now: datetime,
) -> str:
    """One due reminder (a row of ``dispatch``'s query): cancelled when its case is gone or
    closed, otherwise delivered — a notification, and an e-mail when ``email`` is given."""
    if case_status is None or case_status == "closed":
        # Deleted, or closed (and perhaps anonymised) since the reconciler last ran.
        error = "case_gone" if case_status is None else "case_closed"
        batch.cancelled.append({"reminder_id": reminder.id, "error": error})
        return "cancelled"
    batch.delivered.append({"reminder_id": reminder.id})
    key = f"{reminder.key}#{reminder.deliveries + 1}"
    batch.notify(key, reminder.agent_id, "reminder", reminder.id, now)
    if email:
        message = batch.reminder_message(reminder.rule_id, reminder.due_at, number or "")
        batch.email(key, reminder.agent_id, reminder.id, "reminder", message, now)
    return "delivered"


# --- Escalation ---------------------------------------------------------------------------------


def escalate(now: datetime | None = None) -> dict[str, int]:
    """Reminders delivered and still not handled after the rule's delay are escalated, once:
    ``ReminderEscalated`` tells the region's supervisors (the notifications package's listener
    records one notification per supervisor and queues their e-mail as each one chose)."""
    now = now or utcnow()
    counts: Counter[str] = Counter()
    rules = db.session.scalars(
        select(FollowUpRule).where(
            FollowUpRule.enabled.is_(True), FollowUpRule.escalate_after_days.is_not(None)
        )
    ).all()
    for rule in rules:
        limit = now - timedelta(days=rule.escalate_after_days)
        reminders = db.session.scalars(
            skip_locked(
                select(Reminder).where(
                    Reminder.rule_id == rule.id,
                    Reminder.status.in_(("sent", "failed")),
                    Reminder.escalated_at.is_(None),
                    Reminder.delivered_at <= limit,
                ),
                Reminder,
            )
        ).all()
        for reminder in reminders:
            reminder.escalated_at = now
            told = emit(
                ReminderEscalated(
                    reminder_id=reminder.id,
                    region_id=reminder.region_id,
                    case_id=reminder.case_id,
                    at=now,
                )
            )
            counts["notified"] += sum(told)
            counts["escalated"] += 1
        db.session.commit()
    return {name: count for name, count in counts.items() if count}


# --- Daily digest -------------------------------------------------------------------------------


def queue_digests(now: datetime | None = None, with_email: bool | None = None) -> dict[str, int]:
    """Each agent's day by e-mail: today's appointments, the reminders due and overdue; and, for
    anyone, what other features add (``DIGEST_SECTIONS``: the notifications waiting for it).

    Keyed by agent and day, so a second run the same day (a restart at 07:05) queues nothing;
    before 07:00 there is nothing to do yet.
    """
    from casework.appointments.models import Appointment
    from casework.auth.models import User
    from casework.cases.models import Case

    now = now or utcnow()
    if not (mail_enabled() if with_email is None else with_email):
        return {}
    if utc_to_local(now).time() < DIGEST_TIME:
        return {}
    today = local_day(now)
    start, end = day_bounds(today)
    agents = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.role == "agent", User.active.is_(True), User.email.is_not(None))
        )
    }
    appointments: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for agent_id, starts_at, number in db.session.execute(
        select(Appointment.agent_id, Appointment.starts_at, Case.number)
        .join(Case, Case.id == Appointment.case_id)
        .where(
            Appointment.status == "booked",
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at)
    ):
        appointments[agent_id].append((starts_at, number))
    reminders: dict[int, list[tuple[Reminder, str]]] = defaultdict(list)
    for reminder, number in db.session.execute(
        select(Reminder, Case.number)
        .join(Case, Case.id == Reminder.case_id)
        .options(joinedload(Reminder.rule))
        .where(Reminder.status.in_(("pending", "sent", "failed")), Reminder.due_at < end)
        .order_by(Reminder.due_at)
    ):
        reminders[reminder.agent_id].append((reminder, number))
    batch = Batch()
    sections = _collect_sections(now, today)
    for agent_id in agents:
        extra = sections.pop(agent_id, [])
        if appointments[agent_id] or reminders[agent_id] or extra:
            message = compose_digest(appointments[agent_id], reminders[agent_id], start, extra)
            batch.email(
                f"digest:{agent_id}:{today.isoformat()}", agent_id, None, "digest", message, now
            )
    _queue_failure_digests(batch, now, today, sections)
    for user_id, extra in sections.items():
        message = compose_sections(extra, start)
        batch.email(f"digest:{user_id}:{today.isoformat()}", user_id, None, "digest", message, now)
    batch.write()
    db.session.commit()
    return {"queued": len(batch.emails)}


# A section's lines, rendered in the locale in force when called (the digest is in both).
SectionLines = Callable[[], list[str]]


@dataclass(frozen=True)
class DigestSection:
    """What a higher feature adds to the 07:00 digest. ``collect(now, user_ids)`` returns, for
    some of ``user_ids``, the lines to add, and marks what it took in the digest's transaction."""

    name: str
    collect: Callable[[datetime, set[int]], dict[int, SectionLines]]


DIGEST_SECTIONS: ExtensionPoint[DigestSection] = ExtensionPoint(
    "reminders.digest_sections", "the 07:00 digest: what other features add to it, per user"
)

# A supervisor's digest lists the e-mails of their region that failed for good since the last one.
FAILURE_WINDOW = timedelta(days=1)


def _collect_sections(now: datetime, today) -> dict[int, list[SectionLines]]:
    """What the higher features add to the digest, per user: only for active users with an
    address whose digest of ``today`` is not queued yet (a second run adds nothing; what a
    section takes, it marks in this transaction, so it is in exactly one digest)."""
    from casework.auth.models import User

    if not len(DIGEST_SECTIONS):
        return {}
    queued = select(OutboundEmail.user_id).where(
        OutboundEmail.kind == "digest", OutboundEmail.key.like(f"digest:%:{today.isoformat()}")
    )
    users = set(
        db.session.scalars(
            select(User.id).where(
                User.active.is_(True), User.email.is_not(None), User.id.not_in(queued)
            )
        )
    )
    collected: dict[int, list[SectionLines]] = defaultdict(list)
    for section in DIGEST_SECTIONS:
        for user_id, lines in section.collect(now, users).items():
            collected[user_id].append(lines)
    return collected


def _queue_failure_digests(
    batch: Batch, now: datetime, today, sections: dict[int, list[SectionLines]]
) -> None:
    """Each supervisor hears of their region's e-mails that failed for good in the last day."""
    from casework.auth.models import User
    from casework.cases.models import Case

    recipient = aliased(User)
    failures: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(
        select(
            recipient.region_id,
            recipient.full_name,
            OutboundEmail.kind,
            OutboundEmail.failed_at,
            OutboundEmail.last_error,
            Case.number,
        )
        .join(recipient, recipient.id == OutboundEmail.user_id)
        .outerjoin(Reminder, Reminder.id == OutboundEmail.reminder_id)
        .outerjoin(Case, Case.id == Reminder.case_id)
        .where(OutboundEmail.status == "failed", OutboundEmail.failed_at > now - FAILURE_WINDOW)
        .order_by(OutboundEmail.failed_at)
    ):
        failures[row.region_id].append(row)
    supervisors = db.session.execute(
        select(User.id, User.region_id).where(
            User.role == "supervisor", User.active.is_(True), User.email.is_not(None)
        )
    )
    covering = territories()
    for supervisor_id, region_id in supervisors:
        rows = [row for r in covering.get(region_id, [region_id]) for row in failures[r]]
        if rows:
            rows.sort(key=lambda row: row.failed_at)
            message = compose_failures(rows, sections.pop(supervisor_id, []))
            key = f"digest:{supervisor_id}:{today.isoformat()}"
            batch.email(key, supervisor_id, None, "digest", message, now)


# --- Messages (no personal data: the case number and the rule, never a name) --------------------


def _link() -> str:
    return f"{current_app.config['BASE_URL']}/rappels/"


def _both(render) -> tuple[str, str]:
    """Subject in French; body in French, then English."""
    parts = []
    for locale in EMAIL_LOCALES:
        with force_locale(locale):
            parts.append(render())
    subject = parts[0][0]
    body = "\n\n— English —\n\n".join(body for _subject, body in parts)
    return subject, body


def compose_reminder(reminder: Reminder, number: str) -> tuple[str, str]:
    def render():
        label = reminder.rule.label
        when = format_moment(reminder.due_at)
        return (
            _("Reminder: %(rule)s — case %(number)s", rule=label, number=number),
            _(
                "Reminder: %(rule)s\nCase: %(number)s\nDue: %(when)s\n\nSee your reminders: %(link)s",
                rule=label,
                number=number,
                when=when,
                link=_link(),
            ),
        )

    return _both(render)


def compose_failures(failures: list[Any], extra: list[SectionLines] = ()) -> tuple[str, str]:
    """The supervisor's digest: e-mails of the region that could not be delivered."""
    from casework.reminders.operations import EMAIL_KINDS, ERROR_LABELS

    def render():
        lines = [
            _(
                "These e-mails could not be delivered: the mail server refused them, or could not be reached for %(hours)d hours.",
                hours=current_app.config["EMAIL_LIFETIME_HOURS"],
            )
        ]
        for row in failures:
            kind = EMAIL_KINDS.get(row.kind, row.kind)
            case = _(" · case %(number)s", number=row.number) if row.number else ""
            lines.append(
                _(
                    "- %(kind)s to %(name)s%(case)s · %(when)s · %(error)s",
                    kind=kind,
                    name=row.full_name,
                    case=case,
                    when=format_moment(row.failed_at),
                    error=ERROR_LABELS.get(row.last_error, row.last_error),
                )
            )
        lines += ["", _("See the failed reminders: %(link)s", link=_link() + "?tab=failed")]
        lines += _section_lines(extra)
        return _("E-mails not delivered in your region: %(count)d", count=len(failures)), "\n".join(
            lines
        )

    return _both(render)


def compose_digest(
    appointments, reminders, day_start: datetime, extra: list[SectionLines] = ()
) -> tuple[str, str]:
    def render():
        lines = [_("Your day, %(date)s", date=format_datetime(day_start, "EEEE d MMMM yyyy"))]
        lines += ["", _("Appointments today:")]
        lines += [
            _("- %(time)s · case %(number)s", time=format_clock(at), number=number)
            for at, number in appointments
        ] or [_("- none")]
        lines += ["", _("Reminders due and overdue:")]
        for reminder, number in reminders:
            late = reminder.due_at < day_start
            lines.append(
                _(
                    "- %(rule)s · case %(number)s · %(when)s%(late)s",
                    rule=reminder.rule.label,
                    number=number,
                    when=format_moment(reminder.due_at),
                    late=" · " + _("overdue") if late else "",
                )
            )
        if not reminders:
            lines.append(_("- none"))
        lines += ["", _("See your reminders: %(link)s", link=_link())]
        lines += _section_lines(extra)
        return _(
            "Your day — %(count)d reminder(s), %(appointments)d appointment(s)",
            count=len(reminders),
            appointments=len(appointments),
        ), "\n".join(lines)

    return _both(render)


def compose_sections(extra: list[SectionLines], day_start: datetime) -> tuple[str, str]:
    """A digest made only of what other features added (a user with no reminders of their own)."""

    def render():
        lines = _section_lines(extra)[1:]
        day = format_datetime(day_start, "EEEE d MMMM yyyy")
        return _("Your digest, %(date)s", date=day), "\n".join(lines)

    return _both(render)


def _section_lines(extra: list[SectionLines]) -> list[str]:
    """The added sections, in the locale being rendered, each after a blank line."""
    lines: list[str] = []
    for section in extra:
        lines += ["", *section()]
    return lines


# --- Retention ----------------------------------------------------------------------------------


def retention(now: datetime | None = None) -> dict[str, int]:
    """Anonymise the closed cases past the retention period, delete the expected arrivals past
    theirs (docs/privacy.md)."""
    from casework.appointments.arrivals import purge_expired
    from casework.cases.retention import anonymise_expired

    now = now or utcnow()
    counts = anonymise_expired(now, current_app.config["RETENTION_DAYS"])
    counts.update(purge_expired(now, current_app.config["ARRIVAL_RETENTION_DAYS"]))
    db.session.commit()
    log.info("retention run: %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return counts


def statistics() -> dict[str, int]:
    """The query planner's statistics follow the data's growth (core.db.refresh_statistics)."""
    refresh_statistics(db.session)
    db.session.commit()
    return {"analysed": 1}


def reconcile(now: datetime | None = None) -> dict[str, int]:
    from casework.reminders.operations import materialise

    counts = materialise(now)
    db.session.commit()
    return counts


def deliver(now: datetime | None = None) -> dict[str, int]:
    """The dispatcher's minute: due reminders, then the outbox."""
    counts = Counter(dispatch(now))
    counts.update({f"email_{k}": v for k, v in send_emails(now).items()})
    return dict(counts)
