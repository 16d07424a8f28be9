"""Household members as people (issue 19, point 3): their own category, French level and needs,
and the values attestation that concerns a spouse 16 and over and children 18 and over."""

from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from casework.auth.models import User
from casework.cases import operations
from casework.cases.household import values_attestation_members
from casework.cases.models import Case, HouseholdMember, HouseholdMemberNeed
from casework.extensions import db
from casework.reference.models import Need
from tests import helpers

TODAY = date(2026, 6, 15)


def _need_ids(*codes: str) -> list[int]:
    return list(db.session.scalars(select(Need.id).where(Need.code.in_(codes)).order_by(Need.id)))


def _case(make_user, make_case, category="economic") -> tuple[User, Case]:
    agent = db.session.get(User, make_user(role="agent").id)
    return agent, db.session.get(Case, make_case(agent, immigration_category=category).id)


def test_a_member_keeps_their_category_french_level_and_needs(ctx, make_user, make_case):
    agent, case = _case(make_user, make_case)
    needs = _need_ids("objectif_integration", "values_attestation")
    assert len(needs) == 2
    member = operations.add_household_member(
        agent, case, "spouse", " Fatou ", "Diallo", date(1990, 1, 1), "temporary_worker", 5, needs
    )
    assert (member.given_names, member.immigration_category, member.french_level_scale) == (
        "Fatou",
        "temporary_worker",
        5,
    )
    assert sorted(row.need_id for row in member.needs) == needs
    operations.update_household_member(
        agent, case, member.id, "spouse", "Fatou", "Diallo", date(1990, 1, 1), None, 7, needs[:1]
    )
    db.session.flush()
    stored = db.session.scalars(
        select(HouseholdMemberNeed.need_id).where(HouseholdMemberNeed.member_id == member.id)
    )
    assert list(stored) == needs[:1]
    assert member.immigration_category is None and member.french_level_scale == 7


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"immigration_category": "tourist"}, "immigration_category"),
        ({"french_level_scale": 13}, "french_level_scale"),
        ({"need_ids": [987654]}, "needs"),
    ],
)
def test_bad_member_values_are_refused_and_nothing_is_stored(
    ctx, make_user, make_case, extra, field
):
    agent, case = _case(make_user, make_case)
    with pytest.raises(operations.CaseError) as refused:
        operations.add_household_member(
            agent, case, "child", "Ali", None, date(2010, 1, 1), **extra
        )
    assert field in [name for name, _message in refused.value.errors]
    assert (
        db.session.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case.id)).all()
        == []
    )


def _member(agent, case, relationship, born, category=None):
    return operations.add_household_member(
        agent, case, relationship, relationship.title(), None, born, category
    )


def test_the_attestation_concerns_a_spouse_16_and_children_18_by_their_own_age_and_category(
    ctx, make_user, make_case
):
    """Plan, l. 898–902: spouse 16 and over, dependent children 18 and over; under 18 exempt."""
    agent, case = _case(make_user, make_case, category="economic")
    spouse = _member(agent, case, "spouse", date(2010, 6, 15))  # 16 today
    young_spouse = _member(agent, case, "spouse", date(2010, 6, 16))  # 15 until tomorrow
    adult_child = _member(agent, case, "child", date(2008, 6, 15))  # 18 today
    minor = _member(agent, case, "child", date(2008, 6, 16))  # 17
    refugee_child = _member(agent, case, "child", date(2000, 1, 1), category="gar")
    parent = _member(agent, case, "parent", date(1950, 1, 1))
    unknown_age = _member(agent, case, "child", None)
    db.session.refresh(case)
    due = {item.member.id: item.age for item in values_attestation_members(case, TODAY)}
    assert due == {spouse.id: 16, adult_child.id: 18}
    assert not {young_spouse.id, minor.id, refugee_child.id, parent.id, unknown_age.id} & set(due)


def test_a_member_in_an_economic_program_is_concerned_even_when_the_person_is_not(
    ctx, make_user, make_case
):
    agent, case = _case(make_user, make_case, category="family")
    spouse = _member(agent, case, "spouse", date(1985, 1, 1), category="economic")
    _member(agent, case, "child", date(2000, 1, 1))  # the person's category: family
    db.session.refresh(case)
    assert [item.member.id for item in values_attestation_members(case, TODAY)] == [spouse.id]


def test_the_household_pages_record_and_show_a_member_as_a_person(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent, immigration_category="economic")
    with app.app_context():
        need_id = _need_ids("objectif_integration")[0]
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/menage",
        {
            "relationship": "spouse",
            "given_names": "Fatou",
            "date_of_birth": "1990-01-01",
            "immigration_category": "",
            "french_level_scale": "4",
            "needs": [str(need_id)],
        },
    )
    assert response.status_code == 302
    page = client.get(f"/dossiers/{case.id}").text
    assert "Fatou" in page and "niveau 4 sur 12" in page
    assert "doit obtenir l'attestation des valeurs" in unescape(page)
    with app.app_context():
        member = db.session.scalar(
            select(HouseholdMember).where(HouseholdMember.case_id == case.id)
        )
        member_id = member.id
    edit = client.get(f"/dossiers/{case.id}/menage/{member_id}").text
    assert 'value="4"' in edit and "checked" in edit
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/menage/{member_id}",
        {
            "relationship": "spouse",
            "given_names": "Fatou",
            "french_level_scale": "13",
            "version": helpers.form_fields(edit)["version"],
        },
    )
    assert response.status_code == 200 and "1 à 12" in response.text
    with app.app_context():
        assert db.session.get(HouseholdMember, member_id).french_level_scale == 4


def test_another_agents_member_cannot_be_edited(client, login, make_case, make_user):
    owner = make_user(role="agent", region="03")
    case = make_case(owner)
    login(role="agent", region="06")
    assert client.get(f"/dossiers/{case.id}/menage/1").status_code in (403, 404)


def test_the_case_page_shows_members_and_needs_in_a_fixed_number_of_queries(
    app, client, login, make_case, count_queries
):
    agent = login(role="agent")
    case = make_case(agent)
    with app.app_context():
        needs = _need_ids("objectif_integration", "values_attestation", "enrolment")
        user, row = db.session.get(User, agent.id), db.session.get(Case, case.id)
        operations.add_household_member(user, row, "spouse", "A", None, None, None, 3, needs[:1])
        db.session.commit()
    with count_queries() as few:
        client.get(f"/dossiers/{case.id}")
    with app.app_context():
        user, row = db.session.get(User, agent.id), db.session.get(Case, case.id)
        for index in range(6):
            operations.add_household_member(
                user, row, "child", f"E{index}", None, None, None, 2, needs
            )
        db.session.commit()
    with count_queries() as many:
        page = client.get(f"/dossiers/{case.id}").text
    assert page.count("Besoins :") == 7
    assert many.count == few.count
