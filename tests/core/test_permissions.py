import pytest

from casework.core.permissions import (
    ACTION_ATTRIBUTE,
    POLICY,
    PUBLIC,
    PUBLIC_ENDPOINTS,
    Scope,
    in_scope,
    requires,
)
from casework.core.roles import Role
from tests import helpers


def test_every_route_declares_a_permission(app):
    """A new route that forgets ``@requires`` (or ``@public``) fails here."""
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        action = getattr(app.view_functions[rule.endpoint], ACTION_ATTRIBUTE, None)
        if action != PUBLIC and action not in POLICY:
            undeclared.append(rule.endpoint)
    assert undeclared == []


def _sample(rule, argument: str):
    """A value the rule accepts: 1, or the first code of a French-worded part."""
    known = getattr(rule._converters[argument], "known", None)
    return known[0] if known else 1


def _protected_get_urls(app):
    """The pages' protected GET URLs (the API's answer 401, not a redirect: tests/api walks
    them with tokens)."""
    urls = []
    for rule in app.url_map.iter_rules():
        action = getattr(app.view_functions.get(rule.endpoint), ACTION_ATTRIBUTE, None)
        if rule.endpoint in PUBLIC_ENDPOINTS or action == PUBLIC or "GET" not in rule.methods:
            continue
        if rule.rule.startswith("/api/"):
            continue
        arguments = {name: _sample(rule, name) for name in rule.arguments}
        urls.append((rule.endpoint, action, rule.build(arguments)[1]))
    return urls


def test_anonymous_visitors_are_redirected_to_login_everywhere(app, client):
    urls = _protected_get_urls(app)
    assert len(urls) >= 10
    for endpoint, _action, url in urls:
        response = client.get(url)
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/connexion"), endpoint


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_gets_403_on_what_it_is_not_granted(role, app, client, login):
    login(role=role)
    for endpoint, action, url in _protected_get_urls(app):
        granted = Role(role) in POLICY[action]
        response = client.get(url)
        if endpoint == "home.index" and role == "airport":  # airport staff land on the console
            assert response.headers["Location"].endswith("/aeroport/")
        elif granted:
            assert response.status_code in (200, 404), (endpoint, response.status_code)
        else:
            assert response.status_code == 403, endpoint
            assert "403" in response.text


def test_undeclared_view_is_refused(app, client, login):
    login(role="admin")
    original = app.view_functions["home.index"]

    def naked_view():
        return "should never be served"

    app.view_functions["home.index"] = naked_view
    try:
        assert client.get("/").status_code == 403
    finally:
        app.view_functions["home.index"] = original


def test_unknown_action_cannot_be_declared():
    with pytest.raises(ValueError):
        requires("cases.teleport")


class _Thing:
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def test_scopes():
    user = _Thing(id=7, region_id=6, organisation_id=3)
    assert in_scope(user, Scope.ALL, _Thing())
    assert in_scope(user, Scope.REGION, _Thing(region_id=6))
    assert not in_scope(user, Scope.REGION, _Thing(region_id=3))
    assert in_scope(user, Scope.ORGANISATION, _Thing(organisation_id=3))
    assert not in_scope(user, Scope.ORGANISATION, _Thing(organisation_id=4))
    assert in_scope(user, Scope.CASELOAD, _Thing(agent_id=7))
    assert not in_scope(user, Scope.CASELOAD, _Thing(agent_id=8))
    assert in_scope(user, Scope.SELF, user)
    assert not in_scope(user, Scope.SELF, _Thing(user_id=8))


def test_admin_pages_are_reachable_only_by_admin(client, login):
    login(role="supervisor")
    assert client.get("/admin/utilisateurs/").status_code == 403
    assert client.get("/admin/journal/").status_code == 403
    helpers.post_form(client, "/deconnexion", token_from="/")
    login(role="admin")
    assert client.get("/admin/utilisateurs/").status_code == 200
