"""Follow-up interviews (issue 19, point 1): recorded as history, checked before anything is
stored, reachable only by the case's agent (supervisors read), and what they close."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework.auth.models import User
from casework.cases.models import Case
from casework.core.audit import AuditEvent
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.followups import cmm, operations
from casework.followups.models import FollowUp, FollowUpSituation
from casework.followups.operations import FollowUpError, FollowUpValues, Situation
from casework.reference.models import Region
from tests import helpers


def _region_id(code: str) -> int:
    return db.session.scalar(select(Region.id).where(Region.code == code))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def agent_case(app, make_user, make_case):
    agent = make_user(role="agent", region="06")
    case = make_case(agent)
    return agent, case


def _values(held_on=None, **situations) -> FollowUpValues:
    return FollowUpValues(held_on=held_on or local_today(), situations=situations)


def test_a_follow_up_keeps_history_and_the_latest_situation_per_domain(ctx, agent_case):
    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    operations.record(
        agent,
        case,
        _values(
            housing=Situation(housing_status="temporary"),
            employment=Situation(employment_status="looking_for_work"),
            residence=Situation(region_id=_region_id("06"), municipality="Montréal"),
        ),
    )
    operations.record(
        agent,
        case,
        _values(
            employment=Situation(
                employment_status="employed_in_field",
                employment_cnp="4032",
                employment_cnp_version="2016",
            ),
            residence=Situation(region_id=_region_id("03"), municipality="Québec"),
        ),
    )
    db.session.flush()
    assert len(operations.history(case.id)) == 2
    # Nothing was overwritten: both residence rows are there.
    rows = db.session.scalars(
        select(FollowUpSituation)
        .where(FollowUpSituation.case_id == case.id, FollowUpSituation.domain == "residence")
        .order_by(FollowUpSituation.id)
    ).all()
    assert [(r.municipality, r.in_montreal_cmm) for r in rows] == [
        ("Montréal", True),
        ("Québec", False),
    ]
    latest = operations.latest_situation(case.id)
    assert latest["employment"].employment_status == "employed_in_field"
    assert latest["employment"].employment_cnp == "4032"
    assert latest["residence"].municipality == "Québec"
    # A domain the second follow-up did not discuss keeps its last known value.
    assert latest["housing"].housing_status == "temporary"
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "follow_up.recorded", AuditEvent.target_id == str(case.id)
            )
        )
        == 2
    )


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        (lambda today: today + timedelta(days=1), "daté dans le futur"),
        (lambda today: today - timedelta(days=1), "avant l.ouverture du dossier"),
    ],
)
def test_a_follow_up_dated_outside_the_case_is_refused_and_nothing_stored(
    ctx, agent_case, held_on, message
):
    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    before = _count(FollowUp), _count(FollowUpSituation)
    with pytest.raises(FollowUpError) as refused:
        operations.record(
            agent,
            case,
            _values(held_on(local_today()), housing=Situation(housing_status="stable")),
        )
    assert re.search(message, str(refused.value))
    assert refused.value.field == "held_on"
    assert (_count(FollowUp), _count(FollowUpSituation)) == before


def test_a_cnp_not_in_the_stored_version_is_refused(ctx, agent_case):
    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    before = _count(FollowUp)
    for code, version in (("9999", "2016"), ("4032", "2021"), ("403", "2016")):
        with pytest.raises(FollowUpError) as refused:
            operations.record(
                agent,
                case,
                _values(
                    employment=Situation(
                        employment_status="employed_in_field",
                        employment_cnp=code,
                        employment_cnp_version=version,
                    )
                ),
            )
        assert refused.value.field == "employment_cnp"
    assert _count(FollowUp) == before


def test_every_error_at_once(ctx, agent_case):
    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    with pytest.raises(FollowUpError) as refused:
        operations.record(
            agent,
            case,
            _values(
                local_today() + timedelta(days=3),
                french=Situation(french_enrolled=True, french_level=14),
                residence=Situation(region_id=None, municipality=None),
            ),
        )
    fields = {name for name, _message in refused.value.errors}
    assert {"held_on", "french_level", "french_format", "region_id", "municipality"} <= fields


def test_the_montreal_metropolitan_community():
    assert cmm.in_montreal_cmm("06", "Montréal") is True
    assert cmm.in_montreal_cmm("13", None) is True
    assert cmm.in_montreal_cmm("16", "Longueuil") is True
    assert cmm.in_montreal_cmm("16", "saint lambert") is True
    assert cmm.in_montreal_cmm("16", "Saint-Hyacinthe") is False
    assert cmm.in_montreal_cmm("15", "Saint-Jérôme") is False
    assert cmm.in_montreal_cmm("03", "Québec") is False
    assert cmm.in_montreal_cmm(None, "Montréal") is None


def test_months_since_arrival():
    from datetime import date

    assert operations.months_between(date(2026, 1, 31), date(2026, 7, 30)) == 5
    assert operations.months_between(date(2026, 1, 31), date(2026, 7, 31)) == 6
    assert operations.months_between(None, date(2026, 7, 31)) is None


# --- Pages ------------------------------------------------------------------------------------


def _paths(app, case_id):
    from flask import url_for

    with app.test_request_context():
        return url_for("followups.new", case_id=case_id), url_for(
            "followups.history", case_id=case_id
        )


def _filled(client, path):
    page = client.get(path)
    assert page.status_code == 200
    return helpers.form_fields(page.text)


def test_the_agent_records_a_follow_up_through_the_form(app, client, login, agent_case):
    agent, case = agent_case
    login(user=agent)
    new, history = _paths(app, case.id)
    fields = _filled(client, new)
    with app.app_context():
        montreal = str(_region_id("06"))
    fields.update(
        housing_status="stable",
        employment_status="employed_in_field",
        employment_cnp="4032",
        employment_cnp_version="2016",
        region_id=montreal,
        municipality="Montréal",
        french_enrolled="yes",
        french_level="5",
        french_format="part_time",
    )
    response = client.post(new, data=fields)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith(history)
    with app.app_context():
        latest = operations.latest_situation(case.id)
        assert latest["french"].french_level == 5
        assert latest["employment"].employment_cnp == "4032"
    shown = client.get(history)
    assert shown.status_code == 200
    assert "4032" in shown.text
    case_page = client.get(f"/dossiers/{case.id}")
    assert "Consigner un suivi" in case_page.text
    assert "Montréal" in case_page.text
    # The form of the next follow-up starts from what was recorded.
    again = _filled(client, new)
    assert again["employment_cnp"] == "4032"
    assert again["housing_status"] == "stable"


def test_a_future_date_in_the_form_says_so_in_french_and_stores_nothing(
    app, client, login, agent_case
):
    agent, case = agent_case
    login(user=agent)
    new, _history = _paths(app, case.id)
    fields = _filled(client, new)
    fields.update(
        held_on=(local_today() + timedelta(days=2)).isoformat(),
        housing_status="stable",
        employment_cnp="12345",
        employment_status="employed_in_field",
        employment_cnp_version="2021",
    )
    response = client.post(new, data=fields)
    assert response.status_code == 200
    assert "Il y a un problème" in response.text
    assert "ne peut pas être daté dans le futur" in response.text
    assert "ne figure pas parmi les professions CNP 2021 enregistrées" in response.text
    with app.app_context():
        assert operations.history(case.id) == []


def test_who_may_read_and_record(app, client, make_user, login, agent_case):
    _agent, case = agent_case
    new, history = _paths(app, case.id)
    other_agent = make_user(role="agent", region="06")
    login(user=other_agent)
    assert client.get(new).status_code == 403
    assert client.get(history).status_code == 403
    client.get("/deconnexion")
    supervisor = make_user(role="supervisor", region="06")
    browser = helpers.signed_in(app, supervisor)
    assert browser.get(history).status_code == 200
    assert browser.get(new).status_code == 403
    elsewhere = helpers.signed_in(app, make_user(role="supervisor", region="03"))
    assert elsewhere.get(history).status_code == 403
    partner = helpers.signed_in(app, make_user(role="partner"))
    assert partner.get(history).status_code == 403
    with app.app_context():
        denied = db.session.scalar(
            select(func.count()).where(
                AuditEvent.target_id == str(case.id), AuditEvent.outcome == "denied"
            )
        )
        viewed = db.session.scalar(
            select(func.count()).where(
                AuditEvent.target_id == str(case.id),
                AuditEvent.action == "follow_up.history_viewed",
            )
        )
    assert denied >= 4
    assert viewed == 1


def test_anonymising_a_case_keeps_the_situation_without_free_text(ctx, agent_case):
    from casework.cases.events import CasesAnonymised
    from casework.core.events import emit
    from casework.core.time import utcnow

    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    values = _values(
        french=Situation(french_enrolled=True, french_format="online", french_provider="Cégep X")
    )
    values.notes = "La personne habite chez sa sœur."
    operations.record(agent, case, values)
    emit(CasesAnonymised(case_ids=(case.id,), at=utcnow()))
    db.session.expire_all()
    (follow_up,) = operations.history(case.id)
    assert follow_up.notes is None
    (french,) = follow_up.situations
    assert (french.french_enrolled, french.french_format, french.french_provider) == (
        True,
        "online",
        None,
    )


def test_each_follow_up_is_on_the_case_timeline_naming_what_changed(app, client, login, agent_case):
    agent, case = agent_case
    with app.app_context():
        agent_row, case_row = db.session.get(User, agent.id), db.session.get(Case, case.id)
        first = operations.record(
            agent_row,
            case_row,
            _values(
                housing=Situation(housing_status="temporary"),
                employment=Situation(employment_status="looking_for_work"),
                residence=Situation(region_id=_region_id("06"), municipality="Montréal"),
            ),
        )
        second_values = _values(
            housing=Situation(housing_status="temporary"),  # unchanged: not named
            employment=Situation(
                employment_status="employed_in_field",
                employment_cnp="4032",
                employment_cnp_version="2016",
            ),
            residence=Situation(region_id=_region_id("04"), municipality="Trois-Rivières"),
        )
        second_values.milestone = 6
        second = operations.record(agent_row, case_row, second_values)
        third = operations.record(
            agent_row, case_row, _values(housing=Situation(housing_status="temporary"))
        )
        db.session.commit()
        ids = (first.id, second.id, third.id)
    login(user=agent)
    page = client.get(f"/dossiers/{case.id}?type=followup")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text.replace("&#39;", "'"))
    assert "Suivi : logement temporaire, en recherche d'emploi, réside à Montréal" in text, text
    assert "Suivi à 6 mois : emploi dans son domaine (CNP 4032), réside à Trois-Rivières" in text
    assert "Suivi : aucun changement" in text
    for follow_up_id in ids:
        assert f"/dossiers/{case.id}/suivis/#suivi-{follow_up_id}" in page.text


def test_the_form_posted_twice_records_one_follow_up(app, client, login, agent_case):
    agent, case = agent_case
    login(user=agent)
    new, _history = _paths(app, case.id)
    fields = {**_filled(client, new), "housing_status": "stable"}
    assert client.post(new, data=fields).status_code == 302
    again = client.post(new, data=fields)
    assert again.status_code == 200 and "vient d’être consigné" in again.text.replace("'", "’")
    with app.app_context():
        assert len(operations.history(case.id)) == 1
    # Another situation the same day is a new interview (a correction), not a copy.
    assert client.post(new, data={**fields, "housing_status": "temporary"}).status_code == 302
    with app.app_context():
        assert len(operations.history(case.id)) == 2


@pytest.mark.parametrize("query, posted", [("?rappel=²", {}), ("", {"milestone": "abc"})])
def test_a_malformed_reminder_or_milestone_is_no_500(app, client, login, agent_case, query, posted):
    agent, case = agent_case
    login(user=agent)
    new, _history = _paths(app, case.id)
    fields = {**_filled(client, new), "housing_status": "stable", **posted}
    response = client.post(new + query, data=fields)
    assert response.status_code in (200, 302)
    if posted:
        assert response.status_code == 200 and "Il y a un problème" in response.text


def test_no_follow_up_on_an_anonymised_case(ctx, agent_case):
    agent_record, case_record = agent_case
    agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
    case.anonymised_at = utcnow()
    db.session.flush()
    with pytest.raises(FollowUpError):
        operations.record(agent, case, _values(housing=Situation(housing_status="stable")))
    assert _count(FollowUp) == 0


def test_the_labels_cover_every_code():
    """Every employment status, French format and domain has its words (a code added to one
    list and not the other would show a raw code, or raise, on a page)."""
    from casework.followups.models import DOMAINS, EMPLOYMENT_STATUSES, FRENCH_FORMATS
    from casework.referrals import outcomes

    assert set(operations.EMPLOYMENT_LABELS) == set(EMPLOYMENT_STATUSES)
    assert set(operations.EMPLOYMENT_CHANGES) == set(EMPLOYMENT_STATUSES)
    assert set(outcomes.COURSE_FORMATS) == set(FRENCH_FORMATS)
    assert set(operations.DOMAIN_FIELDS) == set(DOMAINS)
