"""Issue 18, point 5: the in-demand occupations — the document's 2020 list, unranked, with its
classification's version and the CNP 2021 codes; edited by an administrator (audited, kept by
`casework init`); a priority, not a permission."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.reference.models import Occupation
from casework.reference.seed import load_reference_data
from tests import helpers

LIST = "/referentiel/professions"


def occupation(cnp: str) -> Occupation:
    return db.session.scalar(select(Occupation).where(Occupation.cnp == cnp))


def test_the_document_s_list_is_unranked_with_its_version_and_cnp_2021(ctx):
    rows = db.session.scalars(select(Occupation)).all()
    assert len(rows) == 9
    assert all(row.priority is None and row.cnp_version == "2016" for row in rows)
    assert occupation("4032").cnp_2021 == "41221"
    assert occupation("2143").codes == ["2143", "21330"]
    assert occupation("7201").cnp_2021 is None  # the document's code and title disagree


def test_no_demand_comes_from_the_printed_order(ctx):
    from casework.referrals.operations import occupation_demand

    first, last = occupation("4032"), occupation("7242")
    assert occupation_demand(first) == occupation_demand(last) == 1
    assert occupation_demand(None) == 0
    first.priority = 1
    assert occupation_demand(first) > occupation_demand(last)


def test_an_administrator_ranks_and_edits_and_init_keeps_it(app, client, login):
    login("admin")
    page = client.get(LIST)
    assert page.status_code == 200 and "Non classée" in unescape(page.text)
    with app.app_context():
        nurse = occupation("3012")
        ident, version = nurse.id, nurse.version
    response = helpers.post_form(
        client,
        f"{LIST}/{ident}/modifier",
        {
            "cnp": "3012",
            "cnp_version": "2016",
            "cnp_2021": "31301",
            "title": "Infirmières et infirmiers autorisés",
            "priority": "1",
            "active": "y",
            "version": str(version),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        load_reference_data(app.config["SEED_DIR"])
        nurse = occupation("3012")
        assert (nurse.priority, nurse.title) == (1, "Infirmières et infirmiers autorisés")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "occupation.updated")
        ).one()
        assert set(event.details["fields"]) == {"title", "priority"}
    assert "Infirmières et infirmiers autorisés" in client.get("/referentiel/").text


def test_an_administrator_adds_a_cnp_2021_occupation(app, client, login):
    login("admin")
    response = helpers.post_form(
        client,
        f"{LIST}/nouvelle",
        {
            "cnp": "21231",
            "cnp_version": "2021",
            "title": "Développeurs de logiciels",
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        added = occupation("21231")
        assert (added.cnp_version, added.cnp_2021, added.priority) == ("2021", "21231", None)
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.action == "occupation.created")
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cnp": "123", "cnp_version": "2016"}, "4 chiffres"),
        ({"cnp": "1234", "cnp_version": "2021"}, "5 chiffres"),
        ({"cnp": "4032", "cnp_version": "2016"}, "déjà dans la liste"),
        ({"cnp": "41221", "cnp_version": "2021"}, "déjà dans la liste"),
        ({"cnp": "1111", "cnp_version": "2016", "priority": "0"}, "1"),
        ({"cnp": "1111", "cnp_version": "2016", "title": ""}, "obligatoire"),
    ],
)
def test_bad_occupations_are_refused_and_nothing_is_stored(app, client, login, fields, message):
    login("admin")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Occupation))
    response = helpers.post_form(
        client, f"{LIST}/nouvelle", {"title": "Métier", "active": "y", **fields}
    )
    assert response.status_code == 400
    assert message in unescape(response.text)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Occupation)) == before


@pytest.mark.parametrize("role", ["agent", "supervisor", "advisor"])
def test_only_administrators_edit_the_list(client, login, role):
    login(role)
    assert client.get(LIST).status_code == 403


def test_an_assessment_may_target_an_occupation_off_the_list(app, ctx):
    from datetime import date

    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case

    agent = helpers.create_user("agent")
    record = helpers.create_case(agent.id)
    user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
    draft = assessments.start(user, case)
    values = assessments.AssessmentValues(
        interview_date=date.today(),
        interview_mode="phone",
        requalification_interest=True,
        target_cnp="21231",
    )
    assessments.save(user, draft, values, draft.version)
    assert draft.target_cnp == "21231"


@pytest.mark.parametrize(
    "code, version, errors",
    [
        (None, None, []),
        ("4032", "2016", []),
        ("41221", "2021", []),  # the CNP 2021 code of 4032, known through its 2016 row
        ("4032", None, [("employment_cnp_version", "Say which CNP version")]),
        ("4032", "2021", [("employment_cnp", "has 5 digits")]),
        ("41221", "2016", [("employment_cnp", "has 4 digits")]),
        ("9999", "2016", [("employment_cnp", "not among the stored CNP 2016")]),
    ],
)
def test_one_cnp_check_for_the_intake_the_follow_ups_and_the_outcomes(ctx, code, version, errors):
    """The intake's profession, a follow-up's job and a referral's outcome all call it."""
    from flask_babel import force_locale

    from casework.cases import validation
    from casework.core.domain import Checks, DomainError
    from casework.followups import operations as followups
    from casework.reference import occupations
    from casework.referrals import outcomes

    checks = Checks(DomainError)
    with force_locale("en"):
        occupations.check_cnp(checks, code, version, "employment_cnp")
    found = checks.found
    assert len(found) == len(errors), found
    for (name, message), (wanted_name, words) in zip(found, errors, strict=True):
        assert name == wanted_name and words in message, found
    for module in (validation, followups, outcomes):
        assert module.occupations.check_cnp is occupations.check_cnp
