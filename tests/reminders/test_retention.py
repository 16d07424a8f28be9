"""Retention with a frozen clock: closed cases past the period are anonymised, the rest kept."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from casework.assessments.models import Assessment
from casework.cases import operations as cases
from casework.cases.models import Case, Consent, HouseholdMember, Interaction, Person
from casework.cases.retention import anonymise_expired
from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from casework.reminders import tasks
from tests.reminders.conftest import add_reminder

FROZEN = datetime(2032, 3, 1, 12, 0)
FIVE_YEARS = 5 * 365 + 1


def _closed(case: Case, days_ago: int) -> None:
    case.status = "closed"
    case.closing_reason = "goals_met"
    case.closing_summary = "Objectifs atteints ; la personne travaille chez son beau-frère."
    case.closed_at = FROZEN - timedelta(days=days_ago)


def _rich_file(case: Case, agent) -> None:
    cases.add_household_member(agent, case, "child", "Minh", "Nguyễn", date(2015, 4, 2))
    db.session.add(
        Interaction(
            case_id=case.id,
            kind="phone",
            occurred_at=datetime(2026, 2, 1, 15),
            summary="Appel : déménage chez sa sœur à Laval.",
        )
    )
    db.session.add(
        Consent(
            case_id=case.id, purpose="share_partner", given_on=date(2026, 1, 5), method="signed"
        )
    )
    plan = Plan(case_id=case.id, number=1, status="final")
    plan.actions.append(PlanAction(objective="Emploi", label="Rencontre chez PROMIS"))
    db.session.add(plan)
    db.session.add(
        Assessment(case_id=case.id, number=1, status="completed", current_occupation="Infirmière")
    )
    db.session.flush()


def test_closed_cases_past_the_period_are_anonymised_and_others_kept(case, agent, make_case):
    _rich_file(case, agent)
    reminder = add_reminder(case, FROZEN)
    _closed(case, FIVE_YEARS + 10)
    recent = db.session.get(Case, make_case(agent).id)
    _closed(recent, 400)
    still_open = db.session.get(Case, make_case(agent).id)
    db.session.flush()
    person_id = case.person_id
    counts = anonymise_expired(FROZEN, FIVE_YEARS)
    assert counts["cases"] == 1
    assert counts["persons"] == 1
    assert (counts["household_members"], counts["interactions"], counts["consents"]) == (1, 1, 1)
    db.session.expire_all()
    person = db.session.get(Person, person_id)
    assert (person.given_names, person.family_name, person.date_of_birth, person.email) == (
        "—",
        "—",
        None,
        None,
    )
    anonymised = db.session.get(Case, case.id)
    assert anonymised.anonymised_at == FROZEN
    assert anonymised.closing_summary is None
    assert anonymised.number.startswith("AQ-")  # statistics keep the case, not the person
    for model in (HouseholdMember, Interaction, Consent, Plan):
        assert db.session.scalar(select(func.count()).where(model.case_id == case.id)) == 0
    assert (
        db.session.scalar(
            select(Assessment.current_occupation).where(Assessment.case_id == case.id)
        )
        is None
    )
    assert db.session.get(type(reminder), reminder.id).status == "cancelled"
    assert db.session.get(Case, recent.id).anonymised_at is None
    assert db.session.get(Case, still_open.id).anonymised_at is None
    assert db.session.get(Person, recent.person_id).family_name != "—"
    assert anonymise_expired(FROZEN, FIVE_YEARS)["cases"] == 0  # nothing twice


def test_a_person_with_another_case_kept_keeps_their_record(case, agent):
    from casework.cases.models import Case as CaseModel

    second = CaseModel(
        person_id=case.person_id,
        agent_id=agent.id,
        region_id=case.region_id,
        service_point_id=case.service_point_id,
        origin="walk_in",
        status="active",
    )
    db.session.add(second)
    _closed(case, FIVE_YEARS + 1)
    db.session.flush()
    counts = anonymise_expired(FROZEN, FIVE_YEARS)
    assert (counts["cases"], counts["persons"]) == (1, 0)
    assert db.session.get(Person, case.person_id).family_name != "—"


def test_the_retention_job_logs_counts_only(case, agent, app, caplog):
    _rich_file(case, agent)
    _closed(case, FIVE_YEARS + 1)
    db.session.flush()
    family_name = case.person.family_name
    with caplog.at_level(logging.INFO):
        counts = tasks.retention(FROZEN)
    assert counts["cases"] == 1
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "retention run: " in logged and "cases=1" in logged
    assert family_name not in logged and "Minh" not in logged
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.run"))
    assert event.details["cases"] == 1
    assert all(isinstance(value, int) for value in event.details.values())


def test_the_intake_identifiers_go_and_its_codes_stay(case, agent):
    """Issue 19: the client number, field of study and expiry dates designate the person; the
    codes of schooling, profession and situation at intake stay for statistics. The members'
    needs go with the members."""
    from casework.cases.models import HouseholdMemberNeed
    from casework.reference.models import Need

    person = case.person
    person.mifi_client_number, person.field_of_study = "Q4000004", "Génie civil"
    person.education_level, person.employment_status = "bachelor", "looking_for_work"
    person.origin_cnp, person.origin_cnp_version = "2143", "2016"
    person.immigration_category, person.permit_expires_on = "student", date(2027, 1, 1)
    need = db.session.scalar(select(Need.id).where(Need.code == "enrolment"))
    cases.add_household_member(agent, case, "spouse", "Fatou", None, None, "student", 4, [need])
    _closed(case, FIVE_YEARS + 1)
    db.session.flush()
    anonymise_expired(FROZEN, FIVE_YEARS)
    db.session.expire_all()
    kept = db.session.get(Person, case.person_id)
    assert (kept.mifi_client_number, kept.field_of_study, kept.permit_expires_on) == (
        None,
        None,
        None,
    )
    assert (kept.education_level, kept.employment_status, kept.origin_cnp) == (
        "bachelor",
        "looking_for_work",
        "2143",
    )
    assert db.session.scalar(select(func.count()).select_from(HouseholdMemberNeed)) == 0
