"""The API's conventions: problem+json errors naming the field, French or English by
Accept-Language, JSON only, size limit, ISO 8601 UTC dates, the OpenAPI document."""

from __future__ import annotations

import pytest


@pytest.fixture
def token(issue_token):
    return issue_token(organisation="promis")


@pytest.fixture
def accept_url(sent_referral):
    return f"/api/v1/referrals/{sent_referral()}/accept"


def test_malformed_json_is_a_400_naming_the_body(client, token, accept_url):
    response = client.post(
        accept_url, data="{not json", content_type="application/json", headers=token.headers
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert (
        response.json["errors"][0]["field"] == "body" or response.json["errors"][0]["field"] == ""
    )
    assert "Traceback" not in response.text


def test_wrong_content_type_is_a_400_naming_it(client, token, accept_url):
    response = client.post(accept_url, data="comment=x", headers=token.headers)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "Content-Type"


def test_unknown_fields_are_refused_by_name(client, token, accept_url):
    response = client.post(
        accept_url, json={"comment": "ok", "colour": "blue"}, headers=token.headers
    )
    assert response.status_code == 400
    assert response.json["errors"] == [{"field": "colour", "detail": "Champ inconnu."}]


def test_unknown_query_parameters_are_refused(client, token):
    response = client.get("/api/v1/referrals?stauts=sent", headers=token.headers)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "query.stauts"


def test_a_body_over_the_limit_is_a_413(app, client, token, accept_url):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = '{"comment": "' + "x" * limit + '"}'
    response = client.post(
        accept_url, data=body, content_type="application/json", headers=token.headers
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_french_by_default_english_when_asked(client):
    french = client.get("/api/v1/referrals")
    assert french.json["title"] == "Non authentifié"
    assert french.headers["Content-Language"] == "fr-CA"
    english = client.get("/api/v1/referrals", headers={"Accept-Language": "en-CA,en;q=0.9"})
    assert english.json["title"] == "Not authenticated"
    assert english.headers["Content-Language"] == "en"


def test_unknown_api_path_is_a_problem(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert set(response.json) >= {"type", "title", "status", "detail", "reference"}


def test_openapi_document_and_reference_page(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/referrals/{referral_id}/accept" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/")
    assert page.status_code == 200
    assert "/api/v1/referrals/{referral_id}/accept" in page.text
    assert "cdn" not in page.text.lower()


def test_reference_data(client, issue_token):
    token = issue_token(organisation="promis", scopes=("reference:read",))
    for path in ("regions", "service-points", "organisations", "needs", "occupations"):
        response = client.get(f"/api/v1/{path}", headers=token.headers)
        assert response.status_code == 200, path
        assert response.json["items"], path
    english = client.get(
        "/api/v1/regions", headers={**token.headers, "Accept-Language": "en"}
    ).json["items"]
    assert any(region["code"] == "06" for region in english)


def test_a_forged_cursor_is_a_400_naming_it(client, token):
    for cursor in ("garbage", "bm90LWEtY3Vyc29y", "%%%"):
        response = client.get(
            "/api/v1/referrals", query_string={"cursor": cursor}, headers=token.headers
        )
        assert response.status_code == 400, cursor
        assert response.json["errors"][0]["field"] == "cursor"
