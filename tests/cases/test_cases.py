"""Opening a case, the person record, household, timeline, consent, status, transfers."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from casework.cases import operations
from casework.cases.models import Case, Consent, HouseholdMember, Interaction, Person
from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error-message" id="([a-z_0-9]+)-error">([^<]+)</p>', html))


def _new_case_data(**overrides):
    data = {
        "given_names": "Zoë Marie-Ève",
        "family_name": "Đặng-Tremblay",
        "date_of_birth": "1991-03-04",
        "immigration_category": "family",
        "origin": "walk_in",
        "priority": "normal",
        "country_of_birth": "VN",
        "citizenships": ["VN", "CA"],
        "languages_spoken": ["vi", "fr"],
        "preferred_language": "vi",
        "french_level_self": "intermediate",
        "french_level_scale": "6",
        "arrival_date": "2025-09-01",
        "phone": "514 555-0199",
        "email": "zoe.dang@exemple.ca",
        "interpreter_needed": "y",
        "interpreter_language": "vi",
    }
    data.update(overrides)
    return data


def test_agent_opens_a_case_and_names_are_kept_exactly(app, client, login):
    agent = login(role="agent")
    response = helpers.post_form(client, "/dossiers/nouveau", _new_case_data())
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.person.given_names == "Zoë Marie-Ève"
        assert case.person.family_name == "Đặng-Tremblay"
        assert case.agent_id == agent.id and case.region_id == agent.region_id
        assert case.status == "new" and case.origin == "walk_in"
        assert re.fullmatch(r"AQ-\d{4}-\d{6}", case.number)
        assert "dang" not in case.number.lower()
        assert case.person.citizenships == ["VN", "CA"]
    page = client.get(f"/dossiers/{case_id}").text
    assert "Zoë Marie-Ève" in page and "Đặng-Tremblay" in page


def test_case_number_reveals_nothing_about_the_person(app, make_user, make_case):
    agent = make_user(role="agent")
    first = make_case(agent, given_names="Ana", family_name="Silva")
    second = make_case(
        agent, given_names="Ana", family_name="Silva", date_of_birth=date(1970, 1, 1)
    )
    assert first.number != second.number
    assert "silva" not in first.number.lower()


def test_impossible_dates_and_oversized_names_are_form_errors(app, client, login):
    login(role="agent")
    future = (date.today() + timedelta(days=3)).isoformat()
    cases = [
        ({"date_of_birth": future}, "date_of_birth"),
        ({"date_of_birth": "1990-01-01", "arrival_date": "1985-01-01"}, "arrival_date"),
        ({"given_names": "x" * 10_000}, "given_names"),
        ({"family_name": ""}, "family_name"),
        ({"immigration_category": ""}, "immigration_category"),
        ({"french_level_scale": "13"}, "french_level_scale"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"country_of_birth": "ZZ"}, "country_of_birth"),
        ({"interpreter_language": ""}, "interpreter_language"),
        ({"interpreter_language": "zh_Hans"}, "interpreter_language"),
        ({"preferred_language": "es_419"}, "preferred_language"),
        ({"destination_region_id": "999"}, "destination_region_id"),
        ({"date_of_birth": "", "arrival_date": "0001-01-01"}, "arrival_date"),
        ({"given_names": "\u200b"}, "given_names"),
        (
            {
                "citizenships": ["FR"] * 5
                + ["CA", "US", "MX", "BR", "AR", "CL", "PE", "CO", "VE", "EC", "BO"]
            },
            "citizenships",
        ),
    ]
    for overrides, field in cases:
        response = helpers.post_form(client, "/dossiers/nouveau", _new_case_data(**overrides))
        assert response.status_code == 200, overrides
        assert field in _errors(response.text), (overrides, _errors(response.text))
    with app.app_context():
        assert (
            db.session.scalar(select(Person).where(Person.family_name == "Đặng-Tremblay")) is None
        )


def _browser_submit(client, page: str, **typed) -> object:
    """Submit the form on ``page`` as a browser would: its own fields, plus what was typed."""
    data = helpers.form_fields(page)
    data.update(typed)
    return client.post("/dossiers/nouveau", data=data)


def test_duplicate_check_shows_likely_matches_before_creating(app, client, login, make_case):
    agent = login(role="agent")
    existing = make_case(
        agent, given_names="Hélène", family_name="Côté", date_of_birth=date(1985, 6, 1)
    )
    typed = {
        "given_names": "helene",
        "family_name": "COTE",
        "date_of_birth": "1985-06-01",
        "immigration_category": "family",
        "origin": "walk_in",
    }
    response = _browser_submit(client, client.get("/dossiers/nouveau").text, **typed)
    assert response.status_code == 200
    assert f'href="/dossiers/{existing.id}"' in response.text
    with app.app_context():
        assert db.session.query(Person).filter(Person.family_name == "COTE").count() == 0
    # Changing the name or the date after seeing the matches means a new check.
    retyped = _browser_submit(client, response.text, date_of_birth="1985-06-02")
    assert retyped.status_code == 200 and "duplicates_reviewed" in retyped.text
    confirmed = _browser_submit(client, retyped.text)
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.query(Person).filter(Person.family_name == "COTE").count() == 1


def test_spelling_variants_are_likely_matches(app, ctx, make_user, make_case):
    from casework.auth.models import User
    from casework.cases.duplicates import find_duplicates

    agent = make_user(role="agent")
    make_case(agent, given_names="Mohammed", family_name="Benali", date_of_birth=date(1980, 2, 2))
    user = db.session.get(User, agent.id)
    report = find_duplicates(user, "Mohamed", "Ben Ali", date(1980, 2, 2))
    assert [m.kind for m in report.matches] == ["likely"]
    assert not find_duplicates(user, "Oksana", "Kovalenko", date(1980, 2, 2)).matches


def test_same_name_born_another_day_is_still_shown(app, ctx, make_user, make_case):
    from casework.auth.models import User
    from casework.cases.duplicates import find_duplicates

    agent = make_user(role="agent")
    make_case(agent, given_names="Wei", family_name="Zhang", date_of_birth=date(1990, 1, 1))
    report = find_duplicates(db.session.get(User, agent.id), "WEI", "zhang", date(1991, 1, 1))
    assert [m.kind for m in report.matches] == ["likely"]


def test_duplicates_outside_my_scope_are_counted_not_shown(app, ctx, make_user, make_case):
    from casework.auth.models import User
    from casework.cases.duplicates import find_duplicates

    other = make_user(role="agent", region="03")
    make_case(other, given_names="Farida", family_name="Haidari", date_of_birth=date(1990, 9, 9))
    me = db.session.get(User, make_user(role="agent").id)
    report = find_duplicates(me, "Farida", "Haidari", date(1990, 9, 9))
    assert report.matches == [] and report.hidden == 1


def test_countries_and_languages_outside_the_short_list_survive_an_edit(app, client, login):
    login(role="agent")
    data = _new_case_data(
        country_of_birth="DE",
        citizenships=["DE", "CA"],
        languages_spoken=["de", "fr"],
        preferred_language="de",
        interpreter_language="de",
    )
    response = helpers.post_form(client, "/dossiers/nouveau", data)
    assert response.status_code == 302, _errors(response.text)
    case_id = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/dossiers/{case_id}/personne").text
    fields = helpers.form_fields(page)
    assert fields["country_of_birth"] == "DE" and sorted(fields["citizenships"]) == ["CA", "DE"]
    saved = client.post(f"/dossiers/{case_id}/personne", data=fields)
    assert saved.status_code == 302
    with app.app_context():
        person = db.session.get(Case, int(case_id)).person
        assert (person.country_of_birth, person.preferred_language) == ("DE", "de")
        assert sorted(person.languages_spoken) == ["de", "fr"] and person.version == 1


def test_hostile_values_never_give_a_500(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    interaction = {"kind": "note", "occurred_at": "9999-12-31T23:59", "summary": "x"}
    assert helpers.post_form(client, f"/dossiers/{case.id}/suivi", interaction).status_code == 200
    transfer = {"to_agent_id": "9" * 25, "reason": "x"}
    assert helpers.post_form(client, f"/dossiers/{case.id}/transfert", transfer).status_code == 200
    member = {"relationship": "child", "given_names": "Très Vieux", "date_of_birth": "0001-01-01"}
    response = helpers.post_form(client, f"/dossiers/{case.id}/menage", member)
    assert "date_of_birth" in _errors(response.text)
    consent = {"purpose": "contact_sms", "given_on": "0001-01-01", "method": "verbal"}
    assert "given_on" in _errors(
        helpers.post_form(client, f"/dossiers/{case.id}/consentements", consent).text
    )


def test_names_in_other_scripts_do_not_all_match_each_other(app, ctx, make_user, make_case):
    from casework.auth.models import User
    from casework.cases.duplicates import find_duplicates

    agent = make_user(role="agent")
    make_case(agent, given_names="秀英", family_name="王", date_of_birth=date(1980, 1, 1))
    make_case(agent, given_names="Мария", family_name="Иванова", date_of_birth=date(1981, 1, 1))
    user = db.session.get(User, agent.id)
    assert find_duplicates(user, "محمد", "عبد الله", date(1979, 1, 1)).matches == []
    assert [
        m.kind for m in find_duplicates(user, "МАРИЯ", "иванова", date(1981, 1, 1)).matches
    ] == ["exact"]


def test_a_pending_transfer_can_be_cancelled(app, client, login, make_user, make_case):
    agent = login(role="agent")
    receiver = make_user(role="agent")
    case = make_case(agent)
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/transfert",
        {"to_agent_id": str(receiver.id), "reason": "Absence"},
    )
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/transfert/annuler",
        token_from=f"/dossiers/{case.id}/transfert",
    )
    assert response.status_code == 302
    again = helpers.post_form(
        client,
        f"/dossiers/{case.id}/transfert",
        {"to_agent_id": str(receiver.id), "reason": "Absence"},
    )
    assert again.status_code == 302


def test_household_members_with_ages(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    born = date(date.today().year - 7, 1, 1).isoformat()
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/menage",
        {"relationship": "child", "given_names": "Lina", "family_name": "", "date_of_birth": born},
    )
    assert response.status_code == 302
    page = client.get(f"/dossiers/{case.id}").text
    assert "Lina" in page and "7 ans" in page
    with app.app_context():
        member_id = db.session.scalar(
            select(HouseholdMember.id).where(HouseholdMember.case_id == case.id)
        )
    assert client.get(f"/dossiers/{case.id}/menage/{member_id}/retirer").status_code == 200
    assert (
        helpers.post_form(client, f"/dossiers/{case.id}/menage/{member_id}/retirer").status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(HouseholdMember, member_id) is None


def test_tampered_household_id_of_another_case_is_404(app, client, login, make_case):
    agent = login(role="agent")
    mine, other = make_case(agent), make_case(agent)
    with app.app_context():
        member = HouseholdMember(case_id=other.id, relationship_to_person="spouse", given_names="X")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    response = helpers.post_form(
        client, f"/dossiers/{mine.id}/menage/{member_id}/retirer", token_from=f"/dossiers/{mine.id}"
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(HouseholdMember, member_id) is not None


def test_timeline_newest_first_with_interpreter(app, client, login, make_case):
    from datetime import datetime

    agent = login(role="agent")
    case = make_case(agent)
    with app.app_context():
        db.session.get(Case, case.id).opened_at = datetime(2025, 12, 1)
        db.session.commit()
    for when, summary in (
        ("2026-01-05T10:00", "Premier entretien"),
        ("2026-02-05T14:30", "Appel de suivi"),
    ):
        response = helpers.post_form(
            client,
            f"/dossiers/{case.id}/suivi",
            {
                "kind": "meeting",
                "occurred_at": when,
                "duration_minutes": "45",
                "mode": "in_person",
                "interpreter_language": "ar",
                "interpreter_remote": "y",
                "summary": summary,
            },
        )
        assert response.status_code == 302, _errors(response.text)
    page = client.get(f"/dossiers/{case.id}").text
    assert page.index("Appel de suivi") < page.index("Premier entretien")
    assert "arabe" in page
    future = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/suivi",
        {"kind": "note", "occurred_at": future, "summary": "x"},
    )
    assert "occurred_at" in _errors(response.text)
    before_opening = helpers.post_form(
        client,
        f"/dossiers/{case.id}/suivi",
        {"kind": "note", "occurred_at": "2025-11-01T09:00", "summary": "x"},
    )
    assert "occurred_at" in _errors(before_opening.text)
    with app.app_context():
        stored = db.session.scalars(
            select(Interaction)
            .where(Interaction.case_id == case.id)
            .order_by(Interaction.occurred_at)
        ).first()
        # Typed in Montréal time (UTC−5 in January), stored in UTC.
        assert stored.occurred_at.hour == 15


def test_consent_per_purpose_with_withdrawal(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    data = {"purpose": "share_partner", "given_on": date.today().isoformat(), "method": "signed"}
    assert helpers.post_form(client, f"/dossiers/{case.id}/consentements", data).status_code == 302
    again = helpers.post_form(client, f"/dossiers/{case.id}/consentements", data)
    assert "purpose" in _errors(again.text)
    page = client.get(f"/dossiers/{case.id}").text
    assert "Partager avec un organisme partenaire" in page or "organisme partenaire" in page
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id).where(Consent.case_id == case.id))
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/consentements/{consent_id}/retrait",
        token_from=f"/dossiers/{case.id}/consentements",
    )
    assert response.status_code == 302
    with app.app_context():
        consent = db.session.get(Consent, consent_id)
        assert consent.withdrawn_on == date.today() and consent.withdrawn_by_id == agent.id
    assert "Aucun consentement en vigueur" in client.get(f"/dossiers/{case.id}").text


def test_closing_needs_a_reason_and_a_summary(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = client.get(f"/dossiers/{case.id}/statut").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/statut",
        {"status": "closed", "priority": "normal", "version": version},
    )
    assert {"closing_reason"} <= set(_errors(response.text))
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/statut",
        {
            "status": "closed",
            "priority": "normal",
            "version": version,
            "closing_reason": "moved",
            "closing_summary": "Départ vers l'Ontario.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Case, case.id)
        assert stored.status == "closed" and stored.closed_at is not None


def test_stale_person_edit_is_a_409_and_overwrites_nothing(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = client.get(f"/dossiers/{case.id}/personne").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    form = {**_new_case_data(given_names="Première"), "version": version}
    assert helpers.post_form(client, f"/dossiers/{case.id}/personne", form).status_code == 302
    second_tab = {**_new_case_data(given_names="Seconde"), "version": version}
    response = helpers.post_form(client, f"/dossiers/{case.id}/personne", second_tab)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Case, case.id).person.given_names == "Première"


def test_transfer_completes_only_when_the_receiver_accepts(
    app, client, login, make_user, make_case
):
    giver = login(role="agent")
    receiver = make_user(role="agent", region="03")
    case = make_case(giver)
    form = {"to_agent_id": str(receiver.id), "reason": "Déménagement à Québec"}
    # To another region, only with the person's consent for that purpose (issue 18).
    refused = helpers.post_form(client, f"/dossiers/{case.id}/transfert", form)
    assert refused.status_code in (200, 400) and "une autre région" in refused.text
    with app.app_context():
        assert operations.pending_transfer(db.session.get(Case, case.id)) is None
        helpers.give_consent(giver.id, case.id, "transfer_region")
    response = helpers.post_form(client, f"/dossiers/{case.id}/transfert", form)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, case.id).agent_id == giver.id
    other = app.test_client()
    helpers.login(other, receiver.username, receiver.password)
    assert other.get(f"/dossiers/{case.id}").status_code == 403
    listing = other.get("/transferts/").text
    transfer_id = re.search(r"/transferts/(\d+)/accepter", listing).group(1)
    # The giver cannot answer in the receiver's place.
    assert (
        helpers.post_form(client, f"/transferts/{transfer_id}/accepter", token_from="/").status_code
        == 403
    )
    assert (
        helpers.post_form(
            other, f"/transferts/{transfer_id}/accepter", token_from="/transferts/"
        ).status_code
        == 302
    )
    with app.app_context():
        moved = db.session.get(Case, case.id)
        assert (moved.agent_id, moved.region_id) == (receiver.id, receiver.region_id)
    assert other.get(f"/dossiers/{case.id}").status_code == 200
    assert client.get(f"/dossiers/{case.id}").status_code == 403
    assert (
        helpers.post_form(
            other, f"/transferts/{transfer_id}/refuser", token_from="/transferts/"
        ).status_code
        == 409
    )


def test_changes_are_audited_without_personal_data(app, client, login):
    login(role="agent")
    response = helpers.post_form(client, "/dossiers/nouveau", _new_case_data())
    case_id = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_id == case_id)).all()
    assert {"case.opened"} <= {e.action for e in events}
    for event in events:
        assert "Zoë" not in str(event.details) and "zoe" not in str(event.details).lower()
