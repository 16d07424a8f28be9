"""Intake that can be followed (issue 19, point 2): MIFI client number, schooling, profession of
origin, employment status at intake, permit and CAQ expiry; and the bad input that must store
nothing."""

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casework.auth.models import User
from casework.cases import operations
from casework.cases.models import Case, Person
from casework.extensions import db
from casework.reference.models import Need
from tests import helpers
from tests.cases.test_cases import _errors, _new_case_data


def _open(client, **overrides):
    data = _new_case_data(**overrides)
    return helpers.post_form(client, "/dossiers/nouveau", data)


def _persons_named(family_name: str) -> int:
    return db.session.scalar(select(func.count()).where(Person.family_name == family_name))


# --- Model -------------------------------------------------------------------------------------


def test_many_persons_without_a_client_number_but_one_per_number(ctx, make_user, make_case):
    """The unique index allows any number of NULLs (SQLite and PostgreSQL alike)."""
    agent = make_user(role="agent")
    for _ in range(3):
        make_case(agent)  # no client number
    make_case(agent, mifi_client_number="Q1234567")
    other = db.session.get(Person, make_case(agent).person_id)
    other.mifi_client_number = "Q1234567"
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


# --- Operations --------------------------------------------------------------------------------


def _values(**extra) -> operations.PersonFields:
    return operations.PersonFields(
        "Amina", "Diallo", "student", date_of_birth=date(2001, 2, 3), **extra
    )


def test_intake_fields_are_stored_normalised(ctx, make_user):
    agent = db.session.get(User, make_user(role="agent").id)
    case = operations.open_case(
        agent,
        _values(
            mifi_client_number=" q-2024 118 ",
            education_level="bachelor",
            field_of_study="  Génie civil ",
            origin_cnp="21330",
            origin_cnp_version="2021",
            employment_status="looking_for_work",
            arrival_date=date(2026, 1, 10),
            permit_expires_on=date(2027, 1, 9),
            caq_expires_on=date(2026, 12, 31),
        ),
        "walk_in",
    )
    person = case.person
    assert person.mifi_client_number == "Q-2024118"
    assert (person.education_level, person.field_of_study) == ("bachelor", "Génie civil")
    assert (person.origin_cnp, person.origin_cnp_version) == ("21330", "2021")
    assert person.employment_status == "looking_for_work"
    assert (person.permit_expires_on, person.caq_expires_on) == (
        date(2027, 1, 9),
        date(2026, 12, 31),
    )


def test_a_permanent_category_has_no_permit_to_expire(ctx, make_user):
    """Dates left in the hidden fields of another category are dropped, not stored."""
    agent = db.session.get(User, make_user(role="agent").id)
    values = _values(permit_expires_on=date(2027, 1, 9))
    values.immigration_category = "economic"
    case = operations.open_case(agent, values, "walk_in")
    assert case.person.permit_expires_on is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"origin_cnp": "9999", "origin_cnp_version": "2016"}, "origin_cnp"),
        # 21330 is the CNP 2021 code of 2143: it does not exist in the 2016 version.
        ({"origin_cnp": "21330", "origin_cnp_version": "2016"}, "origin_cnp"),
        ({"origin_cnp": "2143", "origin_cnp_version": "2021"}, "origin_cnp"),
        ({"origin_cnp": "2143"}, "origin_cnp_version"),
        ({"education_level": "phd"}, "education_level"),
        ({"employment_status": "retired"}, "employment_status"),
        ({"mifi_client_number": "Q 12/34"}, "mifi_client_number"),
        (
            {"arrival_date": date(2026, 3, 1), "permit_expires_on": date(2026, 2, 28)},
            "permit_expires_on",
        ),
        (
            {"arrival_date": date(2026, 3, 1), "caq_expires_on": date(2025, 3, 1)},
            "caq_expires_on",
        ),
    ],
)
def test_bad_intake_values_are_refused_and_nothing_is_stored(ctx, make_user, extra, field):
    agent = db.session.get(User, make_user(role="agent").id)
    with pytest.raises(operations.CaseError) as refused:
        operations.open_case(agent, _values(**extra), "walk_in")
    assert field in [name for name, _message in refused.value.errors]
    assert _persons_named("Diallo") == 0


def test_a_stored_2016_code_is_accepted_in_its_version(ctx, make_user):
    agent = db.session.get(User, make_user(role="agent").id)
    case = operations.open_case(
        agent, _values(origin_cnp="2143", origin_cnp_version="2016"), "walk_in"
    )
    assert case.person.origin_cnp == "2143"


def test_the_duplicate_client_number_names_the_case_only_to_who_may_read_it(ctx, make_user):
    owner = db.session.get(User, make_user(role="agent", region="06").id)
    first = operations.open_case(owner, _values(mifi_client_number="Q7654321"), "walk_in")
    db.session.flush()
    with pytest.raises(operations.CaseError) as refused:
        operations.open_case(owner, _values(mifi_client_number="q7654321"), "walk_in")
    assert refused.value.field == "mifi_client_number"
    assert first.number in str(refused.value)
    stranger = db.session.get(User, make_user(role="agent", region="03").id)
    with pytest.raises(operations.CaseError) as refused:
        operations.open_case(stranger, _values(mifi_client_number="Q7654321"), "walk_in")
    assert first.number not in str(refused.value)
    assert "hors de votre" in str(refused.value) or "outside your" in str(refused.value)
    assert _persons_named("Diallo") == 1


def test_editing_the_person_keeps_their_own_number_and_refuses_another(ctx, make_user, make_case):
    agent = db.session.get(User, make_user(role="agent").id)
    mine = db.session.get(Case, make_case(agent, mifi_client_number="A1").id)
    make_case(agent, mifi_client_number="B2")
    values = operations.PersonFields(
        mine.person.given_names,
        mine.person.family_name,
        "economic",
        mifi_client_number="A1",
        date_of_birth=mine.person.date_of_birth,
    )
    assert "mifi_client_number" not in operations.update_person(
        agent, mine, values, mine.person.version
    )
    values.mifi_client_number = "B2"
    with pytest.raises(operations.CaseError):
        operations.update_person(agent, mine, values, mine.person.version)


# --- Forms and views ---------------------------------------------------------------------------


def test_the_new_case_form_folds_path_and_status_and_opens_the_case(app, client, login):
    login(role="agent")
    page = client.get("/dossiers/nouveau").text
    folded = re.search(r"<details class=\"more-fields\">\s*<summary>Parcours et statut", page)
    assert folded, "the section is folded while empty"
    assert 'data-shown-for="immigration_category"' in page
    assert 'data-shown-values="temporary_worker student"' in page
    assert '<option value="4032">' in page  # the stored occupations are suggested
    response = _open(
        client,
        immigration_category="temporary_worker",
        mifi_client_number="Q5550001",
        education_level="college",
        field_of_study="Soins infirmiers",
        origin_cnp="3012",
        origin_cnp_version="2016",
        employment_status="employed_outside_field",
        permit_expires_on="2027-08-31",
        caq_expires_on="2027-08-31",
    )
    assert response.status_code == 302, _errors(response.text)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/dossiers/{case_id}").text
    assert "Q5550001" in shown
    assert "Collégial" in shown or "College" in shown
    assert "CNP 2016 3012" in shown
    assert "En emploi hors de son domaine" in shown
    assert "31 août 2027" in shown or "August 31, 2027" in shown


def test_the_edit_page_opens_the_section_when_a_value_is_set(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent, mifi_client_number="Z9")
    page = client.get(f"/dossiers/{case.id}/personne").text
    assert re.search(r"<details class=\"more-fields\" open>\s*<summary>Parcours et statut", page)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"origin_cnp": "1234", "origin_cnp_version": "2016"}, "origin_cnp", "CNP 2016"),
        (
            {
                "immigration_category": "student",
                "arrival_date": "2026-03-01",
                "caq_expires_on": "2026-02-01",
            },
            "caq_expires_on",
            "avant la date d'arrivée",
        ),
    ],
)
def test_bad_input_in_the_form_gives_a_french_error_and_stores_nothing(
    app, client, login, overrides, field, message
):
    login(role="agent")
    response = _open(client, **overrides)
    assert response.status_code == 200
    errors = _errors(response.text)
    assert field in errors and message in unescape(errors[field]), errors
    with app.app_context():
        assert _persons_named("Đặng-Tremblay") == 0


def test_a_duplicate_client_number_in_the_form_points_to_the_existing_case(
    app, client, login, make_case, make_user
):
    agent = login(role="agent", region="06")
    existing = make_case(agent, mifi_client_number="Q1000001")
    response = _open(client, mifi_client_number="q1000001")
    assert response.status_code == 200
    assert existing.number in _errors(response.text)["mifi_client_number"]
    hidden = make_case(make_user(role="agent", region="03"), mifi_client_number="Q2000002")
    response = _open(client, mifi_client_number="Q2000002")
    error = _errors(response.text)["mifi_client_number"]
    assert hidden.number not in response.text and "hors de votre" in unescape(error)
    with app.app_context():
        assert _persons_named("Đặng-Tremblay") == 0
        # The lookup of a file out of scope is in the audit trail, as a refused read.
        from casework.core.audit import AuditEvent

        refused = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.outcome == "denied", AuditEvent.target_id == str(hidden.id)
            )
        ).all()
        assert [(e.action, e.details.get("via")) for e in refused] == [
            ("cases.read", "client_number")
        ]


def test_the_whole_file_holds_the_intake_and_the_members_as_people(app, client, login, make_case):
    """The right of access gives the new fields too (page and JSON)."""
    agent = login(role="agent")
    case = make_case(
        agent, mifi_client_number="Q3000003", education_level="master", employment_status="studying"
    )
    with app.app_context():
        row = db.session.get(Case, case.id)
        user = db.session.get(User, agent.id)
        need = db.session.scalar(select(Need.id).where(Need.code == "enrolment"))
        operations.add_household_member(
            user, row, "spouse", "Fatou", None, None, "student", 5, [need]
        )
        db.session.commit()
    text = unescape(client.get(f"/rapports/dossiers/{case.id}/dossier-complet").text)
    assert "Q3000003" in text and "Maîtrise" in text and "Aux études" in text
    assert "Fatou" in text and "niveau 5 sur 12" in text
    data = client.get(f"/rapports/dossiers/{case.id}/dossier-complet.json").get_json()
    assert data["person"]["mifi_client_number"] == "Q3000003"
    (member,) = data["cases"][0]["household"]
    assert (member["immigration_category"], member["french_level_scale"]) == ("student", 5)
    assert len(member["needs"]) == 1


def test_a_duplicate_client_number_comes_in_the_same_round_as_the_other_errors(
    app, client, login, make_case
):
    agent = login(role="agent")
    existing = make_case(agent, mifi_client_number="Q1000009")
    response = _open(client, mifi_client_number="Q1000009", email="pas-un-courriel")
    errors = _errors(response.text)
    assert existing.number in errors["mifi_client_number"] and "email" in errors
