"""The second factor: time-based one-time codes (TOTP, RFC 6238, with ``pyotp``) and ten
single-use recovery codes. Service layer: no request, no flash; the caller commits.

Who must have one: administrators, supervisors, and every role that can export beyond its own
caseload (a region's lists, the audit trail) — read from the permissions policy, so a role that
gains such an export needs it too. An administrator may require it of the other roles.

Codes are throttled with passwords (``login_attempts``): a wrong code is a failed attempt, and a
code is valid once — each accepted time step is recorded and an older or equal one is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from casework.auth.models import LoginAttempt, RecoveryCode, SecondFactor, SecondFactorRole, User
from casework.auth.operations import ADDRESS_WIDTH, AccountError, ThrottlePolicy, is_throttled
from casework.auth.passwords import hash_password, verify_password
from casework.auth.sessions import revoke_all_sessions
from casework.core import audit
from casework.core.metrics import sign_in_failed
from casework.core.permissions import POLICY, Scope
from casework.core.roles import Role
from casework.core.time import utcnow
from casework.extensions import db

ISSUER = "casework"
STEP_SECONDS = 30
# A code typed just before its step ended, or on a phone a little ahead, still counts.
TOLERATED_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10  # about 49 bits each


def _exports_beyond_own(role: Role) -> bool:
    return any(
        action.startswith("reports.export_") and scopes.get(role) in (Scope.REGION, Scope.ALL)
        for action, scopes in POLICY.items()
    )


MANDATORY_ROLES = frozenset(
    {Role.ADMIN, Role.SUPERVISOR} | {role for role in Role if _exports_beyond_own(role)}
)


class CodeCheck(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Outcome:
    check: CodeCheck
    recovery_code_used: bool = False
    recovery_codes: tuple[str, ...] = ()  # new codes, shown once (after an enrolment)


# --- Who needs it -------------------------------------------------------------------------------


def required_roles() -> set[str]:
    chosen = db.session.scalars(
        select(SecondFactorRole.role).where(SecondFactorRole.required.is_(True))
    )
    return {role.value for role in MANDATORY_ROLES} | set(chosen)


def is_required(user: User) -> bool:
    return user.role in required_roles()


def set_required_roles(actor: User, roles: set[str]) -> list[str]:
    """The roles an administrator requires it of (the mandatory ones always are); returns the
    roles whose requirement changed."""
    optional = [role.value for role in Role if role not in MANDATORY_ROLES]
    current = {row.role: row for row in db.session.scalars(select(SecondFactorRole))}
    changed = []
    for role in optional:
        wanted = role in roles
        row = current.get(role)
        if (row.required if row else False) == wanted:
            continue
        if row is None:
            row = SecondFactorRole(role=role)
            db.session.add(row)
        row.required, row.changed_by_id = wanted, actor.id
        changed.append(role)
    if changed:
        audit.record(
            actor,
            "second_factor.roles_changed",
            target_type="user",
            roles=sorted(roles & set(optional)),
        )
    return changed


# --- Enrolment ----------------------------------------------------------------------------------


def factor_of(user: User) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def is_enrolled(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def start_enrolment(user: User) -> str:
    """The secret being enrolled: the same one until it is confirmed, so that the QR code does
    not change between two tries."""
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise AccountError(_l("A second factor is already set up for this account."))
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(factor)
        db.session.flush()
    return factor.secret


def enrol_without_confirmation(user: User) -> str:
    """A new confirmed secret, without the person proving their phone has it: for the demo
    accounts, whose secret is printed once on the operator's terminal. Replaces any former one."""
    _remove(user)
    secret = pyotp.random_base32()
    db.session.add(SecondFactor(user_id=user.id, secret=secret, confirmed_at=utcnow()))
    db.session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI, drawn here (no outside service sees it)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an application by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(
    user: User, code: str, remote_addr: str, policy: ThrottlePolicy, now: float | None = None
) -> Outcome:
    """The first code from the person's application proves the secret reached it; then ten
    recovery codes are made and returned once."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is not None:
        raise AccountError(_l("Start the set-up again."))
    check = _throttled_check(user, remote_addr, policy, lambda: _accept_totp(factor, code, now))
    if check is not CodeCheck.ACCEPTED:
        return Outcome(check)
    factor.confirmed_at = utcnow()
    codes = _replace_recovery_codes(user)
    audit.record(user, "user.second_factor_enrolled", target=user)
    return Outcome(check, recovery_codes=codes)


# --- Codes at sign-in ---------------------------------------------------------------------------


def verify(
    user: User, code: str, remote_addr: str, policy: ThrottlePolicy, now: float | None = None
) -> Outcome:
    """A six-digit code from the application, or one of the recovery codes."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        return Outcome(CodeCheck.REFUSED)
    typed = normalise(code)
    if typed.isdigit():
        check = _throttled_check(
            user, remote_addr, policy, lambda: _accept_totp(factor, typed, now)
        )
        return Outcome(check)
    check = _throttled_check(user, remote_addr, policy, lambda: _accept_recovery_code(user, typed))
    if check is CodeCheck.ACCEPTED:
        remaining = recovery_codes_left(user)
        audit.record(user, "user.recovery_code_used", target=user, remaining=remaining)
    return Outcome(check, recovery_code_used=check is CodeCheck.ACCEPTED)


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:32]


def _throttled_check(user: User, remote_addr: str, policy: ThrottlePolicy, accept) -> CodeCheck:
    remote_addr = (remote_addr or "-")[:ADDRESS_WIDTH]
    if is_throttled(user.username, remote_addr, policy):
        audit.record(user, "login.throttled", target=user, step="code")
        sign_in_failed("throttled")
        return CodeCheck.THROTTLED
    accepted = accept()
    db.session.add(
        LoginAttempt(username=user.username, remote_addr=remote_addr, succeeded=accepted)
    )
    if not accepted:
        audit.record(None, "login.failed", target=user, reason="code")
        sign_in_failed("code")
        return CodeCheck.REFUSED
    return CodeCheck.ACCEPTED


def _accept_totp(factor: SecondFactor, code: str, now: float | None) -> bool:
    """Whether ``code`` is the code of a time step near now not used before; that step is then
    recorded, in one conditional UPDATE, so two requests with the same code cannot both pass."""
    code = normalise(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(factor.secret)
    current = int(now if now is not None else time.time()) // STEP_SECONDS
    for step in range(current - TOLERATED_STEPS, current + TOLERATED_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            taken = db.session.execute(
                update(SecondFactor)
                .where(
                    SecondFactor.user_id == factor.user_id,
                    or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
                )
                .values(last_step=step)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.refresh(factor)
            return bool(taken)
    return False


def _accept_recovery_code(user: User, code: str) -> bool:
    unused = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for code_id, code_hash in unused:
        if verify_password(code_hash, code):
            return bool(
                db.session.execute(
                    update(RecoveryCode)
                    .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
                    .values(used_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
            )
    return False


# --- Recovery codes -----------------------------------------------------------------------------


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user: User) -> tuple[str, ...]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = tuple(_new_recovery_code() for _ in range(RECOVERY_CODES))
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(normalise(code))))
    return codes


def renew_recovery_codes(user: User) -> tuple[str, ...]:
    """Ten new codes replace the old ones (lost, or nearly used up); shown once."""
    if not is_enrolled(user):
        raise AccountError(_l("Set up the second factor first."))
    codes = _replace_recovery_codes(user)
    audit.record(user, "user.recovery_codes_renewed", target=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- Removal ------------------------------------------------------------------------------------


def _remove(user: User) -> bool:
    removed = db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return bool(removed.rowcount)


def reset(actor: Any, user: User) -> None:
    """An administrator (or the command line, ``actor`` None) removes a user's second factor,
    when the phone is lost: the user's sessions end, and the next sign-in sets up a new one."""
    _remove(user)
    revoke_all_sessions(user)
    audit.record(actor, "user.second_factor_reset", target=user)


def turn_off(user: User) -> None:
    """The user removes their own second factor, where their role does not require it."""
    if is_required(user):
        raise AccountError(_l("Your role requires a second factor: it cannot be turned off."))
    if _remove(user):
        revoke_all_sessions(user, keep_token=user.session_token)
        audit.record(user, "user.second_factor_removed", target=user)
