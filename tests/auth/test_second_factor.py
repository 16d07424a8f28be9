"""The second factor through the service layer: who needs it, enrolment, codes valid once,
recovery codes, throttling with passwords, reset. Driven with pyotp, as a phone would be."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from casework.auth import operations, second_factor
from casework.auth.models import RecoveryCode, SecondFactor, User, UserSession
from casework.auth.operations import SecondStep, ThrottlePolicy
from casework.core.audit import AuditEvent
from casework.extensions import db

POLICY = ThrottlePolicy(max_per_account=5, max_per_address=20, window=timedelta(minutes=15))
ADDRESS = "192.0.2.10"


def _user(record) -> User:
    return db.session.get(User, record.id)


def _enrol(user: User) -> tuple[str, tuple[str, ...]]:
    secret = second_factor.start_enrolment(user)
    outcome = second_factor.confirm_enrolment(user, pyotp.TOTP(secret).now(), ADDRESS, POLICY)
    assert outcome.check is second_factor.CodeCheck.ACCEPTED
    db.session.commit()
    return secret, outcome.recovery_codes


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * second_factor.STEP_SECONDS)


def test_administrators_supervisors_and_region_exporters_must_have_it(ctx, make_user):
    assert {role.value for role in second_factor.MANDATORY_ROLES} == {
        "admin",
        "supervisor",
        "advisor",  # exports a region's caseload and referrals
    }
    for role, required in (("admin", True), ("supervisor", True), ("agent", False)):
        assert (
            second_factor.is_required(_user(make_user(role=role, second_factor=False))) is required
        )


def test_an_administrator_can_require_it_of_another_role(ctx, make_user):
    admin, agent = (
        _user(make_user(role="admin", second_factor=False)),
        _user(make_user(role="agent", second_factor=False)),
    )
    assert second_factor.set_required_roles(admin, {"agent", "partner"}) == ["agent", "partner"]
    db.session.commit()
    assert second_factor.is_required(agent)
    assert second_factor.set_required_roles(admin, {"partner"}) == ["agent"]
    assert not second_factor.is_required(agent)
    # The mandatory roles cannot be let off.
    second_factor.set_required_roles(admin, set())
    assert second_factor.is_required(admin)


def test_sign_in_asks_for_enrolment_then_for_a_code(ctx, make_user):
    record = make_user(role="supervisor", second_factor=False)
    result = operations.sign_in(record.username, record.password, ADDRESS, POLICY)
    assert (result.second_step, result.token) == (SecondStep.ENROL, None)
    db.session.commit()
    _enrol(_user(record))
    result = operations.sign_in(record.username, record.password, ADDRESS, POLICY)
    assert (result.second_step, result.token) == (SecondStep.CODE, None)
    assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == record.id)) is None


def test_an_agent_without_a_second_factor_signs_in_with_the_password(ctx, make_user):
    record = make_user(role="agent", second_factor=False)
    result = operations.sign_in(record.username, record.password, ADDRESS, POLICY)
    assert result.second_step is None and result.token


def test_enrolment_keeps_its_secret_until_confirmed_and_makes_ten_hashed_recovery_codes(
    ctx, make_user
):
    user = _user(make_user(role="admin", second_factor=False))
    secret = second_factor.start_enrolment(user)
    assert second_factor.start_enrolment(user) == secret  # the QR code does not change
    assert not second_factor.is_enrolled(user)
    wrong = second_factor.confirm_enrolment(user, "000000", ADDRESS, POLICY)
    assert wrong.check is second_factor.CodeCheck.REFUSED and not wrong.recovery_codes
    _, codes = _enrol(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    )
    assert all(code not in hashed for hashed in stored for code in codes)
    assert second_factor.is_enrolled(user)
    uri = second_factor.provisioning_uri(user, secret)
    assert uri.startswith("otpauth://totp/") and secret in uri
    assert second_factor.qr_code_svg(uri).startswith("data:image/svg+xml")


def test_a_code_is_valid_once(ctx, make_user):
    user = _user(make_user(role="admin", second_factor=False))
    secret, _ = _enrol(user)
    code = _code(secret, steps_ahead=1)  # the enrolment used the current step
    assert second_factor.verify(user, code, ADDRESS, POLICY).check == "accepted"
    assert second_factor.verify(user, code, ADDRESS, POLICY).check == "refused"
    # An older step than the last accepted one is refused too, even if still in the window.
    assert second_factor.verify(user, _code(secret), ADDRESS, POLICY).check == "refused"


def test_a_recovery_code_works_once(ctx, make_user):
    user = _user(make_user(role="supervisor", second_factor=False))
    _, codes = _enrol(user)
    typed = codes[3].upper().replace("-", " ")  # typed loosely from a printout
    first = second_factor.verify(user, typed, ADDRESS, POLICY)
    assert first.check == "accepted" and first.recovery_code_used
    assert second_factor.verify(user, codes[3], ADDRESS, POLICY).check == "refused"
    assert second_factor.recovery_codes_left(user) == 9


def test_six_wrong_codes_lock_like_passwords(ctx, make_user):
    record = make_user(role="admin", second_factor=False)
    user = _user(record)
    secret, _ = _enrol(user)
    for _ in range(5):
        assert second_factor.verify(user, "123456", ADDRESS, POLICY).check == "refused"
    db.session.commit()
    # The sixth attempt is refused whatever it carries, and so is the password for a while.
    sixth = second_factor.verify(user, _code(secret, 1), ADDRESS, POLICY)
    assert sixth.check == "throttled"
    assert operations.sign_in(record.username, record.password, ADDRESS, POLICY).locked


def test_a_known_password_does_not_clear_wrong_codes(ctx, make_user):
    record = make_user(role="admin", second_factor=False)
    user = _user(record)
    _enrol(user)
    for _ in range(3):
        second_factor.verify(user, "111111", ADDRESS, POLICY)
    db.session.commit()  # each attempt is a request of its own
    assert operations.sign_in(record.username, record.password, ADDRESS, POLICY).second_step
    for _ in range(2):
        second_factor.verify(user, "222222", ADDRESS, POLICY)
    assert second_factor.verify(user, "333333", ADDRESS, POLICY).check == "throttled"


def test_a_reset_removes_the_factor_ends_sessions_and_is_audited(ctx, make_user):
    admin = _user(make_user(role="admin", second_factor=False))
    record = make_user(role="supervisor", second_factor=False)
    user = _user(record)
    _enrol(user)
    operations.complete_sign_in(user)
    db.session.commit()
    second_factor.reset(admin, user)
    db.session.commit()
    assert db.session.get(SecondFactor, user.id) is None
    assert not db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert all(
        s.revoked_at is not None
        for s in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id))
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    )
    assert (event.actor_id, event.target_id) == (admin.id, str(user.id))
    result = operations.sign_in(record.username, record.password, ADDRESS, POLICY)
    assert result.second_step is SecondStep.ENROL


def test_only_optional_roles_may_turn_it_off(ctx, make_user):
    supervisor, agent = (
        _user(make_user(role="supervisor", second_factor=False)),
        _user(make_user(role="agent", second_factor=False)),
    )
    _enrol(supervisor)
    _enrol(agent)
    with pytest.raises(operations.AccountError):
        second_factor.turn_off(supervisor)
    second_factor.turn_off(agent)
    assert not second_factor.is_enrolled(agent)
