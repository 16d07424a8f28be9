"""The de-identified analytics extract: nothing that names, reaches or dates a person exactly."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.cases.models import Case, HouseholdMember, HouseholdMemberNeed
from casework.cli import cli
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.followups.models import FollowUp, FollowUpSituation, ObjectiveReview
from casework.reference.models import Need, Region
from casework.referrals.models import Referral, ReferralOutcome
from casework.reports import analytics, indicators
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


# --- The outcome history, the intake, the household and the indicators (issue 19, point 6) ---

FOLLOWED = {
    "given_names": "Ngozi-Thérèse",
    "family_name": "Okafor-Lachapelle",
    "mifi_client_number": "Q9081726",
    "education_level": "master",
    "field_of_study": "Hydrogéologie côtière",
    "origin_cnp": "21330",
    "origin_cnp_version": "2021",
    "employment_status": "looking_for_work",
    "immigration_category": "student",
    "date_of_birth": date(1991, 7, 19),
    "arrival_date": date(2026, 1, 13),
    "permit_expires_on": date(2027, 3, 17),
    "caq_expires_on": date(2027, 2, 26),
}
SECRETS = (
    "Ngozi-Thérèse",
    "Okafor-Lachapelle",
    "Q9081726",
    "Hydrogéologie",
    "Chidinma",  # a household member's given name
    "Cap-aux-Meules",  # the municipality of residence
    "Centre Ressources Madelinot",  # where French is taught
    "note-de-suivi-confidentielle",
    "commentaire-sur-objectif",
    "Trouver un emploi en hydrogéologie",  # an objective's wording
    "2026-07-14",  # the follow-up's exact date
    "2026-05-02",  # permanent residence
    "2026-06-30",  # Objectif Intégration attestation
    "2027-03-17",  # permit expiry
    "21330",  # a five-digit CNP: kept to its major group
    "21399",
)


@pytest.fixture
def followed(app, make_user):
    """One person with the intake's fields, a household member with a need, a 6-month follow-up
    recording every domain, an objective judged and a referral outcome."""
    agent = make_user(role="agent", region="11")
    with app.app_context():
        record = helpers.create_case(agent.id, **FOLLOWED)
        add_activity(record.id)
        case = db.session.get(Case, record.id)
        need = db.session.scalars(select(Need).order_by(Need.id)).first()
        member = HouseholdMember(
            case_id=case.id,
            relationship_to_person="child",
            given_names="Chidinma",
            family_name="Okafor-Lachapelle",
            date_of_birth=date(2015, 4, 8),
            immigration_category="student",
            french_level_scale=3,
        )
        member.needs.append(HouseholdMemberNeed(need_id=need.id))
        db.session.add(member)
        region = db.session.scalar(select(Region).where(Region.code == "11"))
        follow_up = FollowUp(
            case_id=case.id,
            held_on=date(2026, 7, 14),
            milestone=6,
            months_since_arrival=6,
            region_id=region.id,
            mode="phone",
            notes="note-de-suivi-confidentielle",
        )
        common = {"case_id": case.id, "observed_on": date(2026, 7, 14), "milestone": 6}
        follow_up.situations += [
            FollowUpSituation(domain="housing", housing_status="stable", **common),
            FollowUpSituation(
                domain="french",
                french_enrolled=True,
                french_level=7,
                french_format="part_time",
                french_provider="Centre Ressources Madelinot",
                note="note-de-suivi-confidentielle",
                **common,
            ),
            FollowUpSituation(
                domain="employment",
                employment_status="employed_in_field",
                employment_cnp="21399",
                employment_cnp_version="2021",
                **common,
            ),
            FollowUpSituation(
                domain="residence",
                region_id=region.id,
                municipality="Cap-aux-Meules",
                in_montreal_cmm=False,
                **common,
            ),
            FollowUpSituation(
                domain="integration",
                integration_status="attestation_obtained",
                integration_attested_on=date(2026, 6, 30),
                **common,
            ),
            FollowUpSituation(
                domain="immigration",
                permanent_resident=True,
                permanent_residence_on=date(2026, 5, 2),
                **common,
            ),
        ]
        follow_up.reviews.append(
            ObjectiveReview(
                case_id=case.id,
                objective="Trouver un emploi en hydrogéologie",
                verdict="met",
                comment="commentaire-sur-objectif",
            )
        )
        db.session.add(follow_up)
        referral = db.session.scalars(select(Referral).where(Referral.case_id == case.id)).one()
        db.session.flush()
        db.session.add(
            ReferralOutcome(
                referral_id=referral.id,
                case_id=case.id,
                kind="job_obtained",
                occurred_on=date(2026, 6, 1),
                cnp="21399",
                cnp_version="2021",
                source="follow_up",
                verdict="corrected",
                follow_up_id=follow_up.id,
            )
        )
        db.session.commit()
    return record


def test_the_outcome_history_and_intake_are_in_the_extract_de_identified(
    ctx, people, followed, tmp_path
):
    out = tmp_path / "analytics.db"
    report = analytics.write_extract(out)
    assert report.tables["follow_up_situations"] == 6
    assert report.tables["objective_reviews"] == 1
    assert report.tables["referral_outcomes"] == 1
    assert report.tables["household_members"] == 1
    assert report.tables["household_member_needs"] == 1
    texts = everything_in(out)
    blob = "\n".join(texts).lower()
    for secret in SECRETS:
        assert secret.lower() not in blob, secret
    assert not [t for t in texts if re.search(r"\d{4}-\d{2}-\d{2}", t)]

    connection = sqlite3.connect(out)
    connection.row_factory = sqlite3.Row
    case = connection.execute(
        "select * from cases where immigration_category = 'student' and region = '11'"
    ).fetchone()
    assert dict(case) | {
        "education_level": "master",
        "origin_cnp_major_group": "21",
        "origin_cnp_version": "2021",
        "employment_status_at_intake": "looking_for_work",
        "permit_expiry_month": "2027-03",
        "caq_expiry_month": "2027-02",
    } == dict(case)
    key = case["case_key"]
    situations = {
        row["domain"]: dict(row)
        for row in connection.execute(
            "select * from follow_up_situations where case_key = ?", (key,)
        )
    }
    assert set(situations) == {
        "housing",
        "french",
        "employment",
        "residence",
        "integration",
        "immigration",
    }
    assert all(
        row["observed_month"] == "2026-07" and row["milestone"] == 6 and row["mode"] == "phone"
        for row in situations.values()
    )
    assert situations["housing"]["housing_status"] == "stable"
    french = situations["french"]
    assert (french["french_enrolled"], french["french_level"], french["french_format"]) == (
        1,
        7,
        "part_time",
    )
    employment = situations["employment"]
    assert employment["employment_status"] == "employed_in_field"
    assert employment["employment_cnp_major_group"] == "21"
    residence = situations["residence"]
    assert (residence["residence_region"], residence["in_montreal_cmm"]) == ("11", 0)
    assert situations["integration"]["integration_attested_month"] == "2026-06"
    assert situations["immigration"]["permanent_residence_month"] == "2026-05"
    assert dict(
        connection.execute("select * from objective_reviews where case_key = ?", (key,)).fetchone()
    ) == {"case_key": key, "follow_up_month": "2026-07", "milestone": 6, "verdict": "met"}
    outcome = dict(connection.execute("select * from referral_outcomes").fetchone())
    assert outcome == {
        "case_key": key,
        "organisation_code": "promis",
        "referral_kind": "service",
        "outcome": "job_obtained",
        "happened": 1,
        "occurred_month": "2026-06",
        "course_format": None,
        "cnp_major_group": "21",
        "cnp_version": "2021",
        "source": "follow_up",
        "verdict": "corrected",
    }
    member = dict(connection.execute("select * from household_members").fetchone())
    assert member["case_key"] == key and member["member"] == 1
    assert (member["relationship"], member["immigration_category"]) == ("child", "student")
    assert member["age_band_at_opening"] == "0-17" and member["french_level_scale"] == 3
    need = dict(connection.execute("select * from household_member_needs").fetchone())
    assert need["case_key"] == key and need["member"] == 1 and need["domain"]


def test_the_indicator_tables_by_region_and_quarter_small_cells_blanked(
    app, ctx, make_user, tmp_path
):
    agents = {region: make_user(role="agent", region=region) for region in ("06", "11")}
    # Activity shifted so that the appointment held is now, in the current quarter.
    shifted = utcnow() + timedelta(days=20)
    for region in ("06",) * 5 + ("11",):
        add_activity(helpers.create_case(agents[region].id).id, now=shifted)
    out = tmp_path / "analytics.db"
    analytics.write_extract(out)
    connection = sqlite3.connect(out)
    rows = connection.execute(
        "select quarter, region, measure, indicator, n, suppressed "
        "from indicators_by_region_quarter where indicator = 'served'"
    ).fetchall()
    current = analytics.quarter(local_today())
    # Five persons served in Montréal this quarter: shown; one in Gaspésie–Îles: blanked.
    assert sorted(rows) == [
        (current, "06", "accompaniment", "served", 5, 0),
        (current, "11", "accompaniment", "served", None, 1),
    ]
    keys = {r[0] for r in connection.execute("select indicator from indicators_by_region_quarter")}
    assert keys and keys <= {indicator.key for indicator in indicators.INDICATORS}
    assert "opened" not in keys  # cases_opened_by_region_month_category holds it, by month
    # The page's figures, region by region, small ones blanked.
    _label, start, end = analytics.quarters()[-1]
    board = indicators.compute(start, end, None, exact=True)
    codes = {r.id: r.code for r in db.session.scalars(select(Region))}
    expected = {
        (key, codes[region_id], n if n >= analytics.SMALL_CELL else None)
        for key, figure in board.figures.items()
        if not figure.pending and key != "opened"
        for region_id, n in figure.by_region.items()
    }
    assert expected == set(
        connection.execute(
            "select indicator, region, n from indicators_by_region_quarter where quarter = ?",
            (current,),
        ).fetchall()
    )
    assert all(
        (n is None) == bool(hidden) and (n is None or n >= analytics.SMALL_CELL)
        for n, hidden in connection.execute(
            "select n, suppressed from indicators_by_region_quarter"
        )
    )


def test_quarters_run_from_the_first_case_to_today(ctx, people):
    first = db.session.scalars(select(Case).order_by(Case.id)).first()
    first.opened_at = datetime(2025, 11, 15, 12)
    db.session.commit()
    periods = analytics.quarters()
    assert periods[0] == ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))
    assert periods[1] == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert periods[-1][0] == analytics.quarter(local_today())
    assert all(earlier[2] + timedelta(days=1) == later[1] for earlier, later in pairwise(periods))
    assert analytics.quarter(date(2026, 12, 31)) == "2026-Q4"


def test_cnp_major_group():
    assert analytics.cnp_major_group("21330") == "21"
    assert analytics.cnp_major_group("2143") == "21"
    assert analytics.cnp_major_group(None) is None


def test_docs_name_each_new_table_and_column():
    docs = (Path(__file__).parents[2] / "docs" / "analytics.md").read_text()
    new_tables = (
        "household_members",
        "household_member_needs",
        "follow_up_situations",
        "objective_reviews",
        "referral_outcomes",
    )
    named = {f"`{table}`" for table in (*new_tables, "indicators_by_region_quarter")}
    for table in new_tables:
        named |= {f"`{column}`" for column in analytics.SCHEMAS[table] if column != "case_key"}
    named |= {
        f"`{column}`"
        for column in list(analytics.SCHEMAS["cases"])[
            list(analytics.SCHEMAS["cases"]).index("destination_region") :
        ]
    }
    named |= {f"`{c}`" for c in analytics.AGGREGATE_COLUMNS["indicators_by_region_quarter"]}
    assert not {name for name in named if name not in docs}
