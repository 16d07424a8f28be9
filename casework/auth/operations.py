"""Service layer for accounts: sign-in, throttling, administration. No request, no flash."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from casework.auth.models import LoginAttempt, User
from casework.auth.passwords import (
    check_password_policy,
    generate_temporary_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from casework.auth.sessions import open_session, revoke_all_sessions, revoke_session
from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.metrics import sign_in_failed
from casework.core.roles import ROLES_WITH_ORGANISATION, ROLES_WITH_SERVICE_POINT, Role
from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.models import Organisation, Region, ServicePoint


class AccountError(DomainError):
    """A rule about accounts was broken."""


@dataclass(frozen=True)
class ThrottlePolicy:
    max_per_account: int
    max_per_address: int
    window: timedelta


class SecondStep(StrEnum):
    """What a password that was right still needs before a session opens."""

    CODE = "code"  # the user has a second factor: a code from it
    ENROL = "enrol"  # the user's role requires one and they have none yet: set it up now


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    token: str | None = None
    locked: bool = False
    second_step: SecondStep | None = None


USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{3,64}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ().-]{7,30}( ?(poste|ext\.?|x) ?[0-9]{1,6})?$", re.IGNORECASE)
# Column widths: what a client sends is cut to fit before it is stored.
USERNAME_WIDTH = 64
ADDRESS_WIDTH = 64


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _recent_failures(column, value: str, since) -> int:
    """Failures since ``since`` that came after the last success for the same key."""
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            column == value, LoginAttempt.succeeded.is_(True)
        )
    )
    start = max(since, last_success) if last_success else since
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                column == value,
                LoginAttempt.attempted_at > start,
                LoginAttempt.succeeded.is_(False),
            )
        )
        or 0
    )


def is_throttled(username: str, remote_addr: str, policy: ThrottlePolicy) -> bool:
    since = utcnow() - policy.window
    return (
        _recent_failures(LoginAttempt.username, username, since) >= policy.max_per_account
        or _recent_failures(LoginAttempt.remote_addr, remote_addr, since) >= policy.max_per_address
    )


def sign_in(username: str, password: str, remote_addr: str, policy: ThrottlePolicy) -> SignInResult:
    """Check credentials under throttling; on success open a server-side session."""
    username = normalise_username(username)[:USERNAME_WIDTH]
    remote_addr = remote_addr[:ADDRESS_WIDTH]
    if is_throttled(username, remote_addr, policy):
        audit.record(None, "login.throttled", target_type="user", username=username)
        sign_in_failed("throttled")
        return SignInResult(user=None, locked=True)
    stored_hash = db.session.scalar(select(User.password_hash).where(User.username == username))
    # The password hash takes ~50 ms of CPU on purpose: it is checked outside any transaction.
    # On SQLite a change's transaction holds the write lock (BEGIN IMMEDIATE), and twenty agents
    # signing in at once each holding it through their hash made the last ones wait past the
    # busy timeout (« database is locked »). Nothing has been written yet, so ending the
    # read-only transaction here loses nothing; throttling is checked again before recording.
    db.session.rollback()
    valid = verify_password(stored_hash, password)
    if is_throttled(username, remote_addr, policy):
        audit.record(None, "login.throttled", target_type="user", username=username)
        sign_in_failed("throttled")
        return SignInResult(user=None, locked=True)
    user = db.session.scalar(select(User).where(User.username == username))
    valid = valid and user is not None and user.password_hash == stored_hash
    succeeded = bool(user and valid and user.active)
    if not succeeded:
        db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=False))
        reason = "inactive" if valid else "credentials"
        audit.record(None, "login.failed", target=user, reason=reason)
        sign_in_failed(reason)
        return SignInResult(user=None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    second_step = _second_step(user)
    if second_step is not None:
        # Not a success yet: the attempt is counted when the code is checked, so that a known
        # password cannot clear the failures of wrong codes.
        audit.record(user, "login.password_accepted", target=user)
        return SignInResult(user=user, second_step=second_step)
    db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=True))
    return SignInResult(user=user, token=complete_sign_in(user))


def _second_step(user: User) -> SecondStep | None:
    from casework.auth import second_factor  # builds on this module

    if second_factor.is_enrolled(user):
        return SecondStep.CODE
    if second_factor.is_required(user):
        return SecondStep.ENROL
    return None


def complete_sign_in(user: User, factor: str | None = None) -> str:
    """Open the session of a user whose credentials (and code) were checked; its token."""
    if not user.active:
        raise AccountError(_l("This account is disabled."))
    user.last_login_at = utcnow()
    token = open_session(user)
    audit.record(user, "login.succeeded", target=user, **({"factor": factor} if factor else {}))
    return token


class Reauthentication(StrEnum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    THROTTLED = "throttled"


def reauthenticate(
    user: User, password: str, remote_addr: str, policy: ThrottlePolicy, purpose: str
) -> Reauthentication:
    """The signed-in user types their password again before a sensitive step (``purpose``
    names it in the audit trail, e.g. « export »).

    Attempts count with sign-in attempts: guessing here locks the account like guessing at the
    sign-in page, and a locked account cannot confirm.
    """
    remote_addr = remote_addr[:ADDRESS_WIDTH]
    if is_throttled(user.username, remote_addr, policy):
        audit.record(user, f"{purpose}.confirm_throttled", target=user)
        return Reauthentication.THROTTLED
    confirmed = verify_password(user.password_hash, password)
    db.session.add(
        LoginAttempt(username=user.username, remote_addr=remote_addr, succeeded=confirmed)
    )
    audit.record(
        user, f"{purpose}.confirmed" if confirmed else f"{purpose}.confirm_failed", target=user
    )
    return Reauthentication.CONFIRMED if confirmed else Reauthentication.REFUSED


def sign_out(user: User, token: str | None) -> None:
    revoke_session(token)
    audit.record(user, "logout", target=user)


def change_own_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(str(_l("The current password is incorrect.")), field="current_password")
    if current == new:
        raise AccountError(
            str(_l("Choose a password different from the current one.")), field="new_password"
        )
    _apply_new_password(user, new)
    user.must_change_password = False
    # Whoever knew the old password loses their sessions; this browser keeps its own.
    revoke_all_sessions(user, keep_token=user.session_token)
    audit.record(user, "user.password_changed", target=user)


def set_password(actor: User | None, user: User, password: str) -> None:
    """Set a password chosen by an operator (CLI); the user keeps it."""
    _apply_new_password(user, password)
    user.must_change_password = False
    revoke_all_sessions(user)
    audit.record(actor, "user.password_set", target=user)


def _apply_new_password(user: User, password: str) -> None:
    try:
        check_password_policy(password, username=user.username)
    except ValueError as exc:
        raise AccountError(str(exc), field="new_password") from exc
    user.password_hash = hash_password(password)


@dataclass
class AccountFields:
    username: str
    full_name: str
    email: str | None
    role: str
    region_id: int | None
    service_point_id: int | None = None
    organisation_id: int | None = None
    phone: str | None = None


def _validate_identity(fields: AccountFields) -> None:
    """Invariants that hold whatever the entry point (admin form, CLI, demo loader)."""
    fields.username = normalise_username(fields.username)
    fields.full_name = " ".join(fields.full_name.split())
    fields.email = fields.email.strip() if fields.email else None
    fields.phone = " ".join(fields.phone.split()) if fields.phone else None
    if not USERNAME_PATTERN.match(fields.username):
        raise AccountError(
            str(
                _l("3 to 64 characters: letters without accents, digits, dot, hyphen, underscore.")
            ),
            field="username",
        )
    if not 1 <= len(fields.full_name) <= 120:
        raise AccountError(str(_l("Enter a name of at most 120 characters.")), field="full_name")
    if fields.email and (len(fields.email) > 254 or not EMAIL_PATTERN.match(fields.email)):
        raise AccountError(str(_l("Enter a valid e-mail address.")), field="email")
    if fields.phone and not PHONE_PATTERN.match(fields.phone):
        raise AccountError(
            str(_l("Enter a phone number: digits, spaces, +, -, ( ) and an extension.")),
            field="phone",
        )
    if fields.role not in {role.value for role in Role}:
        raise AccountError(str(_l("Choose a role.")), field="role")


def _validate_assignment(fields: AccountFields) -> None:
    """Role, region, service point and organisation must agree with one another."""
    role = Role(fields.role)
    region = db.session.get(Region, fields.region_id) if fields.region_id else None
    if region is None:
        raise AccountError(str(_l("Choose a home region.")), field="region_id")
    if role in ROLES_WITH_SERVICE_POINT:
        point = (
            db.session.get(ServicePoint, fields.service_point_id)
            if fields.service_point_id
            else None
        )
        if point is None:
            raise AccountError(
                str(_l("This role needs a service point.")), field="service_point_id"
            )
        if point.region_id != region.id:
            raise AccountError(
                str(_l("The service point is not in the chosen region.")), field="service_point_id"
            )
    else:
        fields.service_point_id = None
    if role in ROLES_WITH_ORGANISATION:
        if (
            not fields.organisation_id
            or db.session.get(Organisation, fields.organisation_id) is None
        ):
            raise AccountError(str(_l("This role needs an organisation.")), field="organisation_id")
    else:
        fields.organisation_id = None


def _username_taken(username: str, except_id: int | None = None) -> bool:
    statement = select(User.id).where(User.username == username)
    if except_id is not None:
        statement = statement.where(User.id != except_id)
    return db.session.scalar(statement) is not None


def create_user(
    actor: User | None, fields: AccountFields, password: str | None = None
) -> tuple[User, str | None]:
    """Create an account. Without a password, a temporary one is generated and returned once."""
    _validate_identity(fields)
    if _username_taken(fields.username):
        raise AccountError(str(_l("This username is already taken.")), field="username")
    _validate_assignment(fields)
    temporary = None
    if password is None:
        temporary = generate_temporary_password()
    else:
        try:
            check_password_policy(password, username=fields.username)
        except ValueError as exc:
            raise AccountError(str(exc), field="password") from exc
    user = User(
        **vars(fields),
        password_hash=hash_password(password or temporary),
        must_change_password=temporary is not None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", target=user, role=user.role, region_id=user.region_id)
    return user, temporary


def update_user(actor: User, user: User, fields: AccountFields, expected_version: int) -> list[str]:
    """Apply changes from the admin form; returns the names of the fields that changed."""
    if user.version != expected_version:
        raise StaleEdit()
    _validate_identity(fields)
    if _username_taken(fields.username, except_id=user.id):
        raise AccountError(str(_l("This username is already taken.")), field="username")
    _validate_assignment(fields)
    if fields.role != user.role:
        _check_role_change(actor, user)
    changed = [name for name, value in vars(fields).items() if getattr(user, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, getattr(fields, name))
    if {"role", "region_id", "service_point_id", "organisation_id"} & set(changed):
        # New rights apply from the next sign-in; open sessions must not keep the old ones.
        revoke_all_sessions(user)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleEdit() from exc
    audit.record(actor, "user.updated", target=user, fields=changed)
    return changed


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(
                User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id
            )
        )
        or 0
    )


def _check_role_change(actor: User | None, user: User) -> None:
    if actor is not None and actor.id == user.id:
        raise AccountError(str(_l("You cannot change your own role.")), field="role")
    if user.role == Role.ADMIN.value and user.active and _other_active_admins(user) == 0:
        raise AccountError(str(_l("At least one active administrator must remain.")), field="role")


def set_active(actor: User | None, user: User, active: bool) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise AccountError(str(_l("You cannot disable your own account.")))
    if user.active == active:
        return
    if not active and user.role == Role.ADMIN.value and _other_active_admins(user) == 0:
        raise AccountError(str(_l("At least one active administrator must remain.")))
    user.active = active
    if not active:
        revoke_all_sessions(user)
    audit.record(actor, "user.enabled" if active else "user.disabled", target=user)


def force_password_reset(actor: User, user: User) -> str:
    """Replace the password with a temporary one, to be changed at next sign-in."""
    temporary = generate_temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    revoke_all_sessions(user)
    audit.record(actor, "user.password_reset", target=user)
    return temporary


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def user_listing(search: str = "", role: str = "", region_id: int | None = None):
    """The SELECT behind the admin list: filters applied, related rows loaded with it."""
    statement = select(User).options(
        joinedload(User.region), joinedload(User.service_point), joinedload(User.organisation)
    )
    if search:
        needle = search.lower()
        statement = statement.where(
            func.lower(User.username).contains(needle, autoescape=True)
            | func.lower(User.full_name).contains(needle, autoescape=True)
        )
    if role:
        statement = statement.where(User.role == role)
    if region_id:
        statement = statement.where(User.region_id == region_id)
    return statement.order_by(User.full_name, User.id)
