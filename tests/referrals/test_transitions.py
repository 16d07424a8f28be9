"""The referral state machine, pair by pair: every move it does not allow is refused with 409 and
changes nothing; every move it allows succeeds for its role only."""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.referrals.models import Disclosure, Referral, ReferralEvent
from casework.referrals.operations import STATUSES, TRANSITIONS
from casework.referrals.views import MOVE_PATHS
from tests import helpers

ROLES = ("agent", "advisor", "partner")
# The lifecycle of issue 4, written out here rather than read from the code, so that a move added
# to the code by mistake fails below: draft → submitted → approved, or returned (with a comment)
# and submitted again → sent → accepted, or declined (with a reason) → completed or not completed.
LIFECYCLE = {
    ("draft", "submitted"): "agent",
    ("returned", "submitted"): "agent",
    ("submitted", "approved"): "advisor",
    ("submitted", "returned"): "advisor",
    ("approved", "sent"): "agent",
    ("sent", "accepted"): "partner",
    ("sent", "declined"): "partner",
    ("accepted", "completed"): "partner",
    ("accepted", "not_completed"): "partner",
}
# Where an administrator lets a region's agents send a kind of referral without an advisor's
# approval (issue 18), these replace « submitted » for the agent; by default they are refused like
# any move outside the lifecycle (INVALID below). tests/referrals/test_approval.py walks them.
WITHOUT_APPROVAL = {("draft", "sent"): "agent", ("returned", "sent"): "agent"}
# Statuses a partner organisation may see: before them, the referral does not exist for it.
DISCLOSED = ("sent", "accepted", "declined", "completed", "not_completed")
INVALID = [
    (source, target)
    for source in STATUSES
    for target in STATUSES
    if target != "draft" and (source, target) not in LIFECYCLE
]


@dataclass(frozen=True)
class Lifecycle:
    referral_id: int
    browsers: dict
    users: dict


@pytest.fixture
def at_status(app, make_user, make_case):
    """A referral put straight in a status, its person's consent in force (so the consent gate
    is never what refuses a move), and a signed-in browser for each role that moves referrals."""

    def build(status: str) -> Lifecycle:
        users = {
            "agent": make_user(role="agent", region="06"),
            "advisor": make_user(role="advisor", region="06"),
            "partner": make_user(role="partner", organisation="promis"),
        }
        record = make_case(users["agent"])
        with app.app_context():
            referral_id = helpers.consented_referral(users["agent"].id, record.id, status)
        browsers = {}
        for role, user in users.items():
            browsers[role] = app.test_client()
            assert helpers.login(browsers[role], user.username, user.password).status_code == 302
        return Lifecycle(referral_id, browsers, users)

    return build


def _state(app, referral_id: int) -> tuple:
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        events = db.session.scalar(
            select(func.count(ReferralEvent.id)).where(ReferralEvent.referral_id == referral_id)
        )
        disclosures = db.session.scalar(
            select(func.count(Disclosure.id)).where(Disclosure.referral_id == referral_id)
        )
        return referral.status, referral.version, events, disclosures


def _post_move(browser, referral_id: int, target: str, version: int):
    # Every move carries a comment and a reason, so that only the state machine can refuse it.
    token = helpers.csrf_token(browser, "/")
    return browser.post(
        f"/references/{referral_id}/{MOVE_PATHS.get(target, target)}",
        data={
            "version": str(version),
            "comment": "Commentaire",
            "reason": "other",
            "csrf_token": token,
        },
    )


def test_the_code_has_exactly_the_lifecycle_of_the_issue():
    assert {pair: rule.role for pair, rule in TRANSITIONS.items()} == {
        **LIFECYCLE,
        **WITHOUT_APPROVAL,
    }
    assert {pair for pair, rule in TRANSITIONS.items() if rule.approval is False} == set(
        WITHOUT_APPROVAL
    )
    assert {pair for pair, rule in TRANSITIONS.items() if rule.approval} == {
        ("draft", "submitted"),
        ("returned", "submitted"),
    }
    assert len(STATUSES) == 9 and len(INVALID) == 9 * 8 - len(LIFECYCLE)


@pytest.mark.parametrize(("source", "target"), INVALID, ids=[f"{s}->{t}" for s, t in INVALID])
def test_a_move_the_lifecycle_does_not_allow_is_409_and_changes_nothing(
    app, at_status, source, target
):
    lifecycle = at_status(source)
    before = _state(app, lifecycle.referral_id)
    for role in ROLES:
        response = _post_move(lifecycle.browsers[role], lifecycle.referral_id, target, before[1])
        hidden = role == "partner" and source not in DISCLOSED
        assert response.status_code == (404 if hidden else 409), role
        assert _state(app, lifecycle.referral_id) == before, role


@pytest.mark.parametrize("source", list(STATUSES))
def test_nothing_moves_back_to_draft(app, at_status, source):
    from casework.auth.models import User
    from casework.referrals import operations

    lifecycle = at_status(source)
    before = _state(app, lifecycle.referral_id)
    with app.app_context():
        referral = db.session.get(Referral, lifecycle.referral_id)
        for role in ROLES:
            actor = db.session.get(User, lifecycle.users[role].id)
            with pytest.raises(operations.InvalidTransition):
                operations.move(actor, referral, "draft", "Commentaire", referral.version)
        db.session.rollback()
    assert _state(app, lifecycle.referral_id) == before


ALLOWED = sorted(LIFECYCLE.items())


@pytest.mark.parametrize(("pair", "role"), ALLOWED, ids=[f"{s}->{t}" for (s, t), _ in ALLOWED])
def test_an_allowed_move_succeeds_for_its_role_only(app, at_status, pair, role):
    source, target = pair
    lifecycle = at_status(source)
    before = _state(app, lifecycle.referral_id)
    for other in ROLES:
        if other == role:
            continue
        response = _post_move(lifecycle.browsers[other], lifecycle.referral_id, target, before[1])
        hidden = other == "partner" and source not in DISCLOSED
        assert response.status_code == (404 if hidden else 409), other
        assert _state(app, lifecycle.referral_id) == before, other
    response = _post_move(lifecycle.browsers[role], lifecycle.referral_id, target, before[1])
    assert response.status_code == 302
    status, _version, events, disclosures = _state(app, lifecycle.referral_id)
    assert (status, events) == (target, before[2] + 1)
    assert disclosures == before[3] + (1 if target == "sent" else 0)
    with app.app_context():
        last = db.session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == lifecycle.referral_id)
            .order_by(ReferralEvent.id.desc())
        ).first()
        assert (last.from_status, last.to_status) == (source, target)
        assert last.actor_id == lifecycle.users[role].id and last.occurred_at is not None
