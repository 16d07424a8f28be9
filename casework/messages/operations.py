"""Messages to the person: what an appointment's booking, move or cancellation queues, under
which consent, in which language, at what time; what stops them; what the case page shows.

Nothing here talks to a mail server or a gateway: rows are queued in the caller's transaction
(the appointment's own), and ``messages.outbox`` sends them later with no transaction open.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from casework.appointments.ics import appointment_calendar_file, location_of, sequence_of
from casework.appointments.models import Appointment
from casework.cases.events import ConsentWithdrawn
from casework.cases.models import Case, Consent
from casework.cases.operations import current_consent
from casework.core import audit
from casework.core.domain import DomainError
from casework.core.events import emit
from casework.core.time import LOCAL_TIMEZONE, local_today, utcnow
from casework.extensions import db
from casework.messages import wording
from casework.messages.models import PENDING_STATUSES, ContactSettings, PersonMessage
from casework.messages.places import contact_of
from casework.messages.sms import new_reference, to_e164
from casework.reminders.models import email_lifetime

SERVICE = "Accompagnement Québec"
# The reminder falls the day before, at a time the person may be called (illustrative choice).
REMINDER_AT = time(10, 0)
# No SMS in these hours of the person's time zone: they wait for the morning.
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
CONSENT_OF_CHANNEL = {"email": "contact_email", "sms": "contact_sms"}
CHANNEL_OF_CONSENT = {purpose: channel for channel, purpose in CONSENT_OF_CHANNEL.items()}
# Québec's time zones, with the place a person would recognise.
TIME_ZONES = {
    "America/Toronto": "Montréal",
    "America/Halifax": "Îles-de-la-Madeleine",
    "America/Blanc-Sablon": "Blanc-Sablon",
}
BABEL_LOCALES = {"fr": "fr_CA", "en": "en_CA"}
LANGUAGE_NOTES = {
    "fr": (
        "Message en français.",
        "Message en français : nous n'avons pas de modèle en {language}.",
    ),
    "en": ("Message in English.", "Message in English: we have no template in {language}."),
}
SMS_OPT_OUT = {
    "fr": "Répondez STOP pour ne plus recevoir de SMS.",
    "en": "Reply STOP to receive no more texts.",
}
STATUS_LABELS = {
    "pending": _l("queued"),
    "claimed": _l("being sent"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "failed": _l("failed"),
    "cancelled": _l("stopped"),
}
KIND_LABELS = {
    "confirmation": _l("Confirmation"),
    "update": _l("Change of time"),
    "cancellation": _l("Cancellation"),
    "reminder": _l("Reminder the day before"),
}
CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS")}
REASONS = {
    "consent_withdrawn": _l("consent withdrawn"),
    "replaced": _l("the appointment moved or was cancelled"),
    "appointment_passed": _l("the appointment has passed"),
    "bad_number": _l("the phone number is not valid"),
    "no_address": _l("no address"),
    "case_closed": _l("case closed"),
    "gateway_refused": _l("the SMS gateway refused it"),
    "gateway_unknown_reply": _l("the SMS gateway's reply was not understood"),
    "gateway_error": _l("the SMS gateway had an error"),
    "gateway_timeout": _l("the SMS gateway did not answer"),
    "gateway_unreachable": _l("the SMS gateway could not be reached"),
    "receipt_failed": _l("the phone company could not deliver it"),
    "smtp_refused": _l("the mail server refused it"),
    "smtp_recipient_refused": _l("the address was refused"),
    "smtp_unreachable": _l("the mail server could not be reached"),
    "smtp_timeout": _l("the mail server did not answer"),
}


class MessageError(DomainError):
    pass


# --- Templates -----------------------------------------------------------------------------


def _template_id(language: str, name: str, channel: str) -> str:
    return f"{language}/{name}.{channel}"


def read_template(actor: Any, language: str, name: str, channel: str) -> str:
    """A template's text as an administrator opens it to edit (the read is audited)."""
    text = wording.source(language, name, channel)
    audit.record(
        actor,
        "messages.template_read",
        target_type="message_template",
        target_id=_template_id(language, name, channel),
    )
    return text


def save_template(actor: Any, language: str, name: str, channel: str, text: str) -> None:
    """Save an administrator's edit (refused with the line at fault); audited, with whether
    the text changed."""
    before = wording.source(language, name, channel)
    after = wording.save(language, name, channel, text)
    audit.record(
        actor,
        "messages.template_saved",
        target_type="message_template",
        target_id=_template_id(language, name, channel),
        changed=before != after,
    )


def reset_template(actor: Any, language: str, name: str, channel: str) -> None:
    """Back to the packaged default; audited when there was an edit to drop."""
    if wording.reset(language, name, channel):
        audit.record(
            actor,
            "messages.template_reset",
            target_type="message_template",
            target_id=_template_id(language, name, channel),
        )


# --- Contact settings ----------------------------------------------------------------------


def settings_of(case_id: int) -> ContactSettings | None:
    return db.session.get(ContactSettings, case_id)


def time_zone_of(case_id: int) -> str:
    settings = settings_of(case_id)
    return settings.time_zone if settings is not None else LOCAL_TIMEZONE


def update_settings(actor: Any, case: Case, phone_is_landline: bool, time_zone: str) -> None:
    if time_zone not in TIME_ZONES:
        raise MessageError(_l("Choose one of Québec's time zones."), "time_zone")
    settings = settings_of(case.id) or ContactSettings(case_id=case.id)
    settings.phone_is_landline = phone_is_landline
    settings.time_zone = time_zone
    settings.updated_by_id = actor.id
    db.session.add(settings)
    audit.record(
        actor, "messages.contact_settings", case, landline=phone_is_landline, time_zone=time_zone
    )


# --- Time ----------------------------------------------------------------------------------


def _zoned(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def _to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def outside_quiet_hours(moment: datetime, zone: str) -> datetime:
    """``moment`` (naive UTC), or 08:00 the same or next morning in ``zone`` when it falls
    between 21:00 and 08:00 there."""
    local = _zoned(moment, zone)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return moment
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return _to_utc(datetime.combine(day, QUIET_UNTIL, tzinfo=ZoneInfo(zone)))


def reminder_time(starts_at: datetime, zone: str) -> datetime:
    day_before = _zoned(starts_at, zone).date() - timedelta(days=1)
    return _to_utc(datetime.combine(day_before, REMINDER_AT, tzinfo=ZoneInfo(zone)))


# --- Composing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str | None
    consent_id: int
    problem: str | None = None  # bad_number: queued as failed, so the timeline says it


def recipients(case: Case) -> list[Recipient]:
    """The channels the person consented to and can be reached on; a landline is never texted."""
    person = case.person
    found = []
    email_consent = current_consent(case, "contact_email")
    if email_consent is not None and person.email:
        found.append(Recipient("email", person.email, email_consent.id))
    sms_consent = current_consent(case, "contact_sms")
    settings = settings_of(case.id)
    landline = settings is not None and settings.phone_is_landline
    if sms_consent is not None and person.phone and not landline:
        number = to_e164(person.phone)
        found.append(Recipient("sms", number, sms_consent.id, None if number else "bad_number"))
    return found


def _values(appointment: Appointment, language: str, zone: str) -> dict[str, str]:
    locale = BABEL_LOCALES[language]
    local = _zoned(appointment.starts_at, zone)
    if language == "fr":  # « 9 h », « 9 h 45 », as Québec writes it
        clock = f"{local.hour} h {local.minute:02d}" if local.minute else f"{local.hour} h"
    else:
        clock = format_time(local.time(), "h:mm a", locale=locale)
    address, phone = contact_of(appointment.service_point.code)
    person = appointment.case.person
    return {
        "name": person.preferred_name or person.given_names.split(" ")[0],
        "service": SERVICE,
        "date": format_date(local.date(), "full", locale=locale),
        "time": clock,
        "zone": TIME_ZONES.get(zone, zone),
        "place": location_of(appointment),
        "address": address if appointment.mode == "in_person" else "—",
        "phone": phone,
    }


def _language_note(language: str, preferred: str | None) -> str:
    plain, fallback = LANGUAGE_NOTES[language]
    if preferred and preferred != language and preferred not in wording.LANGUAGES:
        name = wording_language_name(preferred, language)
        return fallback.format(language=name)
    return plain


def wording_language_name(code: str, language: str) -> str:
    from babel import Locale

    return Locale.parse(BABEL_LOCALES[language]).languages.get(code, code)


def _opt_out_link(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/messages/desabonnement/{token}"


def compose(
    appointment: Appointment, kind: str, recipient: Recipient, key: str, due: datetime
) -> PersonMessage:
    case = appointment.case
    preferred = case.person.preferred_language
    language = wording.language_for(preferred)
    zone = time_zone_of(case.id)
    token = secrets.token_urlsafe(16)
    if recipient.channel == "email":
        message_id = f"<{token}@{_mail_domain()}>"
        footer = {"optout": _opt_out_link(token)}
    else:
        message_id = new_reference()
        footer = {"optout": SMS_OPT_OUT[language]}
    footer["language_note"] = _language_note(language, preferred)
    with force_locale(BABEL_LOCALES[language] if language == "en" else "fr_CA"):
        values = _values(appointment, language, zone)
        text = wording.render(language, kind, recipient.channel, values, footer)
        ics = None
        if recipient.channel == "email":
            ics = appointment_calendar_file(appointment, f"{SERVICE}. {values['place']}")
    return PersonMessage(
        key=key,
        case_id=case.id,
        appointment_id=appointment.id,
        kind=kind,
        channel=recipient.channel,
        language=language,
        fallback_from=preferred if preferred and preferred != language else None,
        address=recipient.address,
        subject=text.subject,
        body=text.body,
        ics=ics,
        message_id=message_id,
        consent_id=recipient.consent_id,
        next_attempt_at=due,
        expires_at=_expiry(appointment, kind, due),
    )


def _mail_domain() -> str:
    return current_app.config["MAIL_FROM"].rpartition("@")[2].strip(" >") or "casework"


def _expiry(appointment: Appointment, kind: str, due: datetime) -> datetime:
    lifetime = due + email_lifetime()
    # A reminder or a confirmation is no use once the appointment has begun.
    if kind != "cancellation":
        return min(lifetime, appointment.starts_at)
    return lifetime


def _insert_once(message: PersonMessage) -> bool:
    """One row per key: an event queued twice (a listener run again) leaves the first."""
    exists = db.session.scalar(select(PersonMessage.id).where(PersonMessage.key == message.key))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return False
    return True


def queue_for_appointment(appointment_id: int, kind: str, now: datetime | None = None) -> int:
    """Queue ``kind`` (confirmation, update, cancellation) on every channel the person allows,
    the reminder of the day before for a booked appointment, and stop what the change made
    obsolete. Returns how many rows were queued."""
    now = now or utcnow()
    db.session.flush()  # the appointment's version (the calendar's SEQUENCE) is now final
    appointment = db.session.get(Appointment, appointment_id)
    case = appointment.case
    if case.anonymised_at is not None or case.is_closed:
        return 0
    sequence = sequence_of(appointment)
    if kind in ("update", "cancellation"):
        _stop(
            PersonMessage.appointment_id == appointment.id,
            PersonMessage.key.not_like(f"appointment:{appointment.id}:%:{sequence}:%"),
            reason="replaced",
            now=now,
        )
    queued = 0
    zone = time_zone_of(case.id)
    for recipient in recipients(case):
        plan = [(kind, now)]
        if kind != "cancellation":
            at = reminder_time(appointment.starts_at, zone)
            if at > now:
                plan.append(("reminder", at))
        for what, at in plan:
            due = outside_quiet_hours(at, zone) if recipient.channel == "sms" else at
            key = f"appointment:{appointment.id}:{what}:{sequence}:{recipient.channel}"
            message = compose(appointment, what, recipient, key, due)
            if recipient.problem:
                message.status, message.failed_at = "failed", now
                message.last_error = recipient.problem
            queued += _insert_once(message)
    return queued


# --- Stopping ------------------------------------------------------------------------------


def _stop(*conditions: Any, reason: str, now: datetime | None = None) -> int:
    """Pending messages matching ``conditions`` are stopped (a claimed one too: its sender
    records nothing once its claim is gone)."""
    return db.session.execute(
        update(PersonMessage)
        .where(PersonMessage.status.in_(PENDING_STATUSES), *conditions)
        .values(
            status="cancelled",
            cancelled_at=now or utcnow(),
            claim_token=None,
            last_error=reason,
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def stop_for_withdrawal(case_id: int, purpose: str) -> int:
    channel = CHANNEL_OF_CONSENT.get(purpose)
    if channel is None:
        return 0
    return _stop(
        PersonMessage.case_id == case_id,
        PersonMessage.channel == channel,
        reason="consent_withdrawn",
    )


def stop_for_case(case_id: int) -> int:
    return _stop(PersonMessage.case_id == case_id, reason="case_closed")


def record_opt_out(case: Case, purpose: str, via: str) -> Consent | None:
    """The person asked to stop (the e-mail's link, or STOP in reply): their consent for this
    channel is withdrawn, as if the agent had recorded it; None when none was in force."""
    consent = current_consent(case, purpose)
    if consent is None:
        return None
    consent.withdrawn_on = max(local_today(), consent.given_on)
    consent.withdrawn_by_id = None
    audit.record(None, "consent.withdrawn", case, purpose=purpose, via=via)
    emit(ConsentWithdrawn(case_id=case.id, consent_id=consent.id, purpose=purpose))
    return consent


def message_by_opt_out_token(token: str) -> PersonMessage | None:
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return db.session.scalar(
        select(PersonMessage).where(
            PersonMessage.channel == "email", PersonMessage.message_id.like(f"<{token}@%")
        )
    )


def opt_out_by_email(token: str) -> bool:
    message = message_by_opt_out_token(token)
    if message is None:
        raise MessageError(_l("This link is not valid, or the messages were already stopped."))
    return record_opt_out(message.case, "contact_email", via="email_link") is not None


# --- The case page -------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawalNote:
    purpose: str
    withdrawn_on: Any
    stopped: int


def of_case(case: Case, limit: int = 20) -> list[PersonMessage]:
    return list(
        db.session.scalars(
            select(PersonMessage)
            .where(PersonMessage.case_id == case.id)
            .order_by(PersonMessage.created_at.desc(), PersonMessage.id.desc())
            .limit(limit)
        )
    )


def withdrawals(case: Case) -> list[WithdrawalNote]:
    """Each contact consent withdrawn, with how many pending messages it stopped (one query)."""
    stopped = (
        select(func.count())
        .where(
            PersonMessage.consent_id == Consent.id,
            PersonMessage.last_error == "consent_withdrawn",
        )
        .correlate(Consent)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Consent.purpose, Consent.withdrawn_on, stopped).where(
            Consent.case_id == case.id,
            Consent.purpose.in_(tuple(CHANNEL_OF_CONSENT)),
            Consent.withdrawn_on.is_not(None),
        )
    )
    return [WithdrawalNote(*row) for row in rows]


def _happened_at(message: PersonMessage) -> datetime | None:
    return message.delivered_at or message.failed_at or message.sent_at or message.cancelled_at


def latest_of_appointment(appointment_id: int) -> list[PersonMessage]:
    """At a glance, for one appointment: the latest message of each channel (one query).

    The latest is the one whose last event (delivered, failed, sent) is the most recent; a
    message stopped (the appointment moved, a consent withdrawn) only when nothing else is
    left; and when nothing has gone yet, the next one queued."""
    messages = db.session.scalars(
        select(PersonMessage)
        .where(PersonMessage.appointment_id == appointment_id)
        .order_by(PersonMessage.id)
    ).all()
    found = []
    for channel in CHANNEL_LABELS:
        mine = [m for m in messages if m.channel == channel]
        live = [m for m in mine if m.status != "cancelled"] or mine
        happened = [m for m in live if _happened_at(m) is not None]
        if happened:
            found.append(max(happened, key=lambda m: (_happened_at(m), m.id)))
        elif live:
            found.append(min(live, key=lambda m: (m.next_attempt_at, m.id)))
    return found


def reached(messages: list[PersonMessage]) -> str | None:
    """At a glance: « delivered », « sent », « failed » or « queued » for the latest event."""
    if not messages:
        return None
    statuses = {message.status for message in messages[:4]}
    for status in ("delivered", "sent", "failed", "pending", "claimed"):
        if status in statuses:
            return status
    return None


# --- Retention -----------------------------------------------------------------------------


def anonymise_cases(case_ids: tuple[int, ...]) -> dict[str, int]:
    """The messages keep their kind, channel, status and times (the no-show measure); their
    address, text and calendar file go, and anything still pending is stopped."""
    if not case_ids:
        return {}
    _stop(PersonMessage.case_id.in_(case_ids), reason="case_closed")
    erased = db.session.execute(
        update(PersonMessage)
        .where(PersonMessage.case_id.in_(case_ids))
        .values(address=None, subject="", body="", ics=None, provider_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(ContactSettings)
        .where(ContactSettings.case_id.in_(case_ids))
        .values(phone_is_landline=False, time_zone=LOCAL_TIMEZONE)
        .execution_options(synchronize_session=False)
    )
    return {"person_messages": erased}


STOP_WORDS = frozenset({"STOP", "ARRET", "ARRÊT", "UNSUBSCRIBE", "DESABONNER", "DÉSABONNER"})


def record_sms_reply(sender: str | None, text: str | None) -> str:
    """A reply the gateway received: STOP (or ARRÊT) withdraws the SMS consent of the case last
    texted at that number; anything else is left to the agent's phone call."""
    if (text or "").strip().upper() not in STOP_WORDS:
        return "ignored"
    number = to_e164(sender)
    if number is None:
        return "unknown"
    message = db.session.scalar(
        select(PersonMessage)
        .where(PersonMessage.channel == "sms", PersonMessage.address == number)
        .order_by(PersonMessage.created_at.desc(), PersonMessage.id.desc())
        .limit(1)
    )
    if message is None:
        return "unknown"
    withdrawn = record_opt_out(message.case, "contact_sms", via="sms_reply")
    return "opted_out" if withdrawn is not None else "already"
