"""The audit trail: one row per read or change of something that matters, never updated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Select, String, event, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from casework.core.db import reads_before_writing
from casework.core.events import ExtensionPoint
from casework.core.time import utcnow
from casework.extensions import db

# What the trail shows a person; the code stays beside it for searching and for exports.
ACTION_LABELS = {
    "login.succeeded": _l("Signed in"),
    "login.failed": _l("Failed sign-in"),
    "login.throttled": _l("Sign-in refused (too many attempts)"),
    "login.password_accepted": _l("Password accepted, code asked"),
    "logout": _l("Signed out"),
    "api_token.created": _l("API token issued"),
    "api_token.revoked": _l("API token revoked"),
    "user.created": _l("Account created"),
    "user.updated": _l("Account changed"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account re-enabled"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.password_set": _l("Password set from the command line"),
    "user.password_changed": _l("Password changed by its owner"),
    "user.second_factor_enrolled": _l("Second factor set up"),
    "user.second_factor_reset": _l("Second factor reset"),
    "user.second_factor_removed": _l("Second factor turned off by its owner"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.recovery_codes_renewed": _l("Recovery codes renewed"),
    "second_factor.roles_changed": _l("Roles requiring a second factor changed"),
    "case.opened": _l("Case opened"),
    "case.viewed": _l("File read"),
    "case.updated": _l("Case status changed"),
    "person.updated": _l("Person's record changed"),
    "household.added": _l("Household member added"),
    "household.removed": _l("Household member removed"),
    "household.updated": _l("Household member changed"),
    "interaction.added": _l("Timeline entry added"),
    "consent.given": _l("Consent recorded"),
    "consent.withdrawn": _l("Consent withdrawn"),
    "transfer.requested": _l("Transfer requested"),
    "transfer.accepted": _l("Transfer accepted"),
    "transfer.declined": _l("Transfer declined"),
    "transfer.cancelled": _l("Transfer cancelled"),
    "cases.listed": _l("Caseload listed"),
    "cases.searched": _l("Cases searched"),
    "cases.duplicates_shown": _l("Likely duplicates shown"),
    "case.access_log_viewed": _l("Access log read"),
    "assessment.started": _l("Assessment started"),
    "assessment.saved": _l("Assessment draft saved"),
    "assessment.completed": _l("Assessment completed"),
    "assessment.viewed": _l("Assessment read"),
    "assessment.compared": _l("Assessment versions compared"),
    "plan.viewed": _l("Plan read"),
    "plan.generated": _l("Plan built from the assessment"),
    "plan.action_added": _l("Plan action added"),
    "plan.action_removed": _l("Plan action removed"),
    "plan.action_moved": _l("Plan action moved"),
    "plan.scheduled": _l("Plan due dates changed"),
    "plan.finalised": _l("Plan finalised"),
    "plan.action_status": _l("Plan action followed up"),
    "plan.printed": _l("Plan printed for the person"),
    "organisation.updated": _l("Organisation changed in the directory"),
    "organisations.manage": _l("Directory change"),
    "referral.created": _l("Referral drafted"),
    "referral.viewed": _l("Referral read"),
    "referral.suggestions_viewed": _l("Organisations suggested"),
    "referral.submitted": _l("Referral submitted for review"),
    "referral.approved": _l("Referral approved"),
    "referral.returned": _l("Referral returned to the agent"),
    "referral.revised": _l("Referral changed by the agent"),
    "referral.sent": _l("Referral sent to the organisation"),
    "referral.accepted": _l("Referral accepted by the organisation"),
    "referral.declined": _l("Referral declined by the organisation"),
    "referral.completed": _l("Referral completed"),
    "referral.not_completed": _l("Referral not completed"),
    "referral.outcome_reported": _l("Referral outcome reported by the organisation"),
    "referral.outcome_confirmed": _l("Referral outcome confirmed at a follow-up"),
    "referral.outcome_corrected": _l("Referral outcome corrected at a follow-up"),
    "follow_up.recorded": _l("Follow-up recorded"),
    "follow_up.history_viewed": _l("Follow-up history read"),
    "followups.read": _l("Follow-ups"),
    "followups.record": _l("Follow-up recording"),
    "referrals.listed": _l("Referrals listed"),
    "referrals.read": _l("Referral read"),
    "referrals.create": _l("Referral drafting"),
    "referrals.transition": _l("Referral decision"),
    "plans.read": _l("Plan read"),
    "plans.edit": _l("Plan change"),
    "cases.read": _l("File read"),
    "cases.edit": _l("File change"),
    "cases.transfer": _l("Transfer"),
    "cases.access_log": _l("Access log read"),
    "assessments.read": _l("Assessment read"),
    "assessments.edit": _l("Assessment change"),
    "appointment.booked": _l("Appointment booked"),
    "appointment.viewed": _l("Appointment read"),
    "appointment.rescheduled": _l("Appointment moved"),
    "appointment.handed_over": _l("Appointment handed over with the case"),
    "appointment.cancelled": _l("Appointment cancelled"),
    "appointment.done": _l("Appointment held"),
    "appointment.no_show": _l("Appointment missed (no-show)"),
    "messages.template_read": _l("Message template read"),
    "messages.template_saved": _l("Message template changed"),
    "messages.template_reset": _l("Message template back to its original"),
    "messages.contact_settings": _l("How the person may be reached changed"),
    "appointment_type.updated": _l("Appointment duration changed"),
    "availability.added": _l("Availability added"),
    "availability.removed": _l("Availability removed"),
    "availability.exception_added": _l("Absence recorded"),
    "availability.exception_removed": _l("Absence removed"),
    "airport.use": _l("Airport console"),
    "airport.bookings": _l("Airport booking slip"),
    "appointments.calendar": _l("Calendar read"),
    "appointments.read": _l("Appointment read"),
    "appointments.manage": _l("Appointment change"),
    "appointments.book": _l("Appointment booking"),
    "availability.manage": _l("Availability change"),
    "reminder.completed": _l("Reminder completed"),
    "reminder.snoozed": _l("Reminder snoozed"),
    "reminder.reassigned": _l("Reminder handed to another agent"),
    "reminder.retried": _l("Reminder e-mail sent again"),
    "reminders.read": _l("Reminders read"),
    "reminders.act": _l("Reminder handled"),
    "reminders.reassign": _l("Reminder reassignment"),
    "reminders.rules": _l("Follow-up rules"),
    "notifications.read": _l("Notifications read"),
    "notifications.preferences": _l("Notification preferences changed"),
    "follow_up_rule.updated": _l("Follow-up rule changed"),
    "retention.run": _l("Retention: closed cases anonymised"),
    "dashboard.viewed": _l("Dashboard read"),
    "indicators.viewed": _l("Action plan indicators read"),
    "export.caseload": _l("Caseload exported (CSV)"),
    "export.referrals": _l("Referrals exported (CSV)"),
    "export.reminders": _l("Reminders exported (CSV)"),
    "export.audit": _l("Audit trail exported (CSV)"),
    "export.dashboard": _l("Dashboard table exported (CSV)"),
    "export.indicators": _l("Action plan indicators exported (CSV)"),
    "export.person_file": _l("Person's whole file exported"),
    "export.analytics": _l("De-identified analytics extract written"),
    "export.confirmed": _l("Password re-entered for exports"),
    "export.confirm_failed": _l("Wrong password for exports"),
    "export.confirm_throttled": _l("Exports refused (too many attempts)"),
    "attachment.uploaded": _l("Document attached"),
    "attachment.refused": _l("Document refused"),
    "attachment.downloaded": _l("Document downloaded"),
    "attachment.previewed": _l("Document previewed"),
    "attachment.shared": _l("Document shared with an organisation"),
    "attachment.deleted": _l("Document deleted"),
    "attachment.scanned": _l("Document scanned after a wait"),
    "attachment.infected": _l("Document destroyed: threat found"),
    "attachments.read": _l("Documents"),
    "attachments.upload": _l("Document upload"),
    "attachments.share": _l("Document sharing"),
    "attachments.manage": _l("Document change"),
    "attachments.partner": _l("Shared document"),
    "airport_reception.welcomed": _l("Refugee welcomed at the airport"),
    "airport_reception.left": _l("Refugee left for the host city"),
    "arrival.announced": _l("Expected arrival announced"),
    "arrivals.listed": _l("Expected arrivals read"),
    "arrival.viewed": _l("Expected arrival read"),
    "arrival.received": _l("Expected arrival received: case opened"),
    "retention.arrivals": _l("Retention: expected arrivals deleted"),
    "airport.arrivals": _l("Expected arrivals"),
    "arrivals.announce": _l("Expected arrival posting"),
    "occupation.created": _l("In-demand occupation added"),
    "occupation.updated": _l("In-demand occupation changed"),
    "referral_approval.set": _l("Referral approval rule set"),
    "reports.dashboard": _l("Dashboard"),
    "reports.indicators": _l("Action plan indicators"),
    "reports.export_caseload": _l("Caseload export"),
    "reports.export_referrals": _l("Referrals export"),
    "reports.export_reminders": _l("Reminders export"),
    "reports.export_audit": _l("Audit trail export"),
    "reports.export_file": _l("File export"),
    # Permissions refused before an object was loaded (their audit rows name the permission).
    "home.view": _l("Home page"),
    "account.manage": _l("Own account"),
    "reference.view": _l("Reference data"),
    "users.manage": _l("Account administration"),
    "cases.create": _l("Case opening"),
    "transfers.respond": _l("Transfer answer"),
    "referrals.review": _l("Referral review"),
    "appointments.configure": _l("Appointment types"),
    "audit.view": _l("Audit trail read"),
    "reports.confirm": _l("Password for exports"),
    "airport.receptions": _l("Airport receptions"),
    "api_tokens.manage": _l("API tokens"),
    "messages.templates": _l("Message templates"),
    "occupations.manage": _l("In-demand occupations list"),
    "referrals.configure": _l("Referral approval settings"),
}
TARGET_LABELS = {
    "api_token": _l("API token"),
    "user": _l("Account"),
    "case": _l("Case"),
    "transfer": _l("Transfer"),
    "referral": _l("Referral"),
    "organisation": _l("Organisation"),
    "appointment": _l("Appointment"),
    "appointment_type": _l("Appointment type"),
    "availability": _l("Availability"),
    "availability_exception": _l("Absence"),
    "airport_booking": _l("Airport booking"),
    "expected_arrival": _l("Expected arrival"),
    "reminder": _l("Reminder"),
    "notification": _l("Notification"),
    "follow_up_rule": _l("Follow-up rule"),
    "dashboard": _l("Dashboard"),
    "analytics": _l("Analytics extract"),
}


# The details of a list's row that name the objects it showed (a read of each of them).
LISTED = ("case_ids", "referral_ids", "reminder_ids")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="ok")  # ok | denied
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    # Identifiers and field names only: the trail must not become a second copy of the file.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    # Resolved by name so that core does not import the auth package.
    actor = relationship("User", lazy="raise")

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def actor_role_label(self) -> str:
        from casework.core.roles import ROLE_LABELS, Role

        return (
            str(ROLE_LABELS[Role(self.actor_role)])
            if self.actor_role in Role._value2member_map_
            else ""
        )

    @property
    def target_label(self) -> str:
        return str(TARGET_LABELS.get(self.target_type or "", self.target_type or ""))

    def target_text(self, names: dict[tuple[str, str], str]) -> str:
        """« Case 2026-06-000123 », « Referral #12 »; for a list, how many it showed."""
        if not self.target_type:
            return ""
        if self.target_id is None:
            shown = next((v for k, v in (self.details or {}).items() if k in LISTED), None)
            if isinstance(shown, list):
                return str(_l("%(label)s: %(num)d shown", label=self.target_label, num=len(shown)))
            return self.target_label
        name = names.get((self.target_type, self.target_id))
        return f"{self.target_label} {name}" if name else f"{self.target_label} #{self.target_id}"


def record(
    actor: Any,
    action: str,
    target: Any = None,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    outcome: str = "ok",
    **details: Any,
) -> None:
    """Add an audit event to the current transaction (the caller commits).

    The client address is taken from the request when there is one: every row needs its origin,
    and threading it through every operation's signature would add noise, not safety.
    """
    if target is not None:
        target_type = target_type or getattr(
            target, "audit_type", target.__class__.__name__.lower()
        )
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    if has_request_context() and g.get("api_token_id"):
        details.setdefault("api_token", g.api_token_id)  # which machine client did it
    values = {
        "occurred_at": utcnow(),
        "actor_id": getattr(actor, "id", actor),
        "actor_role": getattr(actor, "role", None),
        "action": action,
        "outcome": outcome,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "details": details,
        "remote_addr": request.remote_addr if has_request_context() else None,
    }
    session = db.session()
    if reads_before_writing() and not session.in_nested_transaction():
        if not session.in_transaction():
            session.begin()  # so that a rollback before the commit takes the rows with it
        session.info.setdefault(_PAGE_TRACES, []).append(values)
    else:
        session.add(AuditEvent(**values))


# A page's audit rows (a read, a search), written by one INSERT when its unit of work commits.
# Through the ORM, the row's flush ran between SQLite's BEGIN IMMEDIATE and COMMIT, in Python:
# under load the write lock was held 0.32 ms (median) rather than 0.19, and a page that found
# it taken slept a millisecond or more (issue 23). A page's rows are never read before it
# commits (its queries do not flush: core.db.register_page_reads).
_PAGE_TRACES = "casework_page_audit_rows"


@event.listens_for(Session, "before_commit")
def _write_page_traces(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the rows wait for the outer commit
    rows = session.info.pop(_PAGE_TRACES, None)
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_page_traces(session: Session, transaction: Any) -> None:
    # Whatever ended the outer transaction (a commit has written them already; a rollback, or a
    # close that fires no rollback event), its rows go with it. A savepoint's end, or a flush's
    # inner transaction, is not the page's.
    if transaction.parent is None:
        session.info.pop(_PAGE_TRACES, None)


@dataclass(frozen=True)
class AuditTarget:
    """How the trail names the objects of one ``target_type`` (a case by its number): ``names``
    gets the page's target ids and returns their names (one query); ``find`` turns what an
    administrator typed into a target id, or None."""

    target_type: str
    names: Callable[[list[str]], dict[str, str]]
    find: Callable[[str], str | None]


AUDIT_TARGETS: ExtensionPoint[AuditTarget] = ExtensionPoint(
    "audit.targets", "how the audit trail names and finds the objects of a feature (cases)"
)


def target_finder(target_type: str) -> AuditTarget | None:
    return next((t for t in AUDIT_TARGETS if t.target_type == target_type), None)


def target_names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """The names of the events' targets, by (type, id), one query per type that has a namer."""
    names: dict[tuple[str, str], str] = {}
    for target in AUDIT_TARGETS:
        ids = sorted(
            {e.target_id for e in events if e.target_type == target.target_type and e.target_id}
        )
        if ids:
            found = target.names(ids)
            names.update({(target.target_type, ident): name for ident, name in found.items()})
    return names


@dataclass(frozen=True)
class TrailFilters:
    """What the trail is narrowed to; each part optional. ``start`` and ``end`` are UTC
    (``end`` excluded)."""

    action: str = ""
    actor_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    start: datetime | None = None
    end: datetime | None = None


def trail(filters: TrailFilters | None = None) -> Select:
    """The audit trail, newest first, narrowed by ``filters``. An action ending with a dot is a
    family (« referral. »)."""
    filters = filters or TrailFilters()
    statement = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if filters.action.endswith("."):
        statement = statement.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.target_type:
        statement = statement.where(
            AuditEvent.target_type == filters.target_type,
            AuditEvent.target_id == filters.target_id,
        )
    if filters.start is not None:
        statement = statement.where(AuditEvent.occurred_at >= filters.start)
    if filters.end is not None:
        statement = statement.where(AuditEvent.occurred_at < filters.end)
    return statement
