"""The one permissions policy: role × action × scope.

Every view declares the action it performs with ``@requires(action)`` (or ``@public``).
A request guard enforces the declaration on every request and fails closed: a view that
declares nothing is refused. Object-level scope (own caseload, own region, own organisation)
is checked in ``load_or_abort``, the single place where views fetch objects by id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from casework.core import audit
from casework.core.roles import Role
from casework.extensions import db

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ACTION_ATTRIBUTE = "casework_action"
# Flask's own static route cannot carry a decorator.
PUBLIC_ENDPOINTS = frozenset({"static"})


class Scope(StrEnum):
    ALL = "all"
    REGION = "region"
    ORGANISATION = "organisation"
    CASELOAD = "caseload"
    SELF = "self"


EVERY_ROLE = tuple(Role)


def _grant(roles: tuple[Role, ...], scope: Scope) -> dict[Role, Scope]:
    return dict.fromkeys(roles, scope)


POLICY: dict[str, dict[Role, Scope]] = {
    "home.view": _grant(EVERY_ROLE, Scope.SELF),
    "account.manage": _grant(EVERY_ROLE, Scope.SELF),
    # Each user's own notifications and their e-mail preferences (a notification's link is then
    # checked against the action that reads what it opens).
    "notifications.read": _grant(EVERY_ROLE, Scope.SELF),
    "reference.view": _grant(EVERY_ROLE, Scope.ALL),
    "users.manage": {Role.ADMIN: Scope.ALL},
    # API tokens for machine clients (casework/api): issued and revoked by administrators.
    "api_tokens.manage": {Role.ADMIN: Scope.ALL},
    # The organisation directory: the region's advisors keep their region's entries up to date.
    "organisations.manage": {Role.ADVISOR: Scope.REGION, Role.ADMIN: Scope.ALL},
    # The in-demand occupations list and its priorities (requalification referrals).
    "occupations.manage": {Role.ADMIN: Scope.ALL},
    # Case files. Agents see their own caseload only: colleagues at the same service point do
    # not read each other's files (least privilege); cover for an absence goes through a
    # transfer. Airport staff, partner users and administrators have no access to case files.
    "cases.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "cases.create": {Role.AGENT: Scope.CASELOAD},
    "cases.edit": {Role.AGENT: Scope.CASELOAD},
    "cases.transfer": {Role.AGENT: Scope.CASELOAD, Role.SUPERVISOR: Scope.REGION},
    "cases.access_log": {Role.SUPERVISOR: Scope.REGION},
    "transfers.respond": {Role.AGENT: Scope.SELF},
    # Documents of a case: read as the case is read; attached, shared and deleted by its agent
    # (a supervisor may delete one, e.g. filed on the wrong case). Partner users reach only what
    # was shared with their organisation's referral, through that referral.
    "attachments.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "attachments.upload": {Role.AGENT: Scope.CASELOAD},
    "attachments.share": {Role.AGENT: Scope.CASELOAD},
    "attachments.manage": {Role.AGENT: Scope.CASELOAD, Role.SUPERVISOR: Scope.REGION},
    "attachments.partner": {Role.PARTNER: Scope.ORGANISATION},
    "assessments.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "assessments.edit": {Role.AGENT: Scope.CASELOAD},
    "plans.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "plans.edit": {Role.AGENT: Scope.CASELOAD},
    # Follow-up interviews: recorded by the case's agent; read as the case is read.
    "followups.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "followups.record": {Role.AGENT: Scope.CASELOAD},
    # Referrals: partner users see only those sent to their organisation, with the minimum a
    # referral needs (never the case file).
    "referrals.read": {
        Role.AGENT: Scope.CASELOAD,
        Role.ADVISOR: Scope.REGION,
        Role.SUPERVISOR: Scope.REGION,
        Role.PARTNER: Scope.ORGANISATION,
    },
    "referrals.create": {Role.AGENT: Scope.CASELOAD},
    "referrals.review": {Role.ADVISOR: Scope.REGION, Role.SUPERVISOR: Scope.REGION},
    # Whether a region's referrals need an advisor's approval before they are sent.
    "referrals.configure": {Role.ADMIN: Scope.ALL},
    "referrals.transition": {
        Role.AGENT: Scope.CASELOAD,
        Role.ADVISOR: Scope.REGION,
        Role.PARTNER: Scope.ORGANISATION,
    },
    # Appointments. The airport counter books for anyone arriving, then sees only what it
    # entered (its booking record), never the case file that booking opened.
    "airport.use": {Role.AIRPORT: Scope.ALL},
    "airport.bookings": {Role.AIRPORT: Scope.SELF},
    # The refugees in the airport service's care until they leave for their host city: the
    # team's shared list (whoever is on shift records the departure), no case file.
    "airport.receptions": {Role.AIRPORT: Scope.ALL},
    # Persons the ministry's systems announce (issue 22): the team's shared list, and what turns
    # one into a case and a booking (the console's own rules then apply).
    "airport.arrivals": {Role.AIRPORT: Scope.ALL},
    # Posted through the API by a token with the arrivals:write scope, issued by an administrator
    # for the ministry's system account (an airport or administrator account).
    "arrivals.announce": {Role.AIRPORT: Scope.ALL, Role.ADMIN: Scope.ALL},
    "appointments.calendar": {Role.AGENT: Scope.SELF, Role.SUPERVISOR: Scope.REGION},
    "appointments.read": {Role.AGENT: Scope.CASELOAD, Role.SUPERVISOR: Scope.REGION},
    # Supervisors may move or cancel an absent agent's appointments.
    "appointments.manage": {Role.AGENT: Scope.CASELOAD, Role.SUPERVISOR: Scope.REGION},
    "appointments.book": {Role.AGENT: Scope.CASELOAD},
    "availability.manage": {Role.AGENT: Scope.SELF, Role.SUPERVISOR: Scope.REGION},
    "appointments.configure": {Role.ADMIN: Scope.ALL},
    # Reminders: an agent sees and handles their own; a supervisor those of the region (and only
    # a supervisor hands one to another agent); the rules are the administrators'.
    "reminders.read": {Role.AGENT: Scope.SELF, Role.SUPERVISOR: Scope.REGION},
    "reminders.act": {Role.AGENT: Scope.SELF, Role.SUPERVISOR: Scope.REGION},
    "reminders.reassign": {Role.SUPERVISOR: Scope.REGION},
    "reminders.rules": {Role.ADMIN: Scope.ALL},
    # The texts of the messages sent to persons (confirmations, reminders).
    "messages.templates": {Role.ADMIN: Scope.ALL},
    "audit.view": {Role.ADMIN: Scope.ALL},
    # Reports. Dashboards show aggregates of a region (all regions for an administrator).
    "reports.dashboard": {
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
        Role.ADMIN: Scope.ALL,
    },
    # The action plan's indicators (issue 19): aggregates of a region, the province for an
    # administrator; small counts shown as « < 5 »; each figure links to its cases for those
    # who read them.
    "reports.indicators": {
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
        Role.ADMIN: Scope.ALL,
    },
    # Lists as CSV: the same rows the user already reads on screen, no more.
    "reports.export_caseload": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    "reports.export_referrals": {
        Role.AGENT: Scope.CASELOAD,
        Role.ADVISOR: Scope.REGION,
        Role.SUPERVISOR: Scope.REGION,
        Role.PARTNER: Scope.ORGANISATION,
    },
    "reports.export_reminders": {Role.AGENT: Scope.SELF, Role.SUPERVISOR: Scope.REGION},
    "reports.export_audit": {Role.ADMIN: Scope.ALL},
    # The right of access: a copy of the person's whole file, for those who may read the case.
    "reports.export_file": {
        Role.AGENT: Scope.CASELOAD,
        Role.SUPERVISOR: Scope.REGION,
        Role.ADVISOR: Scope.REGION,
    },
    # Re-entering one's password before a bulk export.
    "reports.confirm": _grant(
        (Role.AGENT, Role.ADVISOR, Role.SUPERVISOR, Role.PARTNER, Role.ADMIN), Scope.SELF
    ),
}


def requires(action: str) -> Callable[[F], F]:
    """Declare the action a view performs; the request guard enforces it."""
    if action not in POLICY:
        raise ValueError(f"unknown action {action!r}: add it to POLICY first")

    def mark(view: F) -> F:
        setattr(view, ACTION_ATTRIBUTE, action)
        return view

    return mark


def public(view: F) -> F:
    """Declare a view reachable without signing in (login page, health check)."""
    setattr(view, ACTION_ATTRIBUTE, PUBLIC)
    return view


def declared_action(endpoint: str) -> str | None:
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACTION_ATTRIBUTE, None)


def scope_for(role: Role | str | None, action: str) -> Scope | None:
    if role is None:
        return None
    return POLICY.get(action, {}).get(Role(role))


def can(user: Any, action: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        scope_for(getattr(user, "role", None), action) is not None
    )


def enforce_policy():
    """``before_request`` guard: the declared action must be granted to the user's role."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing already failed; the 404/405 handler answers
    action = declared_action(endpoint)
    if action == PUBLIC:
        return None
    if action is None:
        log.error("endpoint %s declares no permission; refused", endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if scope_for(current_user.role, action) is None:
        record_role_denial(action)
        abort(403)
    return None


# URL arguments that name an object whose refusals belong in its access log.
AUDITED_URL_OBJECTS = {
    "case_id": "case",
    "transfer_id": "transfer",
    "referral_id": "referral",
    "appointment_id": "appointment",
    "user_id": "user",
    "reminder_id": "reminder",
}


def record_role_denial(action: str) -> None:
    """A role refused before any object is loaded still leaves a trace on that object."""
    for argument, target_type in AUDITED_URL_OBJECTS.items():
        if argument in (request.view_args or {}):
            audit.record(
                current_user,
                action,
                target_type=target_type,
                target_id=request.view_args[argument],
                outcome="denied",
            )
            db.session.commit()
            return


def in_scope(user: Any, scope: Scope, obj: Any) -> bool:
    """Whether ``obj`` lies inside ``scope`` for ``user``; objects expose the keys they have."""
    if scope is Scope.ALL:
        return True
    if scope is Scope.REGION:
        regions = set(region_ids(user))
        served = getattr(obj, "region_ids", None)  # an organisation serves several regions
        if served is not None:
            return bool(regions.intersection(served))
        return getattr(obj, "region_id", None) in regions
    if scope is Scope.ORGANISATION:
        return getattr(obj, "organisation_id", None) == user.organisation_id
    if scope is Scope.CASELOAD:
        return getattr(obj, "agent_id", None) == user.id
    if scope is Scope.SELF:
        return obj is user or getattr(obj, "user_id", None) == user.id
    return False


def region_ids(user: Any) -> list[int]:
    """The regions of a region-scoped user: the territory of the directorate that covers their
    region (``scope_region_ids``, from the reference data); every region-scoped check and
    filter goes through here."""
    regions = getattr(user, "scope_region_ids", None)
    return list(regions) if regions is not None else [user.region_id]


M = TypeVar("M")


def load_or_abort(model: type[M], ident: Any, action: str) -> M:
    """Fetch an object by id for ``action``: 404 when absent, 403 when outside the user's scope."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    scope = scope_for(current_user.role, action)
    if scope is None or not in_scope(current_user, scope, obj):
        deny(action, obj)
    return obj


def record_denial(action: str, obj: Any = None, **target: Any) -> None:
    """A refused access to a file is itself a fact to keep: written and committed now, because
    the 403 that follows ends the request (and its unit of work rolls back)."""
    db.session.rollback()
    audit.record(current_user, action, obj, outcome="denied", **target)
    db.session.commit()


def deny(action: str, obj: Any = None, **target: Any) -> NoReturn:
    """Refuse the request (403), keeping the refusal in the audit trail."""
    record_denial(action, obj, **target)
    abort(403)
