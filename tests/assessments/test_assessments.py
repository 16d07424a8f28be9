"""Needs assessment: drafts, completion, versions, comparison, conflicts, validation."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casework.assessments.models import Assessment
from casework.cases.models import Case
from casework.extensions import db
from casework.reference.models import Domain, Need
from tests import helpers


@pytest.fixture
def catalogue(app):
    with app.app_context():
        needs = {
            (need.domain.code, need.code): need.id
            for need in db.session.scalars(select(Need).join(Domain))
        }
        domains = {d.code: d.id for d in db.session.scalars(select(Domain))}
    return needs, domains


def _start(client, case_id):
    response = helpers.post_form(
        client,
        f"/dossiers/{case_id}/evaluation/nouvelle",
        token_from=f"/dossiers/{case_id}/evaluation/",
    )
    assert response.status_code == 302
    return client.get(f"/dossiers/{case_id}/evaluation/modifier")


def _complete(client, case_id, data: dict) -> None:
    """Review and complete: the draft saved, then the confirmation page's button."""
    edit = f"/dossiers/{case_id}/evaluation/modifier"
    response = helpers.post_form(client, edit, {**data, "action": "review"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dossiers/{case_id}/evaluation/terminer")
    confirm = client.get(f"/dossiers/{case_id}/evaluation/terminer")
    assert confirm.status_code == 200
    fields = helpers.form_fields(confirm.text)
    assert "Terminer l&#39;évaluation" in confirm.text or "Terminer l'évaluation" in confirm.text
    completed = client.post(f"/dossiers/{case_id}/evaluation/terminer", data=fields)
    assert completed.status_code == 302
    assert completed.headers["Location"].endswith(f"/dossiers/{case_id}/evaluation/terminee")


def _form_data(page: str, **changes) -> dict:
    """Every field as the browser would send it, then the changes."""
    data = helpers.form_fields(page)
    data.pop("csrf_token", None)
    data.update(changes)
    return data


def test_first_assessment_draft_then_complete(app, client, login, make_case, catalogue):
    needs, domains = catalogue
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    for domain in (
        "Installation",
        "Francisation",
        "Vie collective",
        "Emploi",
        "Démarches d'immigration",
    ):
        assert domain in page or domain.replace("'", "&#39;") in page
    housing = needs[("settlement", "housing")]
    data = _form_data(
        page,
        **{
            f"level_{housing}": "urgent",
            f"notes_{housing}": "Hébergement temporaire jusqu'au 15",
            f"assets_{domains['employment']}": "Baccalauréat en génie civil (Colombie)",
            "interview_date": date.today().isoformat(),
            "interview_mode": "video",
            "interpreter_language": "es",
            "interpreter_remote": "y",
            "requalification_interest": "y",
            "current_occupation": "Ingénieur civil",
            "current_cnp": "21300",
            "target_cnp": "2143",
            "action": "draft",
        },
    )
    response = helpers.post_form(client, f"/dossiers/{case.id}/evaluation/modifier", data)
    assert response.status_code == 302
    page = client.get(f"/dossiers/{case.id}/evaluation/modifier").text
    assert "Hébergement temporaire jusqu&#39;au 15" in page  # the draft resumes as it was left
    data = _form_data(page)
    assert data[f"level_{housing}"] == "urgent"
    with app.app_context():
        assessment = db.session.scalar(select(Assessment).where(Assessment.case_id == case.id))
        assert assessment.status == "draft"
    _complete(client, case.id, data)
    with app.app_context():
        assessment = db.session.scalar(select(Assessment).where(Assessment.case_id == case.id))
        assert assessment.status == "completed" and assessment.interpreter_remote
        assert assessment.requalification_interest and assessment.target_cnp == "2143"
        assert db.session.get(Case, case.id).status == "active"
    view = client.get(f"/dossiers/{case.id}/evaluation/").text
    assert "Hébergement temporaire" in view and "Baccalauréat en génie civil" in view
    glance = client.get(f"/dossiers/{case.id}").text
    assert "Urgent" in glance


def test_completion_needs_interview_date_and_mode(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    response = helpers.post_form(
        client, f"/dossiers/{case.id}/evaluation/modifier", _form_data(page, action="review")
    )
    assert response.status_code == 200
    assert 'id="interview_date-error"' in response.text
    # The confirmation page cannot be reached around it either.
    confirm = client.get(f"/dossiers/{case.id}/evaluation/terminer")
    assert confirm.status_code == 302 and confirm.headers["Location"].endswith("/modifier")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interview_date", (date.today() + timedelta(days=1)).isoformat()),
        ("current_cnp", "abc"),
        ("interview_mode", "telepathy"),
        ("interpreter_language", "xx-invalid"),
    ],
)
def test_invalid_values_save_nothing(app, client, login, make_case, field, value):
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/evaluation/modifier",
        _form_data(page, **{field: value, "action": "draft"}),
    )
    assert response.status_code == 200
    assert 'class="error-message"' in response.text
    with app.app_context():
        assessment = db.session.scalar(select(Assessment).where(Assessment.case_id == case.id))
        assert assessment.version == 1


def test_unknown_level_is_refused(client, login, make_case, catalogue):
    needs, _ = catalogue
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    housing = needs[("settlement", "housing")]
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/evaluation/modifier",
        _form_data(page, **{f"level_{housing}": "apocalyptic", "action": "draft"}),
    )
    assert response.status_code == 200 and f'id="level_{housing}-error"' in response.text


def test_two_tabs_editing_the_same_draft_get_a_conflict(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    first = _form_data(page, current_occupation="Infirmière", action="draft")
    second = _form_data(page, current_occupation="Comptable", action="draft")
    assert (
        helpers.post_form(client, f"/dossiers/{case.id}/evaluation/modifier", first).status_code
        == 302
    )
    assert (
        helpers.post_form(client, f"/dossiers/{case.id}/evaluation/modifier", second).status_code
        == 409
    )
    assert "Infirmière" in client.get(f"/dossiers/{case.id}/evaluation/modifier").text


def test_reassessment_is_a_new_version_and_the_old_one_stays_readable(
    app, client, login, make_case, catalogue
):
    needs, _ = catalogue
    agent = login(role="agent")
    case = make_case(agent)
    housing = needs[("settlement", "housing")]
    page = _start(client, case.id).text
    _complete(
        client,
        case.id,
        _form_data(
            page,
            **{
                f"level_{housing}": "high",
                "interview_date": "2026-01-10",
                "interview_mode": "in_person",
            },
        ),
    )
    page = _start(client, case.id).text
    data = _form_data(
        page,
        **{
            f"level_{housing}": "low",
            "interview_date": date.today().isoformat(),
        },
    )
    assert data["interview_mode"] == "in_person"  # the re-assessment starts from the last version
    _complete(client, case.id, data)
    with app.app_context():
        versions = db.session.scalars(
            select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.number)
        ).all()
        assert [(v.number, v.status) for v in versions] == [(1, "completed"), (2, "completed")]
    first = client.get(f"/dossiers/{case.id}/evaluation/1").text
    assert "Élevé" in first or "High" in first
    comparison = client.get(f"/dossiers/{case.id}/evaluation/comparer?de=1&a=2")
    assert comparison.status_code == 200
    assert "Logement" in comparison.text
    assert client.get(f"/dossiers/{case.id}/evaluation/comparer?de=1&a=9").status_code == 404


def test_completed_version_cannot_be_changed(app, ctx, make_user, make_case):
    from casework.assessments import operations
    from casework.auth.models import User
    from casework.core.domain import DomainError as CaseError

    agent = make_user(role="agent")
    case = make_case(agent)
    user = db.session.get(User, agent.id)
    draft = operations.start(user, db.session.get(Case, case.id))
    values = operations.AssessmentValues(interview_date=date.today(), interview_mode="phone")
    operations.save(user, draft, values, draft.version, complete=True)
    with pytest.raises(CaseError):
        operations.save(user, draft, values, draft.version)


def test_caseload_filter_by_domain_with_open_needs(app, client, login, make_case, catalogue):
    needs, _ = catalogue
    agent = login(role="agent")
    with_need, without = make_case(agent), make_case(agent)
    page = _start(client, with_need.id).text
    helpers.post_form(
        client,
        f"/dossiers/{with_need.id}/evaluation/modifier",
        _form_data(
            page,
            **{
                f"level_{needs[('francisation', next(k for d, k in needs if d == 'francisation'))]}": "moderate",
                "action": "draft",
            },
        ),
    )
    listing = client.get("/dossiers/?domain=francisation").text
    assert with_need.number in listing and without.number not in listing


def test_draft_page_has_sections_radios_notes_on_demand_and_the_running_summary(
    client, login, make_case, catalogue
):
    needs, _ = catalogue
    agent = login(role="agent")
    case = make_case(agent)
    page = _start(client, case.id).text
    housing, work = needs[("settlement", "housing")], needs[("employment", "job_search")]
    assert 'href="#domaine-settlement"' in page and 'id="domaine-settlement"' in page
    assert re.search(rf'<input[^>]*name="level_{housing}"[^>]*type="radio"', page) or re.search(
        rf'<input[^>]*type="radio"[^>]*name="level_{housing}"', page
    )
    assert '<details class="on-demand">' in page  # empty notes stay closed
    assert "<select" not in page.split('id="domaine-settlement"')[1].split("</section>")[0]
    data = _form_data(
        page, **{f"level_{housing}": "urgent", f"level_{work}": "high", "action": "draft"}
    )
    helpers.post_form(client, f"/dossiers/{case.id}/evaluation/modifier", data)
    page = client.get(f"/dossiers/{case.id}/evaluation/modifier").text
    summary = page.split("data-level-summary")[1].split("</section>")[0]
    assert f'href="#need-{housing}"' in summary and f'href="#need-{work}"' in summary
    assert 'data-level-count="urgent">1<' in summary and 'data-level-count="high">1<' in summary
    assert "js/assessment.js" in page and "<script>" not in page


def test_completion_is_confirmed_then_offers_to_generate_the_plan(
    app, client, login, make_case, catalogue
):
    needs, _ = catalogue
    agent = login(role="agent")
    case = make_case(agent)
    housing = needs[("settlement", "housing")]
    page = _start(client, case.id).text
    data = _form_data(
        page,
        **{
            f"level_{housing}": "urgent",
            "interview_date": date.today().isoformat(),
            "interview_mode": "in_person",
            "action": "review",
        },
    )
    assert (
        helpers.post_form(client, f"/dossiers/{case.id}/evaluation/modifier", data).status_code
        == 302
    )
    confirm = client.get(f"/dossiers/{case.id}/evaluation/terminer").text
    assert "Logement" in confirm and "Urgent" in confirm  # what will be recorded
    with app.app_context():
        assert (
            db.session.scalar(select(Assessment.status).where(Assessment.case_id == case.id))
            == "draft"
        )
    fields = helpers.form_fields(confirm)
    stale = {**fields, "version": str(int(fields["version"]) - 1)}
    assert client.post(f"/dossiers/{case.id}/evaluation/terminer", data=stale).status_code == 409
    response = client.post(f"/dossiers/{case.id}/evaluation/terminer", data=fields)
    assert response.status_code == 302
    completed = client.get(response.headers["Location"]).text
    assert "Générer le plan" in completed and f"/dossiers/{case.id}/plan/generer" in completed
    with app.app_context():
        assert (
            db.session.scalar(select(Assessment.status).where(Assessment.case_id == case.id))
            == "completed"
        )
    # Nothing left to confirm.
    again = client.get(f"/dossiers/{case.id}/evaluation/terminer")
    assert again.status_code == 302
