"""Bad input gets a clear 4xx, never a 500, and changes nothing."""

import pytest

from tests import helpers


@pytest.mark.parametrize(
    "query",
    [
        "endpoint=x",
        "_method=POST",
        "_external=1&page=2",
        "_anchor=x",
        "page=abc",
        "page=-3",
        "page=99999999999999999999",
    ],
)
def test_query_parameters_cannot_break_paginated_lists(client, login, make_user, query):
    login(role="admin")
    for _ in range(27):
        make_user(role="agent")
    for path in ("/admin/utilisateurs/", "/admin/journal/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)
        assert "http://localhost" not in response.text


def test_pagination_links_keep_filters(client, login, make_user):
    login(role="admin")
    for _ in range(27):
        make_user(role="advisor")
    page = client.get("/admin/utilisateurs/?role=advisor").text
    assert "/admin/utilisateurs/?role=advisor&amp;page=2" in page


def test_nul_bytes_are_refused(client, login):
    assert (
        helpers.post_form(
            client, "/connexion", {"username": "\x00admin", "password": "x"}
        ).status_code
        == 400
    )
    login(role="admin")
    assert client.get("/admin/utilisateurs/?q=%00").status_code == 400
    assert client.get("/admin/journal/?user=%00").status_code == 400


def test_ids_beyond_any_column_are_404(client, login):
    login(role="admin")
    assert client.get("/admin/utilisateurs/99999999999999999999999/modifier").status_code == 404


def test_long_unicode_username_at_login_is_just_a_failure(client):
    response = helpers.post_form(
        client, "/connexion", {"username": "İ" * 64, "password": "whatever-it-is"}
    )
    assert response.status_code == 401


def test_unlisted_client_error_gets_a_client_error_page(client):
    response = client.get("/static/css/casework.css", headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert "Erreur inattendue" not in response.text


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "pirate"},
        {"region_id": "abc"},
        {"service_point_id": "-1"},
        {"organisation_id": "1; DROP TABLE users"},
        {"full_name": "x" * 5000},
        {"email": "@@@"},
    ],
)
def test_hostile_account_form_values_are_form_errors(client, login, fields):
    login(role="admin")
    data = {"username": "hostile.user", "full_name": "Hostile", "role": "agent", "region_id": "6"}
    response = helpers.post_form(client, "/admin/utilisateurs/nouveau", {**data, **fields})
    assert response.status_code == 200
    assert 'class="error-message"' in response.text
