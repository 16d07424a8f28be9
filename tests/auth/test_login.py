from datetime import timedelta

from sqlalchemy import select, update

from casework.auth.models import LoginAttempt, UserSession
from casework.core.audit import AuditEvent
from casework.core.time import utcnow
from casework.extensions import db
from tests import helpers


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/admin/utilisateurs/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/admin/utilisateurs/")


def test_login_success_opens_a_server_side_session_and_audits(client, make_user, app):
    user = make_user(role="agent")
    response = helpers.login(client, user.username, user.password)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    with app.app_context():
        sessions = db.session.scalars(
            select(UserSession).where(UserSession.user_id == user.id)
        ).all()
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(user.id))
        ).all()
    assert len(sessions) == 1 and sessions[0].revoked_at is None
    assert "login.succeeded" in actions


def test_wrong_password_is_refused_with_a_clear_message(client, make_user):
    user = make_user()
    response = helpers.login(client, user.username, "not-the-right-password")
    assert response.status_code == 401
    assert "mot de passe incorrect" in response.text
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, make_user):
    user = make_user()
    wrong = helpers.login(client, user.username, "not-the-right-password")
    unknown = helpers.login(client, "nobody-by-that-name", "not-the-right-password")
    assert wrong.status_code == unknown.status_code == 401


def test_disabled_account_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    assert helpers.login(client, user.username, user.password).status_code == 401


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, make_user, app
):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert helpers.login(client, user.username, "wrong-password-xyz").status_code == 401
    response = helpers.login(client, user.username, user.password)
    assert response.status_code == 429
    with app.app_context():
        failures = db.session.scalar(
            select(db.func.count(LoginAttempt.id)).where(LoginAttempt.username == user.username)
        )
    assert failures == limit  # the locked attempt does not even reach the password check


def test_lock_expires_after_the_window(client, make_user, app):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        helpers.login(client, user.username, "wrong-password-xyz")
    with app.app_context():
        db.session.execute(
            update(LoginAttempt)
            .where(LoginAttempt.username == user.username)
            .values(attempted_at=utcnow() - app.config["LOGIN_LOCKOUT"] - timedelta(seconds=1))
        )
        db.session.commit()
    assert helpers.login(client, user.username, user.password).status_code == 302


def test_address_is_throttled_across_accounts(client, make_user, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for index in range(limit):
        helpers.login(client, f"someone-{index}", "wrong-password-xyz")
    user = make_user()
    assert helpers.login(client, user.username, user.password).status_code == 429


def test_session_is_rotated_at_login(client, make_user):
    """Whatever was in the session before sign-in (a fixated value) does not survive it."""
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    helpers.login(client, user.username, user.password)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_logout_invalidates_the_session_server_side(app, make_user):
    user = make_user()
    browser = app.test_client()
    helpers.login(browser, user.username, user.password)
    stolen_cookie = browser.get_cookie("casework_session").value
    response = helpers.post_form(browser, "/deconnexion", token_from="/")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"

    attacker = app.test_client()
    attacker.set_cookie("casework_session", stolen_cookie)
    assert attacker.get("/").status_code == 302


def test_idle_session_expires_with_a_message(client, make_user, app):
    user = make_user()
    helpers.login(client, user.username, user.password)
    with app.app_context():
        idle = app.config["IDLE_TIMEOUT"] + timedelta(minutes=1)
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id)
            .values(last_seen_at=utcnow() - idle)
        )
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    assert "expir" in client.get(response.headers["Location"]).text


def test_next_redirects_only_within_the_site(client, make_user):
    user = make_user()
    response = helpers.login(client, user.username, user.password, next_path="/referentiel/")
    assert response.headers["Location"] == "/referentiel/"
    for hostile in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        client.post("/deconnexion", data={"csrf_token": helpers.csrf_token(client)})
        response = helpers.login(client, user.username, user.password, next_path=hostile)
        assert response.headers["Location"] == "/", hostile


def test_tampered_cookie_is_treated_as_signed_out(app, make_user):
    user = make_user()
    browser = app.test_client()
    helpers.login(browser, user.username, user.password)
    value = browser.get_cookie("casework_session").value
    browser.set_cookie(
        "casework_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    )
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_login_form_requires_csrf(client, make_user):
    user = make_user()
    response = client.post(
        "/connexion", data={"username": user.username, "password": user.password}
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_forced_password_change_blocks_other_pages(client, make_user):
    user = make_user(must_change_password=True)
    response = helpers.login(client, user.username, user.password)
    assert response.headers["Location"] == "/compte/mot-de-passe"
    assert client.get("/referentiel/").headers["Location"] == "/compte/mot-de-passe"
    response = helpers.post_form(
        client,
        "/compte/mot-de-passe",
        {
            "current_password": user.password,
            "new_password": "Trois-pommes-vertes-2026",
            "confirm_password": "Trois-pommes-vertes-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/referentiel/").status_code == 200


def test_changing_ones_password_signs_out_other_browsers(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    helpers.login(laptop, user.username, user.password)
    helpers.login(phone, user.username, user.password)
    new = "Un-autre-mot-de-passe-2027"
    response = helpers.post_form(
        laptop,
        "/compte/mot-de-passe",
        {"current_password": user.password, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_sessions_have_an_absolute_lifetime(client, make_user, app):
    user = make_user()
    helpers.login(client, user.username, user.password)
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id)
            .values(created_at=utcnow() - app.config["SESSION_MAX_AGE"] - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get("/").status_code == 302


def test_a_success_resets_the_failure_count(client, make_user, app):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit - 1):
        helpers.login(client, user.username, "wrong-password-xyz")
    assert helpers.login(client, user.username, user.password).status_code == 302
    helpers.post_form(client, "/deconnexion", token_from="/")
    for _ in range(limit - 1):
        helpers.login(client, user.username, "wrong-password-xyz")
    assert helpers.login(client, user.username, user.password).status_code == 302


def test_lockout_message_states_the_configured_duration(client, make_user, app):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        helpers.login(client, user.username, "wrong-password-xyz")
    minutes = int(app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
    assert f"Attendez {minutes} minutes" in helpers.login(client, user.username, "x").text
