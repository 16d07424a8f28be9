"""Demo cases: created through the service layer, varied, coherent and deterministic."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casework.assessments.models import Assessment
from casework.cases import choices
from casework.cases.models import Case, CaseTransfer, Interaction, Person
from casework.core.time import utcnow
from casework.demo import load_demo, load_demo_cases_once
from casework.demo.cases import load_demo_cases
from casework.demo.people import pick_names
from casework.extensions import db
from casework.reference.seed import SeedError

DEMO_PASSWORD = "Demo-mot-de-passe-2026"
DEMO_TABLES = Path(__file__).resolve().parents[2] / "seed" / "demo"


def _cases() -> list[Case]:
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def test_forty_cases_show_every_situation(ctx):
    load_demo(password=DEMO_PASSWORD)
    labels: list[str] = []

    assert load_demo_cases(40, progress=labels.append) == 40

    cases = _cases()
    assert len(cases) == 40
    assert labels == ["dossiers de démonstration 25/40", "dossiers de démonstration 40/40"]
    assert {case.status for case in cases} == set(choices.STATUSES)
    assert any(case.household for case in cases)
    today = date.today()
    assert any(
        case.status != "closed" and case.next_follow_up_on and case.next_follow_up_on < today
        for case in cases
    )
    versions = Counter(db.session.scalars(select(Assessment.case_id)))
    assert max(versions.values()) >= 2
    pending = db.session.scalars(select(CaseTransfer).where(CaseTransfer.status == "pending")).all()
    assert pending and {transfer.to_agent.username for transfer in pending} == {"agente"}
    assert any(not case.person.full_name.isascii() for case in cases)


def test_cases_are_coherent(ctx):
    load_demo(password=DEMO_PASSWORD)
    load_demo_cases(40)
    now = utcnow()

    for case in _cases():
        person = case.person
        assert case.opened_at <= now
        assert person.date_of_birth < person.arrival_date <= case.opened_at.date()
        assert person.destination_region_id == case.region_id
        assert (case.status == "new") == (case.id not in _assessed_case_ids())
        moments = db.session.scalars(
            select(Interaction.occurred_at).where(Interaction.case_id == case.id)
        ).all()
        assert 2 <= len(moments) <= 12
        assert all(case.opened_at <= moment <= now for moment in moments)
        if case.status == "closed":
            assert case.closing_reason and case.closing_summary


def _assessed_case_ids() -> set[int]:
    return set(db.session.scalars(select(Assessment.case_id)))


def test_near_duplicates_are_planted_on_purpose(ctx):
    load_demo(password=DEMO_PASSWORD)
    load_demo_cases(40)

    births = db.session.scalars(
        select(Person.date_of_birth).where(
            Person.family_name == "Benali", Person.given_names.in_(("Mohamed", "Mohammed"))
        )
    ).all()

    assert len(births) == 2 and births[0] == births[1]


def test_a_larger_run_uses_every_immigration_category(ctx):
    load_demo(password=DEMO_PASSWORD)

    load_demo_cases(120)

    categories = db.session.scalars(select(Person.immigration_category).distinct()).all()
    assert set(categories) == set(choices.IMMIGRATION_CATEGORIES)
    assert db.session.scalar(select(func.count(Case.id))) == 120


def test_names_depend_only_on_the_seed(ctx):
    assert pick_names(10, seed=2026) == pick_names(10, seed=2026)
    assert pick_names(10, seed=2026) != pick_names(10, seed=7)

    load_demo(password=DEMO_PASSWORD)
    load_demo_cases(40, seed=2026)

    written = [case.person.full_name for case in _cases()[:10]]
    assert written == pick_names(40, seed=2026)[:10]


def test_refuses_without_demo_agents(ctx):
    with pytest.raises(ValueError, match="aucune agente ou aucun agent de démonstration"):
        load_demo_cases(5)


def test_demo_tables_say_their_values_are_illustrative():
    files = sorted(DEMO_TABLES.glob("*.yaml"))

    assert {path.stem for path in files} >= {"accounts", "people", "places", "cases", "notes"}
    for path in files:
        header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert header.startswith("#") and "ILLUSTRATIVE VALUES" in header, path.name


def test_tables_come_from_the_configured_seed_folder(app, ctx, tmp_path, monkeypatch):
    shutil.copytree(DEMO_TABLES, tmp_path / "demo")
    people = tmp_path / "demo" / "people.yaml"
    text = people.read_text(encoding="utf-8").replace("Mohamed, Benali", "Mourad, Benali")
    people.write_text(text, encoding="utf-8")
    monkeypatch.setitem(app.config, "SEED_DIR", str(tmp_path))

    assert "Mourad Benali" in pick_names(20)
    assert "Mohamed Benali" not in pick_names(20)


def test_a_missing_table_is_one_clear_error(app, ctx, tmp_path, monkeypatch):
    shutil.copytree(DEMO_TABLES, tmp_path / "demo")
    people = tmp_path / "demo" / "people.yaml"
    people.write_text(
        people.read_text(encoding="utf-8").replace("\norigins:", "\nplaces_of_birth:"),
        encoding="utf-8",
    )
    monkeypatch.setitem(app.config, "SEED_DIR", str(tmp_path))
    load_demo(password=DEMO_PASSWORD)

    with pytest.raises(SeedError, match=r"demo/people\.yaml: « origins » is missing"):
        load_demo_cases(5)
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_a_missing_file_stops_the_demo_before_any_case(app, ctx, tmp_path, monkeypatch):
    shutil.copytree(DEMO_TABLES, tmp_path / "demo")
    (tmp_path / "demo" / "appointments.yaml").unlink()
    monkeypatch.setitem(app.config, "SEED_DIR", str(tmp_path))
    load_demo(password=DEMO_PASSWORD)

    with pytest.raises(SeedError, match=r"demo/appointments\.yaml"):
        load_demo_cases_once(5)
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_the_demo_marks_the_pilot_in_the_cited_regions_only(ctx):
    """Issue 18, point 3: the demo's interviews under the remote-interpretation pilot are in its
    cited regions (04, 05, 17: seed/regions.yaml), none in Chaudière-Appalaches (12)."""
    from casework.reference.models import Region

    load_demo(password=DEMO_PASSWORD)
    load_demo_cases(120)  # `casework demo`'s default
    marked = db.session.execute(
        select(Region.code, func.count())
        .select_from(Assessment)
        .join(Case, Case.id == Assessment.case_id)
        .join(Region, Region.id == Case.region_id)
        .where(Assessment.interpretation_pilot)
        .group_by(Region.code)
    ).all()
    assert marked and {code for code, _ in marked} <= {"04", "05", "17"}, marked
