"""The second factor in the browser's shoes: enrolment at the first sign-in, the code page, a
replayed code, six wrong codes, an administrator's reset and the roles page. Driven with pyotp."""

from __future__ import annotations

import html
import re
import time

import pyotp
from sqlalchemy import func, select

from casework.auth.models import LoginAttempt, SecondFactor, UserSession
from casework.extensions import db
from tests import helpers


def _password_step(client, record):
    token = helpers.csrf_token(client, "/connexion")
    return client.post(
        "/connexion",
        data={"username": record.username, "password": record.password, "csrf_token": token},
    )


def _post_code(client, path, code):
    return client.post(path, data={"code": code, "csrf_token": helpers.csrf_token(client, path)})


def _secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def _open_sessions(app, user_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(UserSession.id)).where(
                UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
            )
        )


def test_a_supervisor_enrols_at_the_first_sign_in_then_signs_in_with_a_code(app, client, make_user):
    record = make_user(role="supervisor", second_factor=False)
    first = _password_step(client, record)
    assert first.location.endswith("/connexion/deuxieme-facteur")
    assert _open_sessions(app, record.id) == 0  # not signed in yet
    assert client.get("/").status_code == 302  # nor anywhere else
    page = client.get("/connexion/deuxieme-facteur").text
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn here
    secret = _secret_on(page)
    assert client.get("/connexion/deuxieme-facteur").text.count(secret[:4]) >= 1
    assert _secret_on(client.get("/connexion/deuxieme-facteur").text) == secret  # stable
    wrong = _post_code(client, "/connexion/deuxieme-facteur", "000000")
    assert wrong.status_code == 401 and "pas valide" in wrong.text
    done = _post_code(client, "/connexion/deuxieme-facteur", pyotp.TOTP(secret).now())
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.text)
    assert len(codes) == 10
    assert _open_sessions(app, record.id) == 1
    assert client.get("/").status_code == 200

    # Next time: the password, then a code.
    again = app.test_client()
    assert _password_step(again, record).location.endswith("/connexion/code")
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment used this step's code
    signed_in = _post_code(again, "/connexion/code", code)
    assert signed_in.status_code == 302 and signed_in.location == "/"
    # The same code, replayed from another browser, is refused.
    replay = app.test_client()
    _password_step(replay, record)
    refused = _post_code(replay, "/connexion/code", code)
    assert refused.status_code == 401
    # A recovery code works once.
    assert _post_code(replay, "/connexion/code", codes[0]).status_code == 302
    third = app.test_client()
    _password_step(third, record)
    assert _post_code(third, "/connexion/code", codes[0]).status_code == 401


def test_a_wrong_code_six_times_locks_like_passwords(app, client, make_user):
    record = make_user(role="admin")
    for _ in range(5):
        _password_step(client, record)
        assert _post_code(client, "/connexion/code", "123456").status_code == 401
    _password_step(client, record)
    sixth = _post_code(client, "/connexion/code", helpers.next_code(app, record.username))
    assert sixth.status_code == 429
    assert "Trop de tentatives" in html.unescape(sixth.text)
    assert _open_sessions(app, record.id) == 0
    # The password page says the same for the rest of the lockout.
    assert _password_step(client, record).status_code == 429
    with app.app_context():
        failures = db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.username == record.username, LoginAttempt.succeeded.is_(False)
            )
        )
    assert failures == 5


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client):
    response = client.get("/connexion/code")
    assert response.status_code == 302 and response.location.startswith("/connexion")
    assert client.post("/connexion/code", data={"code": "123456"}).status_code in (302, 400)


def test_an_administrator_resets_a_second_factor_and_the_sessions_end(
    app, client, login, make_user
):
    admin = login(role="admin")
    supervisor = make_user(role="supervisor")
    elsewhere = app.test_client()
    assert helpers.login(elsewhere, supervisor.username, supervisor.password).status_code == 302
    assert _open_sessions(app, supervisor.id) == 1
    edit = client.get(f"/admin/utilisateurs/{supervisor.id}/modifier").text
    assert f"/admin/utilisateurs/{supervisor.id}/deuxieme-facteur" in edit
    path = f"/admin/utilisateurs/{supervisor.id}/deuxieme-facteur"
    assert "perdu son téléphone" in html.unescape(client.get(path).text)
    assert helpers.post_form(client, path).status_code == 302
    assert _open_sessions(app, supervisor.id) == 0
    assert elsewhere.get("/").status_code == 302  # signed out
    with app.app_context():
        assert db.session.get(SecondFactor, supervisor.id) is None
    fresh = app.test_client()
    assert _password_step(fresh, supervisor).location.endswith("/connexion/deuxieme-facteur")
    assert admin


def test_an_administrator_requires_it_of_agents(app, client, login, make_user):
    login(role="admin")
    page = client.get("/admin/deuxieme-facteur").text
    assert 'value="supervisor" checked disabled' in page
    saved = helpers.post_form(client, "/admin/deuxieme-facteur", {"roles": ["agent"]})
    assert saved.status_code == 302
    agent = make_user(role="agent")
    other = app.test_client()
    assert _password_step(other, agent).location.endswith("/connexion/deuxieme-facteur")


def test_an_agent_may_set_it_up_and_turn_it_off(app, client, login):
    agent = login(role="agent")
    assert "Configurer le deuxième facteur" in client.get("/compte/deuxieme-facteur").text
    page = client.get("/compte/deuxieme-facteur/activer").text
    secret = _secret_on(page)
    done = _post_code(client, "/compte/deuxieme-facteur/activer", pyotp.TOTP(secret).now())
    assert done.status_code == 200 and len(re.findall(r"<code>", done.text)) == 10
    assert "Actif depuis" in client.get("/compte/deuxieme-facteur").text
    renewed = helpers.post_form(
        client, "/compte/deuxieme-facteur/codes", token_from="/compte/deuxieme-facteur"
    )
    assert len(re.findall(r"<code>", renewed.text)) == 10
    off = helpers.post_form(
        client, "/compte/deuxieme-facteur/desactiver", token_from="/compte/deuxieme-facteur"
    )
    assert off.status_code == 302
    with app.app_context():
        assert db.session.get(SecondFactor, agent.id) is None
