import re

import pytest
from sqlalchemy import func, select

from casework.auth.models import User, UserSession
from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.reference.models import Organisation, Region, ServicePoint
from tests import helpers


def _ids(app, region_code="06"):
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        point = db.session.scalars(
            select(ServicePoint).where(ServicePoint.region_id == region.id)
        ).first()
        other_point = db.session.scalars(
            select(ServicePoint).where(ServicePoint.region_id != region.id)
        ).first()
        organisation = db.session.scalars(select(Organisation)).first()
        return region.id, point.id, other_point.id, organisation.id


def _audit_actions(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.target_type == "user", AuditEvent.target_id == str(user_id)
            )
        ).all()


def _error_messages(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error-message" id="([a-z_]+)-error">([^<]+)</p>', html))


def _form(region_id, point_id="", organisation_id="", **overrides):
    data = {
        "username": "nouvelle.agente",
        "full_name": "Nouvelle Agente",
        "email": "nouvelle.agente@example.org",
        "role": "agent",
        "region_id": str(region_id),
        "service_point_id": str(point_id),
        "organisation_id": str(organisation_id),
    }
    data.update(overrides)
    return data


def test_admin_creates_an_account_who_must_change_the_temporary_password(app, client, login):
    admin = login(role="admin")
    region_id, point_id, _, _ = _ids(app)
    response = helpers.post_form(client, "/admin/utilisateurs/nouveau", _form(region_id, point_id))
    assert response.status_code == 200
    temporary = re.search(r'class="secret-once">([^<]+)<', response.text).group(1)
    with app.app_context():
        created = db.session.scalar(select(User).where(User.username == "nouvelle.agente"))
        assert created.must_change_password and created.service_point_id == point_id
        created_id = created.id
    assert "user.created" in _audit_actions(app, created_id)
    with app.app_context():
        actor = db.session.scalar(
            select(AuditEvent.actor_id).where(AuditEvent.action == "user.created")
        )
    assert actor == admin.id

    newcomer = app.test_client()
    response = helpers.login(newcomer, "nouvelle.agente", temporary)
    assert response.headers["Location"] == "/compte/mot-de-passe"


def test_validation_errors_are_shown_in_french(app, client, login):
    login(role="admin")
    region_id, _, other_point, _ = _ids(app)
    response = helpers.post_form(
        client,
        "/admin/utilisateurs/nouveau",
        _form(region_id, other_point, username="é!", email="pas-un-courriel"),
    )
    assert response.status_code == 200
    errors = _error_messages(response.text)
    assert set(errors) == {"username", "email"}
    assert "adresse courriel valide" in errors["email"]
    assert "lettres sans accents" in errors["username"]
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.username == "é!")) == 0


def test_service_point_must_be_in_the_region(app, client, login):
    login(role="admin")
    region_id, _, other_point, _ = _ids(app)
    response = helpers.post_form(
        client, "/admin/utilisateurs/nouveau", _form(region_id, other_point)
    )
    assert "n’est pas dans la région" in response.text or "pas dans la région" in response.text


def test_partner_needs_an_organisation(app, client, login):
    login(role="admin")
    region_id, _, _, _ = _ids(app)
    response = helpers.post_form(
        client, "/admin/utilisateurs/nouveau", _form(region_id, role="partner")
    )
    assert response.status_code == 200
    assert "organisme" in _error_messages(response.text)["organisation_id"]
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "nouvelle.agente")) is None


def test_duplicate_username_is_refused(app, client, login, make_user):
    login(role="admin")
    existing = make_user(role="agent")
    region_id, point_id, _, _ = _ids(app)
    response = helpers.post_form(
        client,
        "/admin/utilisateurs/nouveau",
        _form(region_id, point_id, username=existing.username.upper()),
    )
    assert response.status_code == 200
    assert "déjà" in _error_messages(response.text)["username"]


def test_edit_changes_role_revokes_sessions_and_audits(app, client, login, make_user):
    login(role="admin")
    target = make_user(role="agent")
    helpers.login(app.test_client(), target.username, target.password)
    region_id, point_id, _, _ = _ids(app)
    page = client.get(f"/admin/utilisateurs/{target.id}/modifier").text
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    data = _form(
        region_id,
        point_id,
        username=target.username,
        full_name="Renommée",
        role="advisor",
        version=version,
    )
    response = helpers.post_form(client, f"/admin/utilisateurs/{target.id}/modifier", data)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert (user.role, user.full_name) == ("advisor", "Renommée")
        open_sessions = db.session.scalar(
            select(func.count(UserSession.id)).where(
                UserSession.user_id == target.id, UserSession.revoked_at.is_(None)
            )
        )
        details = db.session.scalar(
            select(AuditEvent.details).where(
                AuditEvent.action == "user.updated", AuditEvent.target_id == str(target.id)
            )
        )
    assert open_sessions == 0
    assert set(details["fields"]) >= {"role", "full_name"}


def test_stale_edit_gets_409_and_changes_nothing(app, client, login, make_user):
    login(role="admin")
    target = make_user(role="agent")
    region_id, point_id, _, _ = _ids(app)
    data = _form(region_id, point_id, username=target.username, full_name="Trop tard", version="0")
    response = helpers.post_form(client, f"/admin/utilisateurs/{target.id}/modifier", data)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(User, target.id).full_name != "Trop tard"


def test_disable_asks_for_confirmation_then_blocks_sign_in(app, client, login, make_user):
    login(role="admin")
    target = make_user(role="agent")
    confirm_page = client.get(f"/admin/utilisateurs/{target.id}/desactiver")
    assert confirm_page.status_code == 200
    with app.app_context():
        assert db.session.get(User, target.id).active
    response = helpers.post_form(client, f"/admin/utilisateurs/{target.id}/desactiver")
    assert response.status_code == 302
    assert helpers.login(app.test_client(), target.username, target.password).status_code == 401
    assert "user.disabled" in _audit_actions(app, target.id)
    helpers.post_form(client, f"/admin/utilisateurs/{target.id}/reactiver")
    assert helpers.login(app.test_client(), target.username, target.password).status_code == 302


def test_admin_cannot_disable_their_own_account(app, client, login):
    admin = login(role="admin")
    response = helpers.post_form(client, f"/admin/utilisateurs/{admin.id}/desactiver")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_reset_password_shows_a_one_time_password_and_closes_sessions(
    app, client, login, make_user
):
    login(role="admin")
    target = make_user(role="agent")
    victim_browser = app.test_client()
    helpers.login(victim_browser, target.username, target.password)
    response = helpers.post_form(client, f"/admin/utilisateurs/{target.id}/reinitialiser")
    temporary = re.search(r'class="secret-once">([^<]+)<', response.text).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    assert victim_browser.get("/").status_code == 302
    assert helpers.login(app.test_client(), target.username, target.password).status_code == 401
    assert (
        helpers.login(app.test_client(), target.username, temporary).headers["Location"]
        == "/compte/mot-de-passe"
    )
    assert "user.password_reset" in _audit_actions(app, target.id)


def test_unknown_user_is_404(client, login):
    login(role="admin")
    assert client.get("/admin/utilisateurs/999999/modifier").status_code == 404


REGIONS = [f"{n:02d}" for n in range(1, 18)]


def test_user_list_paginates_and_filters_with_bounded_queries(
    app, client, login, make_user, count_queries
):
    login(role="admin")
    # Spread over regions and service points so that lazy loading would show as extra queries.
    for index in range(30):
        make_user(role="advisor", region=REGIONS[index % 17])
    first = client.get("/admin/utilisateurs/?role=advisor")
    assert first.status_code == 200
    assert "1–25" in first.text and "page=2" in first.text
    with count_queries() as few:
        client.get("/admin/utilisateurs/?role=advisor&page=2")
    for index in range(20):
        make_user(role="advisor", region=REGIONS[(index + 5) % 17])
    with count_queries() as many:
        client.get("/admin/utilisateurs/?role=advisor&page=2")
    assert many.count == few.count <= 12
    filtered = client.get("/admin/utilisateurs/?q=zzz-nobody").text
    assert "empty-state" in filtered


def test_bad_filter_values_do_not_break_the_list(client, login):
    login(role="admin")
    assert client.get("/admin/utilisateurs/?region=abc&role=pirate&page=-4").status_code == 200


def test_edit_without_version_is_a_bad_request(app, client, login, make_user):
    login(role="admin")
    target = make_user(role="agent")
    region_id, point_id, _, _ = _ids(app)
    data = _form(region_id, point_id, username=target.username, full_name="Sans version")
    assert (
        helpers.post_form(client, f"/admin/utilisateurs/{target.id}/modifier", data).status_code
        == 400
    )
    data["version"] = "abc"
    assert (
        helpers.post_form(client, f"/admin/utilisateurs/{target.id}/modifier", data).status_code
        == 400
    )
    with app.app_context():
        assert db.session.get(User, target.id).full_name != "Sans version"


def test_admin_cannot_change_their_own_role(app, client, login):
    admin = login(role="admin")
    region_id, point_id, _, _ = _ids(app)
    page = client.get(f"/admin/utilisateurs/{admin.id}/modifier").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = _form(region_id, point_id, username=admin.username, role="agent", version=version)
    response = helpers.post_form(client, f"/admin/utilisateurs/{admin.id}/modifier", data)
    assert "propre rôle" in _error_messages(response.text)["role"]
    with app.app_context():
        assert db.session.get(User, admin.id).role == "admin"


def test_the_last_active_administrator_cannot_be_removed(app, ctx):
    from casework.auth import operations

    admins = db.session.scalars(
        select(User).where(User.role == "admin", User.active.is_(True))
    ).all()
    for extra in admins:
        extra.active = False
    db.session.flush()
    last = User(
        username="derniere.admin",
        full_name="Dernière",
        role="admin",
        region_id=1,
        password_hash="x",
    )
    other = User(
        username="autre.admin",
        full_name="Autre",
        role="admin",
        region_id=1,
        password_hash="x",
        active=False,
    )
    db.session.add_all([last, other])
    db.session.flush()
    with pytest.raises(operations.AccountError):
        operations.set_active(other, last, active=False)
    assert last.active


def test_a_work_phone_is_kept_when_valid_and_explained_when_not(app, client, login):
    """Partner organisations call the referring agent: the account carries a work phone."""
    login(role="admin")
    region_id, point_id, _, _ = _ids(app)
    bad = helpers.post_form(
        client, "/admin/utilisateurs/nouveau", _form(region_id, point_id, phone="appelez-moi")
    )
    assert "Entrez un numéro de téléphone" in _error_messages(bad.text).get("phone", "")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "nouvelle.agente")) is None
    helpers.post_form(
        client,
        "/admin/utilisateurs/nouveau",
        _form(region_id, point_id, phone=" 514 555-0142  poste 2104 "),
    )
    with app.app_context():
        created = db.session.scalar(select(User).where(User.username == "nouvelle.agente"))
        assert created.phone == "514 555-0142 poste 2104"
