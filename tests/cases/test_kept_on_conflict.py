"""A 409 keeps what was typed: the person and the case status forms (core/conflicts.py)."""

from __future__ import annotations

import html

from casework.cases.models import Case
from casework.extensions import db
from tests import helpers


def _page_fields(client, path: str) -> dict:
    fields = helpers.form_fields(client.get(path).text)
    fields.pop("csrf_token", None)
    return fields


def test_a_stale_person_edit_comes_back_with_what_was_typed_and_their_changes(
    app, client, login, make_case
):
    agent = login(role="agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/personne"
    first_tab = _page_fields(client, path)
    second_tab = dict(first_tab)
    # Someone (the first tab) changes the phone; this person, in the second tab, the name.
    first_tab["phone"] = "438 555-0142"
    assert helpers.post_form(client, path, first_tab).status_code == 302
    second_tab["given_names"] = "Léa-Rose"
    response = helpers.post_form(client, path, second_tab)
    assert response.status_code == 409
    page = html.unescape(response.text)
    assert "Quelqu'un a enregistré cette fiche pendant que vous la modifiiez" in page
    kept = helpers.form_fields(response.text)
    # What was typed is kept, their change is merged in, the version is theirs.
    assert kept["given_names"] == "Léa-Rose"
    assert kept["phone"] == "438 555-0142"
    assert "438 555-0142" in page.split('id="conflict-title"')[1].split("</table>")[0]
    with app.app_context():
        person = db.session.get(Case, case.id).person
        assert (person.given_names, person.phone) != ("Léa-Rose", "+14385550142")
        assert kept["version"] == str(person.version)
    # One click: saving the form as it came back applies this person's change on top.
    assert helpers.post_form(client, path, {**kept, "csrf_token": ""}).status_code == 302
    with app.app_context():
        person = db.session.get(Case, case.id).person
        assert (person.given_names, person.phone) == ("Léa-Rose", "+14385550142")


def test_a_field_both_changed_keeps_the_typed_value_and_says_so(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/personne"
    first_tab = _page_fields(client, path)
    second_tab = dict(first_tab)
    first_tab["city"] = "Laval"
    assert helpers.post_form(client, path, first_tab).status_code == 302
    second_tab["city"] = "Longueuil"
    response = helpers.post_form(client, path, second_tab)
    assert response.status_code == 409
    panel = html.unescape(response.text).split('id="conflict-title"')[1].split("</table>")[0]
    assert "Laval" in panel and "Votre valeur : Longueuil" in panel
    assert helpers.form_fields(response.text)["city"] == "Longueuil"
    with app.app_context():
        assert db.session.get(Case, case.id).person.city == "Laval"


def test_a_stale_status_edit_comes_back_with_what_was_typed(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/statut"
    first_tab = _page_fields(client, path)
    second_tab = dict(first_tab)
    first_tab["priority"] = "urgent"
    assert helpers.post_form(client, path, first_tab).status_code == 302
    second_tab.update(
        status="closed", closing_reason="moved", closing_summary="Partie en Alberta en mars."
    )
    response = helpers.post_form(client, path, second_tab)
    assert response.status_code == 409
    kept = helpers.form_fields(response.text)
    assert (kept["status"], kept["closing_summary"]) == ("closed", "Partie en Alberta en mars.")
    assert kept["priority"] == "urgent"  # theirs, merged in
    with app.app_context():
        assert db.session.get(Case, case.id).status != "closed"
    assert helpers.post_form(client, path, kept).status_code == 302
    with app.app_context():
        stored = db.session.get(Case, case.id)
        assert (stored.status, stored.priority) == ("closed", "urgent")


def test_a_household_member_edited_in_two_tabs_is_a_409_that_keeps_what_was_typed(
    app, client, login, make_case
):
    from datetime import date

    from casework.auth.models import User
    from casework.cases import operations

    agent = login(role="agent")
    case = make_case(agent)
    with app.app_context():
        member = operations.add_household_member(
            db.session.get(User, agent.id),
            db.session.get(Case, case.id),
            "child",
            "Awa",
            "Diallo",
            date(2012, 5, 1),
        )
        db.session.commit()
        path = f"/dossiers/{case.id}/menage/{member.id}"
    first_tab = _page_fields(client, path)
    second_tab = dict(first_tab)
    first_tab["french_level_scale"] = "4"
    assert helpers.post_form(client, path, first_tab).status_code == 302
    second_tab["given_names"] = "Awa-Marie"
    response = helpers.post_form(client, path, second_tab)
    assert response.status_code == 409
    kept = helpers.form_fields(response.text)
    assert kept["given_names"] == "Awa-Marie" and kept["french_level_scale"] == "4"
    assert helpers.post_form(client, path, {**kept, "csrf_token": ""}).status_code == 302
    with app.app_context():
        (stored,) = db.session.get(Case, case.id).household
        assert (stored.given_names, stored.french_level_scale) == ("Awa-Marie", 4)
