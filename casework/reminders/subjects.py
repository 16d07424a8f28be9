"""What a reminder is about, in words and as a link: « Cours de francisation à temps plein »
(a plan action), « Référence à PROMIS », « Rendez-vous du 13 déc. : Rencontre de suivi »…

A list of reminders is described in one query per kind of subject it holds (at most seven,
whatever its length), so the reminders pages and the case page's timeline stay bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.appointments.models import Appointment
from casework.attachments.models import Attachment
from casework.cases import choices
from casework.cases.models import Consent
from casework.core.i18n import format_moment
from casework.extensions import db
from casework.plans.models import PlanAction
from casework.referrals.models import Referral
from casework.reminders.models import Reminder


@dataclass(frozen=True)
class Subject:
    name: str  # what it is about, named
    url: str | None  # where to act on it


def _plan_actions(ids: list[int]) -> dict[int, Subject]:
    actions = db.session.scalars(
        select(PlanAction).options(joinedload(PlanAction.plan)).where(PlanAction.id.in_(ids))
    )
    return {
        a.id: Subject(a.title, url_for("plans.current", case_id=a.plan.case_id) + f"#action-{a.id}")
        for a in actions
    }


def _referrals(ids: list[int]) -> dict[int, Subject]:
    referrals = db.session.scalars(
        select(Referral).options(joinedload(Referral.organisation)).where(Referral.id.in_(ids))
    )
    return {
        r.id: Subject(
            _("Referral to %(organisation)s", organisation=r.organisation.name),
            url_for("referrals.show", referral_id=r.id),
        )
        for r in referrals
    }


def _appointments(ids: list[int]) -> dict[int, Subject]:
    appointments = db.session.scalars(
        select(Appointment).options(joinedload(Appointment.type)).where(Appointment.id.in_(ids))
    )
    return {
        a.id: Subject(
            _(
                "Appointment of %(when)s: %(type)s",
                when=format_moment(a.starts_at),
                type=a.type.label,
            ),
            url_for("appointments.show", appointment_id=a.id),
        )
        for a in appointments
    }


def _consents(ids: list[int]) -> dict[int, Subject]:
    consents = db.session.scalars(select(Consent).where(Consent.id.in_(ids)))
    return {
        c.id: Subject(
            _("Consent: %(purpose)s", purpose=choices.CONSENT_PURPOSES.get(c.purpose, c.purpose)),
            url_for("cases.consents", case_id=c.case_id),
        )
        for c in consents
    }


def _attachments(ids: list[int]) -> dict[int, Subject]:
    rows = db.session.execute(
        select(Attachment.id, Attachment.case_id, Attachment.original_name).where(
            Attachment.id.in_(ids)
        )
    )
    return {
        row.id: Subject(
            _("Document: %(name)s", name=row.original_name),
            url_for("cases.show", case_id=row.case_id) + "#documents",
        )
        for row in rows
    }


LOADERS = {
    "plan_action": _plan_actions,
    "referral": _referrals,
    "appointment": _appointments,
    "consent": _consents,
    "attachment": _attachments,
}


def describe(reminders: Iterable[Reminder]) -> dict[int, Subject]:
    """Each reminder's subject, by reminder id; one query per kind of subject present. A
    subject gone since (a deleted action) leaves the reminder undescribed."""
    reminders = list(reminders)
    wanted: dict[str, set[int]] = defaultdict(set)
    for reminder in reminders:
        if reminder.subject_type in LOADERS:
            wanted[reminder.subject_type].add(reminder.subject_id)
    found = {kind: LOADERS[kind](sorted(ids)) for kind, ids in wanted.items()}
    described = {}
    for reminder in reminders:
        subject = _own_subject(reminder) or found.get(reminder.subject_type, {}).get(
            reminder.subject_id
        )
        if subject is not None:
            described[reminder.id] = subject
    return described


def _own_subject(reminder: Reminder) -> Subject | None:
    """Subjects that need no query: the case itself, its needs assessment."""
    if reminder.case_id is None:
        return None
    if reminder.subject_type == "assessment":
        # The follow-ups due after the needs assessment (3 and 6 months): the follow-up form.
        return Subject(
            _("Follow-up interview"),
            url_for("followups.new", case_id=reminder.case_id, rappel=reminder.id),
        )
    if reminder.subject_type in ("permit", "caq"):
        name = _("Permit expiry") if reminder.subject_type == "permit" else _("CAQ expiry")
        return Subject(name, url_for("cases.show", case_id=reminder.case_id) + "#resume")
    if reminder.subject_type == "case":
        return Subject(_("The case file"), url_for("cases.show", case_id=reminder.case_id))
    return None
