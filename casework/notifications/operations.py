"""Workflow notifications: record one per event and recipient, list them, mark them read, say
what each one is about and where it leads, and queue its e-mail as the recipient chose.

A notification is recorded by a listener (``listeners.py``) in the transaction of the change
that caused it, under the key ``<kind>:<event>:<recipient>`` (unique): an event recorded twice
— replayed, or emitted by a retried transaction — is one notification. Its e-mail goes through
the reminders' outbox (queued here, sent later with no transaction open) or waits for the 07:00
digest (``digest_lines``), as the recipient's preference for the kind says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from casework.appointments.models import Appointment
from casework.auth.models import User
from casework.cases.models import Case, CaseTransfer
from casework.core import audit
from casework.core.domain import DomainError
from casework.core.i18n import format_moment
from casework.core.permissions import in_scope, scope_for
from casework.core.time import utcnow
from casework.extensions import db
from casework.notifications.models import CHANNELS, NotificationPreference
from casework.referrals.models import Referral
from casework.reminders.models import Notification, Reminder
from casework.reminders.operations import insert_ignoring_duplicates
from casework.reminders.tasks import Batch, mail_enabled

# A comment kept with a notification is cut there (the whole one is on the referral's page).
COMMENT_LENGTH = 300
EMAIL_LOCALES = ("fr_CA", "en")


@dataclass(frozen=True)
class Kind:
    label: Any  # lazy text
    group: Any
    default: str  # the channel when the user has not chosen
    roles: tuple[str, ...] = ("agent",)  # who can receive it (the preferences page shows those)


REFERRALS, TRANSFERS, CALENDAR, FOLLOW_UPS = (
    _l("Referrals"),
    _l("Transfers"),
    _l("Calendar"),
    _l("Follow-ups"),
)
KINDS: dict[str, Kind] = {
    "referral_returned": Kind(_l("A referral is returned to me"), REFERRALS, "immediate"),
    "referral_approved": Kind(_l("A referral of mine is approved"), REFERRALS, "digest"),
    "referral_accepted": Kind(_l("An organisation accepts a referral"), REFERRALS, "digest"),
    "referral_declined": Kind(_l("An organisation declines a referral"), REFERRALS, "immediate"),
    "referral_completed": Kind(_l("A referral is completed"), REFERRALS, "digest"),
    "referral_not_completed": Kind(_l("A referral is not completed"), REFERRALS, "digest"),
    "transfer_offered": Kind(_l("A case is offered to me"), TRANSFERS, "immediate"),
    "transfer_accepted": Kind(
        _l("A transfer I asked for is accepted"), TRANSFERS, "digest", ("agent", "supervisor")
    ),
    "transfer_declined": Kind(
        _l("A transfer I asked for is refused"), TRANSFERS, "immediate", ("agent", "supervisor")
    ),
    "airport_booking": Kind(
        _l("The airport books a first interview in my calendar"), CALENDAR, "immediate"
    ),
    "escalation": Kind(
        _l("A reminder of my region is not handled in time"),
        FOLLOW_UPS,
        "immediate",
        ("supervisor",),
    ),
}
CHANNEL_LABELS = {
    "immediate": _l("E-mail at once"),
    "digest": _l("In the 07:00 digest"),
    "never": _l("Never by e-mail"),
}
REFERRAL_KINDS = {
    "returned": "referral_returned",
    "approved": "referral_approved",
    "accepted": "referral_accepted",
    "declined": "referral_declined",
    "completed": "referral_completed",
    "not_completed": "referral_not_completed",
}


class NotificationError(DomainError):
    """A preference that is not one of the choices."""


# --- Recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a notification's link opens, and which case it concerns."""

    type: str  # referral | transfer | case | appointment | reminder
    id: int
    case_id: int | None


def record(
    kind: str,
    event: str,
    recipients: Iterable[int | None],
    subject: Subject,
    details: dict[str, Any],
    reminder_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """One notification of ``kind`` per recipient for ``event`` (what names the fact: a
    transition's id, a transfer's…); those recorded already are left alone, so are inactive
    users. Returns how many were recorded now."""
    now = now or utcnow()
    ids = sorted({user_id for user_id in recipients if user_id})
    if not ids:
        return 0
    keys = {user_id: f"{kind}:{event}:{user_id}" for user_id in ids}
    known = set(
        db.session.scalars(select(Notification.key).where(Notification.key.in_(keys.values())))
    )
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    channels = channels_of(ids, kind)
    rows = [
        {
            "key": keys[user_id],
            "user_id": user_id,
            "kind": kind,
            "reminder_id": reminder_id,
            "subject_type": subject.type,
            "subject_id": subject.id,
            "case_id": subject.case_id,
            "details": details,
            "email": _email_state(channels[user_id], users[user_id]),
            "created_at": now,
        }
        for user_id in ids
        if keys[user_id] not in known and user_id in users and users[user_id].active
    ]
    insert_ignoring_duplicates(Notification, rows)
    _queue_emails([row for row in rows if row["email"] == "queued"], now)
    return len(rows)


def _email_state(channel: str, user: User) -> str | None:
    if channel == "never" or not user.email or not mail_enabled():
        return None
    return "queued" if channel == "immediate" else "digest"


def _queue_emails(rows: list[dict[str, Any]], now: datetime) -> None:
    """The e-mails of notifications to send at once, queued in the outbox under the
    notification's key (the dispatcher sends them later, no transaction open)."""
    if not rows:
        return
    created = {
        key: notification
        for key, notification in db.session.execute(
            select(Notification.key, Notification).where(
                Notification.key.in_([row["key"] for row in rows])
            )
        )
    }
    batch = Batch()
    for row in rows:
        notification = created.get(row["key"])
        if notification is None:
            continue
        email_kind = "escalation" if row["kind"] == "escalation" else "notification"
        message = compose_email(notification)
        batch.email(row["key"], row["user_id"], row["reminder_id"], email_kind, message, now)
    batch.write(now)


def channels_of(user_ids: list[int], kind: str) -> dict[int, str]:
    """Each user's channel for ``kind``: their choice, or the kind's default."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.channel).where(
                NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind
            )
        ).all()
    )
    return {user_id: chosen.get(user_id, KINDS[kind].default) for user_id in user_ids}


# --- Preferences --------------------------------------------------------------------------------


def kinds_for(user: Any) -> dict[str, Kind]:
    """The kinds of notification the user's role can receive."""
    return {kind: spec for kind, spec in KINDS.items() if user.role in spec.roles}


def preferences(user: Any) -> dict[str, str]:
    """Every kind with the user's channel for it."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, spec.default) for kind, spec in KINDS.items()}


def save_preferences(actor: Any, choices: dict[str, str]) -> list[str]:
    """Keep the channel chosen for each kind; returns the kinds that changed."""
    for kind, channel in choices.items():
        if kind not in KINDS or channel not in CHANNELS:
            raise NotificationError(_l("Not a valid choice."), kind)
    current = preferences(actor)
    changed = [kind for kind, channel in choices.items() if current[kind] != channel]
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.id)
        )
    }
    for kind in changed:
        row = rows.get(kind) or NotificationPreference(user_id=actor.id, kind=kind)
        row.channel = choices[kind]
        db.session.add(row)
    if changed:
        audit.record(
            actor,
            "notifications.preferences",
            target_type="user",
            target_id=actor.id,
            kinds=changed,
        )
    return changed


# --- The list -----------------------------------------------------------------------------------


def listing(user: Any) -> Select:
    """The user's notifications, newest first, with what their texts show (for ``paginate``)."""
    return (
        select(Notification)
        .options(
            joinedload(Notification.reminder).joinedload(Reminder.rule),
            joinedload(Notification.reminder).joinedload(Reminder.case),
            joinedload(Notification.reminder).joinedload(Reminder.agent),
        )
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def own(user: Any, notification_id: int) -> Notification | None:
    """The user's notification with this id; someone else's is as good as absent (404)."""
    notification = db.session.get(Notification, notification_id)
    return notification if notification is not None and notification.user_id == user.id else None


def mark_read(user: Any, notification: Notification, now: datetime | None = None) -> bool:
    if notification.read_at is not None:
        return False
    notification.read_at = now or utcnow()
    return True


def mark_all_read(user: Any, now: datetime | None = None) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# --- What a notification says --------------------------------------------------------------------


def describe(notification: Notification) -> str:
    """The short text, in the current locale (no comment: ``comment`` gives it)."""
    values = dict(notification.details or {})
    values.setdefault("number", "—")
    reminder = notification.reminder
    if notification.kind == "reminder":
        rule = reminder.rule.label if reminder else ""
        number = reminder.case.number if reminder and reminder.case else "—"
        return _("Reminder: %(rule)s · case %(number)s", rule=rule, number=number)
    if notification.kind == "escalation":
        rule = reminder.rule.label if reminder else ""
        number = reminder.case.number if reminder and reminder.case else values["number"]
        agent = reminder.agent.full_name if reminder else values.get("agent", "")
        return _(
            "Reminder not handled in time: %(rule)s · case %(number)s · %(agent)s",
            rule=rule,
            number=number,
            agent=agent,
        )
    text = TEXTS.get(notification.kind)
    if text is None:
        return str(KINDS[notification.kind].label) if notification.kind in KINDS else ""
    if "when" in values:
        values["when"] = format_moment(datetime.fromisoformat(values["when"]))
    values.setdefault("organisation", "")
    values.setdefault("actor", "")
    return text(values)


TEXTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "referral_returned": lambda v: _(
        "Referral to %(organisation)s returned by %(actor)s · case %(number)s", **v
    ),
    "referral_approved": lambda v: _(
        "Referral to %(organisation)s approved by %(actor)s · case %(number)s", **v
    ),
    "referral_accepted": lambda v: _(
        "%(organisation)s accepted the referral · case %(number)s", **v
    ),
    "referral_declined": lambda v: _(
        "%(organisation)s declined the referral · case %(number)s", **v
    ),
    "referral_completed": lambda v: _(
        "%(organisation)s completed the referral · case %(number)s", **v
    ),
    "referral_not_completed": lambda v: _(
        "%(organisation)s could not complete the referral · case %(number)s", **v
    ),
    "transfer_offered": lambda v: _(
        "%(actor)s offers you the case %(number)s: accept or refuse it", **v
    ),
    "transfer_accepted": lambda v: _("%(actor)s accepted the transfer of case %(number)s", **v),
    "transfer_declined": lambda v: _("%(actor)s refused the transfer of case %(number)s", **v),
    "airport_booking": lambda v: _(
        "The airport booked a first interview in your calendar on %(when)s · case %(number)s",
        **v,
    ),
}


def comment(notification: Notification) -> str | None:
    return (notification.details or {}).get("comment")


def kind_label(notification: Notification) -> str:
    if notification.kind == "reminder":
        return _("Reminder")
    spec = KINDS.get(notification.kind)
    return str(spec.group) if spec else ""


# --- Where a notification leads -------------------------------------------------------------------

# subject type → (model, the action whose scope says who may open it)
TARGETS: dict[str, tuple[type, str]] = {
    "referral": (Referral, "referrals.read"),
    "transfer": (CaseTransfer, "transfers.respond"),
    "case": (Case, "cases.read"),
    "appointment": (Appointment, "appointments.read"),
    "reminder": (Reminder, "reminders.read"),
}


@dataclass(frozen=True)
class Target:
    """What a notification opens: the object (None when it no longer exists), the action that
    reads it, and whether the user may still."""

    type: str
    object: Any
    action: str
    allowed: bool


def target(user: Any, notification: Notification) -> Target | None:
    subject_type, subject_id = notification.subject_type, notification.subject_id
    if subject_type is None and notification.reminder_id is not None:
        subject_type, subject_id = "reminder", notification.reminder_id
    if subject_type not in TARGETS:
        return None
    model, action = TARGETS[subject_type]
    obj = db.session.get(model, subject_id)
    scope = scope_for(user.role, action)
    allowed = obj is not None and scope is not None and in_scope(user, scope, obj)
    return Target(subject_type, obj, action, allowed)


def handed_over(notification: Notification, target: Target | None) -> bool:
    """A transfer accepted, opened by whoever gave the case (or asked for the transfer) and may
    no longer open it: it is no refusal but the news itself, so it leads to their caseload
    with a sentence, not to a 403 (issue 16)."""
    return (
        notification.kind == "transfer_accepted"
        and target is not None
        and target.object is not None
        and not target.allowed
    )


def handed_over_message(notification: Notification) -> str:
    values = notification.details or {}
    return _(
        "%(actor)s accepted case %(number)s: it is no longer in your caseload, so it does not "
        "open from here. %(actor)s can tell you more about it.",
        number=values.get("number", ""),
        actor=values.get("actor", ""),
    )


# --- E-mail ---------------------------------------------------------------------------------------


def _both(render: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """Subject in French; body in French, then English (as the reminders' e-mails)."""
    parts = []
    for locale in EMAIL_LOCALES:
        with force_locale(locale):
            parts.append(render())
    return parts[0][0], "\n\n— English —\n\n".join(body for _subject, body in parts)


def notification_link(notification_id: int) -> str:
    return f"{current_app.config['BASE_URL']}/notifications/{notification_id}"


def preferences_link() -> str:
    return f"{current_app.config['BASE_URL']}/notifications/preferences"


def compose_email(notification: Notification) -> tuple[str, str]:
    """The e-mail of one notification: its short text and its link; never the comment (the
    application shows it to whoever may still read it)."""

    def render() -> tuple[str, str]:
        text = describe(notification)
        body = "\n".join(
            [
                text,
                "",
                _("Open it: %(link)s", link=notification_link(notification.id)),
                _("Choose which e-mails you receive: %(link)s", link=preferences_link()),
            ]
        )
        return _("Notification: %(text)s", text=text), body

    return _both(render)


def digest_lines(now: datetime, user_ids: set[int]) -> dict[int, Callable[[], list[str]]]:
    """The digest's section (``reminders.tasks.DIGEST_SECTIONS``): each user's notifications
    waiting for it, marked as digested in the digest's transaction."""
    waiting: dict[int, list[Notification]] = {}
    for notification in db.session.scalars(
        select(Notification)
        .options(joinedload(Notification.reminder))
        .where(
            Notification.email == "digest",
            Notification.user_id.in_(user_ids),
            Notification.created_at <= now,
        )
        .order_by(Notification.created_at, Notification.id)
    ):
        waiting.setdefault(notification.user_id, []).append(notification)
    for notifications in waiting.values():
        for notification in notifications:
            notification.email = "digested"
    db.session.flush()
    return {user_id: _section(items) for user_id, items in waiting.items()}


def _section(items: list[Notification]) -> Callable[[], list[str]]:
    def lines() -> list[str]:
        link = f"{current_app.config['BASE_URL']}/notifications/"
        return [
            _("Notifications since the last digest:"),
            *[f"- {describe(item)} · {format_moment(item.created_at)}" for item in items],
            _("See them: %(link)s", link=link),
        ]

    return lines


# --- Retention ----------------------------------------------------------------------------------


def erase_details(case_ids: tuple[int, ...]) -> dict[str, int]:
    """Anonymised cases: their notifications keep their kind and date, not what they said."""
    erased = db.session.execute(
        update(Notification)
        .where(Notification.case_id.in_(case_ids), Notification.details.is_not(None))
        .values(details=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"notifications": erased}
