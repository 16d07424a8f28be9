"""Administrators issue API tokens (shown once, stored hashed) and revoke them in the admin UI."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from casework.extensions import db
from tests import helpers

INDEX = "/admin/jetons-api/"
NEW = "/admin/jetons-api/nouveau"
IN_TWO_MONTHS = (date.today() + timedelta(days=60)).isoformat()


def test_an_admin_issues_a_token_for_an_organisation_then_revokes_it(app, client, login):
    from casework.api.models import ApiToken
    from casework.core.audit import AuditEvent
    from casework.reference.models import Organisation

    login(role="admin")
    assert client.get("/admin/utilisateurs/").text.count(INDEX) == 1  # reachable from accounts
    assert "Aucun jeton" in client.get(INDEX).text
    with app.app_context():
        promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis")).id
    form = client.get(NEW)
    assert form.status_code == 200
    response = helpers.post_form(
        client,
        NEW,
        {
            "name": "CiviCRM PROMIS",
            "organisation_id": str(promis),
            "user_id": "",
            "scopes": ["referrals:read", "referrals:write"],
            "expires_on": IN_TWO_MONTHS,
            "rate_limit": "60",
        },
    )
    assert response.status_code == 200, response.text
    secret = re.search(r"cwk_[A-Za-z0-9_-]{40,}", response.text).group(0)
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash != secret and len(token.token_hash) == 64  # only a digest
        assert token.scopes == ["referrals:read", "referrals:write"]
        token_id = token.id
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created"))
    listing = client.get(INDEX).text
    assert "CiviCRM PROMIS" in listing and secret not in listing  # shown once only
    assert (
        client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    revoke = f"/admin/jetons-api/{token_id}/revoquer"
    assert "Révoquer ce jeton" in client.get(revoke).text  # a confirmation first
    assert helpers.post_form(client, revoke, {}).status_code == 302
    assert "Révoqué" in client.get(INDEX).text
    assert (
        client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_a_token_needs_one_holder_and_a_permission(client, login):
    login(role="admin")
    response = helpers.post_form(
        client,
        NEW,
        {
            "name": "x",
            "organisation_id": "",
            "user_id": "",
            "expires_on": IN_TWO_MONTHS,
            "rate_limit": "60",
        },
    )
    assert response.status_code == 200
    assert "Choisissez soit un utilisateur, soit un organisme." in response.text
    assert "Choisissez au moins une permission." in response.text  # both said at once
    assert 'aria-invalid="true"' in response.text


def test_only_administrators_manage_tokens(client, login):
    login(role="supervisor")
    assert client.get(INDEX).status_code == 403
    assert client.get(NEW).status_code == 403
