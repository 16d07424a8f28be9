"""A 409 keeps what was typed: the needs assessment's draft."""

from __future__ import annotations

from sqlalchemy import select

from casework.assessments.models import Assessment
from casework.extensions import db
from tests import helpers
from tests.assessments.test_assessments import _form_data, _start


def test_a_stale_draft_comes_back_with_what_was_typed(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/evaluation/modifier"
    page = _start(client, case.id).text
    first = _form_data(page, current_occupation="Infirmière", action="draft")
    second = _form_data(page, current_cnp="3012", action="draft")
    assert helpers.post_form(client, path, first).status_code == 302
    response = helpers.post_form(client, path, second)
    assert response.status_code == 409
    kept = helpers.form_fields(response.text)
    assert kept["current_cnp"] == "3012"  # typed here
    assert kept["current_occupation"] == "Infirmière"  # saved meanwhile, merged in
    with app.app_context():
        draft = db.session.get(Assessment, _draft_id(case.id))
        assert draft.current_cnp != "3012" and kept["version"] == str(draft.version)
    kept.pop("csrf_token", None)
    assert helpers.post_form(client, path, {**kept, "action": "draft"}).status_code == 302
    with app.app_context():
        draft = db.session.get(Assessment, _draft_id(case.id))
        assert (draft.current_cnp, draft.current_occupation) == ("3012", "Infirmière")


def _draft_id(case_id: int) -> int:
    return db.session.scalar(select(Assessment.id).where(Assessment.case_id == case_id))
