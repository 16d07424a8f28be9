"""Every API endpoint refuses without a token, with a revoked or expired one, outside the
token's scopes and outside the role's grant; the rate limit; tokens only in the header."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from casework.core.permissions import ACTION_ATTRIBUTE, POLICY, PUBLIC
from casework.core.roles import Role
from casework.extensions import db
from tests.api.conftest import ALL_SCOPES


def api_rules(app):
    """Each protected API route, with a URL built for it and its declared action."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        action = getattr(app.view_functions[rule.endpoint], ACTION_ATTRIBUTE, None)
        assert action is not None, rule.endpoint  # every API view declares its action
        if action == PUBLIC:
            continue
        url = rule.build(dict.fromkeys(rule.arguments, 1))[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url, action))
    return found


# A valid body for each write, so that the answer is about access, not about the body.
BODIES = {
    "api_referrals.decline": {"reason": "Complet"},
    "api_referrals.outcome": {"outcome": "completed"},
    "api_arrivals.announce": {
        "given_names": "Amina",
        "family_name": "Diallo",
        "date_of_birth": "1994-02-03",
        "flight_number": "AC 871",
        "arrives_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds"),
        "immigration_category": "economic",
        "destination_region": "06",
    },
}
# Writes that need an Idempotency-Key whatever the caller.
KEYED = {"api_arrivals.announce"}


def call(client, method, url, endpoint="", **kwargs):
    if method == "POST":
        kwargs.setdefault("json", BODIES.get(endpoint, {}))
    if endpoint in KEYED:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Idempotency-Key": str(uuid.uuid4())}
    return client.open(url, method=method, **kwargs)


def test_every_endpoint_refuses_without_a_token(app, client):
    rules = api_rules(app)
    assert len(rules) >= 10
    for endpoint, method, url, _action in rules:
        response = call(client, method, url, endpoint)
        assert response.status_code == 401, endpoint
        assert response.mimetype == "application/problem+json", endpoint
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), endpoint
        assert response.json["reference"], endpoint


def test_a_signed_in_browser_session_does_not_open_the_api(app, client, login):
    login(role="agent")
    for endpoint, method, url, _action in api_rules(app):
        assert call(client, method, url, endpoint).status_code == 401, endpoint


def test_every_endpoint_refuses_a_token_without_its_scope(app, client, issue_token):
    from casework.api.web import ACTION_SCOPES

    for endpoint, method, url, action in api_rules(app):
        others = tuple(s for s in ALL_SCOPES if s != ACTION_SCOPES[action])
        token = issue_token(organisation="promis", scopes=others)
        response = call(client, method, url, endpoint, headers=token.headers)
        assert response.status_code == 403, endpoint
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_endpoint_follows_the_policy_for_each_role(role, app, client, issue_token, make_user):
    """A user token acts with its user's role: what the policy does not grant is a 403; what
    it grants is answered (200, or 404 for an object outside the scope)."""
    token = issue_token(user=make_user(role=role))
    for endpoint, method, url, action in api_rules(app):
        response = call(
            client, method, url, endpoint, headers={**token.headers, "If-Match": '"1-1"'}
        )
        if Role(role) in POLICY[action]:
            assert response.status_code in (200, 201, 404), (endpoint, response.status_code)
        else:
            assert response.status_code == 403, (endpoint, response.status_code)


def test_revoked_and_expired_tokens_are_refused(app, client, issue_token):
    from casework.api.models import ApiToken
    from casework.core.time import utcnow

    revoked, expired = issue_token(organisation="promis"), issue_token(organisation="promis")
    assert client.get("/api/v1/regions", headers=revoked.headers).status_code == 200
    with app.app_context():
        db.session.execute(
            update(ApiToken).where(ApiToken.id == revoked.id).values(revoked_at=utcnow())
        )
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    for token in (revoked, expired):
        response = client.get("/api/v1/regions", headers=token.headers)
        assert response.status_code == 401
        assert (
            "revoked or expired" in response.json["detail"] or "révoqué" in response.json["detail"]
        )


def test_a_disabled_users_token_stops_working(app, client, issue_token, make_user):
    from casework.auth.models import User

    agent = make_user(role="agent")
    token = issue_token(user=agent)
    assert client.get("/api/v1/regions", headers=token.headers).status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == agent.id).values(active=False))
        db.session.commit()
    assert client.get("/api/v1/regions", headers=token.headers).status_code == 401


def test_last_use_is_recorded(app, client, issue_token):
    from casework.api.models import ApiToken

    token = issue_token(organisation="promis")
    with app.app_context():
        assert db.session.get(ApiToken, token.id).last_used_at is None
    client.get("/api/v1/regions", headers=token.headers)
    with app.app_context():
        assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_a_token_in_the_query_string_is_refused(client, issue_token):
    token = issue_token(organisation="promis")
    for name in ("access_token", "token", "api_key"):
        response = client.get(f"/api/v1/regions?{name}={token.secret}")
        assert response.status_code == 400
        assert response.json["errors"][0]["field"] == name
    # even with the header too: the token has leaked into the address, refuse
    response = client.get(f"/api/v1/regions?access_token={token.secret}", headers=token.headers)
    assert response.status_code == 400


def test_the_rate_limit_answers_429_with_retry_after(app, client, issue_token):
    from casework.api.models import ApiRateWindow

    token = issue_token(organisation="promis", rate_limit=3)
    statuses = [client.get("/api/v1/regions", headers=token.headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/regions", headers=token.headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.mimetype == "application/problem+json"
    other = issue_token(organisation="promis", rate_limit=3)  # counted per token
    assert client.get("/api/v1/regions", headers=other.headers).status_code == 200
    with app.app_context():  # the count is in the database, shared by every process
        counted = db.session.scalar(
            select(ApiRateWindow.count).where(ApiRateWindow.token_id == token.id)
        )
        assert counted == 5


def test_the_rate_limit_holds_across_processes(app, issue_token, tmp_path):
    """Two application instances (as two web processes) share the count through the database."""
    token = issue_token(organisation="promis", rate_limit=4)
    second = app.test_client()
    first = app.test_client()
    answers = []
    for client in (first, second, first, second, first):
        answers.append(client.get("/api/v1/regions", headers=token.headers).status_code)
    assert answers == [200, 200, 200, 200, 429]
