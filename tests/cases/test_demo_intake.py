"""Demo intake (issue 19): the follow-up fields and household members filled credibly."""

from __future__ import annotations

from sqlalchemy import select

from casework.cases import choices
from casework.cases.models import Case, HouseholdMember, HouseholdMemberNeed
from casework.demo import load_demo
from casework.demo.cases import load_demo_cases
from casework.extensions import db
from casework.reference.lookup import stored_occupations
from tests.cases.test_demo_cases import DEMO_PASSWORD


def test_demo_persons_and_members_have_intake_fields(ctx):
    load_demo(password=DEMO_PASSWORD)
    load_demo_cases(120)
    cases = list(db.session.scalars(select(Case)))
    persons = [case.person for case in cases]
    numbers = [p.mifi_client_number for p in persons if p.mifi_client_number]
    assert len(numbers) == len(set(numbers)) and len(numbers) > len(persons) / 3
    assert {p.education_level for p in persons} >= {"secondary", "college", "bachelor"}
    assert {p.employment_status for p in persons} >= {"looking_for_work", "employed_in_field"}
    stored = {o.cnp for o in stored_occupations()}
    professions = [p.origin_cnp for p in persons if p.origin_cnp]
    assert professions and set(professions) <= stored
    temporary = [p for p in persons if p.immigration_category in choices.TEMPORARY_CATEGORIES]
    assert temporary and all(p.permit_expires_on for p in temporary)
    for person in persons:
        for expiry in (person.permit_expires_on, person.caq_expires_on):
            if expiry is not None:
                assert person.immigration_category in choices.TEMPORARY_CATEGORIES
                assert person.arrival_date is None or expiry >= person.arrival_date
    members = list(db.session.scalars(select(HouseholdMember)))
    assert any(m.french_level_scale for m in members)
    assert any(m.immigration_category for m in members)
    assert db.session.scalars(select(HouseholdMemberNeed)).first() is not None
