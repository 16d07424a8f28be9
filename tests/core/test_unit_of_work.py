"""One unit of work per request (core/unit_of_work.py): the view runs, then its changes are
committed once; any failure rolls everything back and answers a clean page."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from flask import get_flashed_messages, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from casework.cases import operations as case_operations
from casework.cases.models import Case, HouseholdMember, Interaction
from casework.core.audit import AuditEvent, record
from casework.core.domain import Conflict, DomainError, StaleEdit
from casework.core.forms import BaseForm
from casework.core.unit_of_work import (
    refusals_answered_by,
    refusals_go_to,
    refusals_show,
    run_view,
)
from casework.extensions import db
from tests import helpers

ROOT = Path(__file__).resolve().parents[2]
MISSING_CASE = 2**31 - 1  # no such case: the foreign key refuses the row at commit


def traces(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def writes_then(outcome):
    """A view that writes an audit row, then returns or raises ``outcome``."""

    def view():
        record(None, "test.unit_of_work", target_type="test")
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return view


@pytest.fixture
def post(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_what_the_view_wrote_is_committed_after_it_returns(post):
    assert run_view(writes_then("page")) == "page"
    db.session.rollback()  # nothing left to roll back: it was committed
    assert traces("test.unit_of_work") == 1


def test_an_exception_rolls_everything_back(post):
    with pytest.raises(ZeroDivisionError):
        run_view(writes_then(ZeroDivisionError()))
    assert traces("test.unit_of_work") == 0


@pytest.mark.parametrize("conflict", [StaleEdit(), Conflict()])
def test_a_stale_edit_or_a_conflict_is_409_and_nothing_is_written(post, conflict):
    with pytest.raises(HTTPException) as answer:
        run_view(writes_then(conflict))
    assert answer.value.code == 409
    assert traces("test.unit_of_work") == 0


def test_a_refusal_that_is_also_a_conflict_is_409(post):
    class Taken(DomainError, Conflict):
        pass

    refusals_go_to("/elsewhere")
    with pytest.raises(HTTPException) as answer:
        run_view(writes_then(Taken("taken")))
    assert answer.value.code == 409


def test_a_refusal_with_no_answer_declared_is_the_conflict_page_with_its_message(post):
    body, status = run_view(writes_then(DomainError("Already answered.")))
    assert status == 409
    assert "Already answered." in body
    assert traces("test.unit_of_work") == 0


class NameForm(BaseForm):
    name = StringField()


def test_a_refusal_shows_the_form_again_with_the_message_under_its_field(post):
    form = NameForm(meta={"csrf": False}, data={"name": "typed"})
    refusals_show(form, lambda: f"form page: {form.name.data} {form.name.errors}")
    page = run_view(writes_then(DomainError("Not that name.", "name")))
    assert page == "form page: typed ['Not that name.']"  # what was typed is kept
    assert traces("test.unit_of_work") == 0


def test_a_refusal_that_names_no_field_is_flashed_on_the_form_page(post):
    form = NameForm(meta={"csrf": False})
    refusals_show(form, lambda: "form page")
    assert run_view(writes_then(DomainError("Closed case."))) == "form page"
    assert get_flashed_messages(with_categories=True) == [("error", "Closed case.")]


def test_a_refusal_can_go_elsewhere_with_its_message(post):
    refusals_go_to("/dossiers/1")
    response = run_view(writes_then(DomainError("Withdrawn already.")))
    assert response.status_code == 302
    assert response.location == "/dossiers/1"
    assert get_flashed_messages(with_categories=True) == [("error", "Withdrawn already.")]
    assert traces("test.unit_of_work") == 0


def test_a_refusal_can_be_answered_with_what_the_error_carries(post):
    refusals_answered_by(lambda error: (f"slots: {error.args[0]}", 409))
    assert run_view(writes_then(DomainError("3 other slots"))) == ("slots: 3 other slots", 409)


def test_a_commit_that_fails_is_409_and_takes_back_what_the_view_flashed(post):
    def view():
        from flask import flash

        record(None, "test.unit_of_work", target_type="test")
        # A row whose case does not exist: the database refuses it when the change is committed.
        db.session.add(
            HouseholdMember(case_id=MISSING_CASE, relationship_to_person="child", given_names="X")
        )
        flash("Saved.", "success")
        return "done"

    with pytest.raises(HTTPException) as answer:
        run_view(view)
    assert answer.value.code == 409
    assert get_flashed_messages() == []
    assert traces("test.unit_of_work") == 0


def test_a_value_the_database_refuses_is_400_not_500(post):
    refused = DataError("INSERT …", {}, ValueError("integer out of range"))
    with pytest.raises(HTTPException) as answer:
        run_view(writes_then(refused))
    assert answer.value.code == 400
    assert traces("test.unit_of_work") == 0


def test_over_http_a_failing_commit_is_a_clean_409_and_nothing_is_written(
    app, client, login, make_case, monkeypatch
):
    agent = login("agent")
    case = make_case(agent)
    with app.app_context():
        db.session.get(Case, case.id).opened_at = datetime(2025, 12, 1)
        db.session.commit()
    real = case_operations.add_interaction

    def add_then_break(actor, case_obj, values):
        real(actor, case_obj, values)
        db.session.add(
            HouseholdMember(case_id=MISSING_CASE, relationship_to_person="child", given_names="X")
        )

    monkeypatch.setattr(case_operations, "add_interaction", add_then_break)
    with app.test_request_context():
        path = url_for("cases.add_interaction", case_id=case.id)
    answer = helpers.post_form(
        client, path, {"kind": "note", "occurred_at": "2026-01-05T10:00", "summary": "Appel"}
    )
    assert answer.status_code == 409
    assert "Conflict" in answer.text or "Conflit" in answer.text
    with app.app_context():
        written = (
            select(func.count()).select_from(Interaction).where(Interaction.case_id == case.id)
        )
        assert db.session.scalar(written) == 0
    page = client.get(path.rsplit("/", 1)[0])
    assert "Added to the timeline" not in page.text and "Ajouté au fil" not in page.text


ROUTE = re.compile(r"^@\w+\.(route|get|post|put|patch|delete)\(", re.MULTILINE)


def test_views_never_commit_or_roll_back_themselves():
    """Every module that declares a route (views.py, the API's blueprints, /metrics)."""
    views = [path for path in ROOT.glob("casework/**/*.py") if ROUTE.search(path.read_text())]
    assert len(views) > 20
    for path in views:
        found = re.findall(r"\bsession\.(commit|rollback)\(", path.read_text())
        assert not found, f"{path.relative_to(ROOT)}: {found}"
