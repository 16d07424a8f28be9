"""The shell every page shares: headers, errors, health check, language, assets."""

import re
from pathlib import Path

import pytest

from tests import helpers

PACKAGE = Path(__file__).resolve().parents[2] / "casework"


def test_security_headers_on_every_page(client):
    response = client.get("/connexion")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, login):
    login(role="agent")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/casework.css").headers.get("Cache-Control", "")


def test_no_inline_script_or_style_in_templates():
    for template in PACKAGE.joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert " style=" not in text and "<style" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template


def test_every_asset_is_local():
    pattern = re.compile(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
    for path in list(PACKAGE.joinpath("templates").rglob("*.html")) + list(
        PACKAGE.joinpath("static").rglob("*")
    ):
        if path.is_file() and path.suffix in {".html", ".css", ".js", ".svg"}:
            text = path.read_text(encoding="utf-8").replace(
                'xmlns="http://www.w3.org/2000/svg"', ""
            )
            assert not pattern.search(text), path


def test_healthz_reports_the_database_without_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["database"]) == ("ok", "ok")
    # The scheduler's part: a status and an age in seconds, nothing about anyone.
    assert set(body["scheduler"]) == {"status", "heartbeat_age_seconds"}
    assert set(body) == {"status", "database", "scheduler", "backup"}


@pytest.mark.parametrize(
    ("locale", "text"), [("fr_CA", "Page introuvable"), ("en", "Page not found")]
)
def test_404_page_in_both_languages_with_a_reference(client, locale, text):
    helpers.post_form(
        client, "/langue", {"locale": locale, "next": "/connexion"}, token_from="/connexion"
    )
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert text in response.text
    assert re.search(r"[0-9a-f]{12}", response.text)


def test_500_page_has_a_reference_and_no_stack_trace(app, client, login):
    login(role="agent")
    original = app.view_functions["home.index"]

    def broken():
        raise RuntimeError("secret internals: SELECT * FROM users")

    broken.casework_action = "home.view"
    app.view_functions["home.index"] = broken
    try:
        response = client.get("/")
    finally:
        app.view_functions["home.index"] = original
    assert response.status_code == 500
    assert "Traceback" not in response.text and "secret internals" not in response.text
    assert re.search(r"[0-9a-f]{12}", response.text)


def test_errors_answer_json_to_json_clients(client):
    response = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert set(response.json) == {"error", "message", "status", "reference"}


def test_oversized_request_body_is_refused(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/connexion", data={"username": "x" * (limit + 10), "password": "y"})
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_french_is_the_default_and_english_is_one_click_away(client):
    page = client.get("/connexion").text
    assert '<html lang="fr-CA">' in page
    assert "Se connecter" in page
    response = helpers.post_form(
        client, "/langue", {"locale": "en", "next": "/connexion"}, token_from="/connexion"
    )
    assert response.headers["Location"] == "/connexion"
    page = client.get("/connexion").text
    assert '<html lang="en">' in page and "Sign in" in page


def test_language_switch_ignores_unknown_locales_and_foreign_next(client):
    response = helpers.post_form(
        client,
        "/langue",
        {"locale": "xx", "next": "https://evil.example/"},
        token_from="/connexion",
    )
    assert response.headers["Location"] == "/"
    assert '<html lang="fr-CA">' in client.get("/connexion").text


def test_skip_link_and_landmarks(client):
    page = client.get("/connexion").text
    assert 'class="skip-link" href="#contenu"' in page
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in page


def test_post_without_csrf_token_changes_nothing(client, login, app):
    login(role="admin")
    response = client.post(
        "/admin/utilisateurs/nouveau",
        data={
            "username": "sans.jeton",
            "full_name": "Sans Jeton",
            "role": "admin",
            "region_id": "1",
        },
    )
    assert response.status_code == 400
    from casework.auth.operations import find_user

    with app.app_context():
        assert find_user("sans.jeton") is None


def test_form_fields_carry_no_empty_accessibility_attributes(client, login):
    page = client.get("/connexion").text
    assert '="None"' not in page
    assert page.count("autofocus") == 1
    login(role="admin")
    invalid = helpers.post_form(
        client, "/admin/utilisateurs/nouveau", {"username": "", "full_name": ""}
    )
    assert '="None"' not in invalid.text
    assert (
        'aria-invalid="true"' in invalid.text
        and 'aria-describedby="username-error"' in invalid.text
    )
