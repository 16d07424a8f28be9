"""Defence in depth on forms: a change sent from another site is refused (403) even with a valid
CSRF token; the site's own pages, and clients that send no Origin, go on as before."""

import pytest
from sqlalchemy import func, select

from casework.auth.models import LoginAttempt, UserSession
from casework.extensions import db
from tests import helpers


def _sign_in(client, user, **headers):
    token = helpers.csrf_token(client, "/connexion")
    return client.post(
        "/connexion",
        data={"username": user.username, "password": user.password, "csrf_token": token},
        headers=headers,
    )


def _sessions(app, user) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == user.id)
        )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attaquant.example"},
        {"Origin": "http://localhost.attaquant.example"},
        {"Origin": "null"},
        {"Referer": "https://attaquant.example/page-piege.html"},
        {"Origin": "https://attaquant.example", "Referer": "http://localhost/connexion"},
    ],
)
def test_a_valid_token_from_a_foreign_origin_gets_403_and_changes_nothing(
    app, client, make_user, headers
):
    user = make_user(role="agent")
    response = _sign_in(client, user, **headers)
    assert response.status_code == 403
    assert _sessions(app, user) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost"},
        {"Referer": "http://localhost/connexion?next=/"},
        {"Origin": "http://127.0.0.1:5000"},  # BASE_URL, when a proxy reports another host
        {},  # no browser page sent it (scripts, this test client): the CSRF token decides
    ],
)
def test_the_site_s_own_pages_still_work(app, client, make_user, headers):
    user = make_user(role="agent")
    assert _sign_in(client, user, **headers).status_code == 302
    assert _sessions(app, user) == 1


def test_signed_in_changes_are_checked_too_and_reads_are_not(client, login):
    login(role="agent")
    token = helpers.csrf_token(client, "/")
    foreign = {"Origin": "https://attaquant.example"}
    refused = client.post("/langue", data={"locale": "en", "csrf_token": token}, headers=foreign)
    assert refused.status_code == 403
    assert 'lang="fr' in client.get("/").text
    assert client.get("/", headers=foreign).status_code == 200
