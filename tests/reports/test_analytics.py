"""The de-identified analytics extract: nothing that names, reaches or dates a person exactly."""

from __future__ import annotations

import re
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from casework.cli import cli
from casework.reports import analytics
from tests import helpers
from tests.reports.factories import add_activity

PEOPLE = [
    {
        "given_names": "Xochitl",
        "family_name": "Quetzalcoatl",
        "phone": "438-555-0142",
        "email": "xochitl.q@exemple.org",
        "address": "1234, rue Imaginaire",
        "postal_code": "H2X 1Y4",
        "date_of_birth": date(1987, 11, 23),
    },
    {
        "given_names": "Oluwaseun",
        "family_name": "Adebayo-Okonkwo",
        "phone": "(514) 555-0177",
        "email": "seun@example.net",
        "date_of_birth": date(1999, 2, 14),
    },
]


def everything_in(path) -> list[str]:
    """Every table name, column name and cell of the extract, as text."""
    connection = sqlite3.connect(path)
    try:
        texts = []
        tables = [r[0] for r in connection.execute("select name from sqlite_master")]
        for table in tables:
            if (
                table.startswith("sqlite_")
                or not connection.execute(
                    "select 1 from sqlite_master where type = 'table' and name = ?", (table,)
                ).fetchone()
            ):
                continue
            cursor = connection.execute(f'select * from "{table}"')
            texts += [d[0] for d in cursor.description]
            texts += [str(cell) for row in cursor for cell in row if cell is not None]
        return texts
    finally:
        connection.close()


@pytest.fixture
def people(app, make_user):
    agent = make_user(role="agent")
    with app.app_context():
        for person in PEOPLE:
            add_activity(helpers.create_case(agent.id, **person).id)
        for _index in range(4):
            helpers.create_case(agent.id, date_of_birth=date(1990, 6, 1))
    return agent


def test_the_extract_holds_no_direct_identifier(ctx, people, tmp_path):
    out = tmp_path / "analytics.db"
    report = analytics.write_extract(out)
    assert report.tables["cases"] == 6 and report.tables["referrals"] == 2
    texts = everything_in(out)
    blob = "\n".join(texts).lower()
    for person in PEOPLE:
        for key in ("given_names", "family_name", "email", "address", "postal_code"):
            if person.get(key):
                assert person[key].lower() not in blob, key
        digits = re.sub(r"\D", "", person["phone"])
        assert digits not in re.sub(r"\D", "", blob)
        assert person["date_of_birth"].isoformat() not in blob
    assert "Hélène".lower() not in blob  # the factory's default given name
    # No exact date anywhere: months only.
    assert not [t for t in texts if re.search(r"\d{4}-\d{2}-\d{2}", t)]
    assert "@" not in blob


def test_ages_in_bands_dates_to_the_month_and_keys_that_lead_nowhere(ctx, people, tmp_path):
    out = tmp_path / "analytics.db"
    analytics.write_extract(out)
    connection = sqlite3.connect(out)
    rows = connection.execute(
        "select case_key, age_band_at_opening, opened_month, arrival_month from cases"
    ).fetchall()
    assert {r[1] for r in rows} <= {"18-24", "25-34", "35-44"}
    assert all(re.fullmatch(r"\d{4}-\d{2}", r[2]) for r in rows)
    assert sorted(r[0] for r in rows) == list(range(1, 7))
    columns = {r[1] for r in connection.execute("pragma table_info(cases)")}
    assert not columns & {"id", "number", "person_id", "agent_id", "date_of_birth", "phone"}


def test_small_cells_are_suppressed_in_aggregates(ctx, people, tmp_path):
    out = tmp_path / "analytics.db"
    report = analytics.write_extract(out)
    connection = sqlite3.connect(out)
    funnel = connection.execute(
        "select organisation_code, stage, n, suppressed from referral_funnel_by_organisation"
    ).fetchall()
    assert funnel and all(n is None and hidden == 1 for _org, _stage, n, hidden in funnel)
    ages = dict(
        connection.execute("select age_band_at_opening, n from cases_by_region_age_band").fetchall()
    )
    assert ages["25-34"] is None  # 1 person: hidden
    assert ages["35-44"] == 5  # 5 people: shown
    assert report.suppressed_cells >= len(funnel)
    assert all(
        n is None or n >= analytics.SMALL_CELL
        for table in analytics.AGGREGATE_COLUMNS
        for (n,) in connection.execute(f"select n from {table}")
    )


def test_an_empty_database_still_gives_every_table_with_its_columns(ctx, tmp_path):
    out = tmp_path / "empty.db"
    analytics.write_extract(out)
    connection = sqlite3.connect(out)
    tables = {r[0] for r in connection.execute("select name from sqlite_master where type='table'")}
    assert set(analytics.SCHEMAS) | set(analytics.AGGREGATE_COLUMNS) <= tables


def test_the_command_refuses_an_existing_file_unless_forced(ctx, tmp_path):
    out = tmp_path / "analytics.db"
    out.write_text("précieux")
    runner = CliRunner()
    refused = runner.invoke(cli, ["export", "analytics", str(out)])
    assert refused.exit_code == 1
    assert "existe déjà" in refused.output and "--force" in refused.output
    assert out.read_text() == "précieux"
    forced = runner.invoke(cli, ["export", "analytics", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Extrait anonymisé écrit" in forced.output
    assert sqlite3.connect(out).execute("select count(*) from cases").fetchone() == (0,)
    assert not list(tmp_path.glob(".*.partial"))


def test_the_command_refuses_a_missing_folder(ctx, tmp_path):
    result = CliRunner().invoke(cli, ["export", "analytics", str(tmp_path / "nope" / "a.db")])
    assert result.exit_code == 1 and "dossier introuvable" in result.output


def test_age_bands():
    on = date(2026, 6, 1)
    assert analytics.age_band(date(2008, 6, 2), on) == "0-17"
    assert analytics.age_band(date(2008, 6, 1), on) == "18-24"
    assert analytics.age_band(date(1950, 1, 1), on) == "65+"
    assert analytics.age_band(None, on) is None
