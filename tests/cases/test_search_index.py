"""The stored search index stays in step with the cases it describes, on either engine.

On PostgreSQL the search reads ``case_search.search_vector`` (migration 0032), which the
database computes on every write of the row; on SQLite the FTS5 table its triggers fill. After
each change made through the operations, the index must agree with the documents and the
search must find the new words, never the old ones.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from casework.auth.models import User
from casework.cases import operations
from casework.cases.models import Case, CaseSearchEntry
from casework.cases.retention import anonymise_expired
from casework.cases.search import matching_case_ids
from casework.cases.validation import PersonFields
from casework.extensions import db

pytestmark = pytest.mark.usefixtures("ctx")


def found(query: str) -> set[int]:
    return set(db.session.scalars(matching_case_ids(query)))


def assert_index_in_step() -> None:
    """Every search row's indexed words are those of its document (and no row is missing)."""
    db.session.flush()
    if db.engine.dialect.name == "postgresql":
        stale = db.session.scalar(
            text(
                "SELECT count(*) FROM case_search "
                "WHERE search_vector IS DISTINCT FROM to_tsvector('simple', document)"
            )
        )
        assert stale == 0
        # The search is served by the stored column's index, not computed row by row.
        plan = "\n".join(
            db.session.scalars(
                text(
                    "EXPLAIN SELECT case_id FROM case_search "
                    "WHERE search_vector @@ to_tsquery('simple', 'tremblay:*')"
                )
            )
        )
        assert "to_tsvector" not in plan
    else:
        # FTS5 compares its index with the content table and raises on any difference.
        db.session.execute(
            text("INSERT INTO case_search_fts(case_search_fts, rank) VALUES ('integrity-check', 1)")
        )
    documents = db.session.scalar(select(func.count()).select_from(CaseSearchEntry))
    assert documents == db.session.scalar(
        select(func.count()).select_from(Case).where(Case.anonymised_at.is_(None))
    )


def fields(**values) -> PersonFields:
    return PersonFields(
        **{
            "given_names": "Hélène",
            "family_name": "Tremblay-Ouellet",
            "immigration_category": "economic",
            "phone": "+1 514 555 0199",
            "email": "helene.t@example.org",
            **values,
        }
    )


@pytest.fixture
def agent(make_user):
    return db.session.get(User, make_user(role="agent").id)


def test_a_new_case_is_found_by_its_words_at_once(agent):
    case = operations.open_case(agent, fields(), "walk_in")
    assert_index_in_step()
    for query in ("helene", "TREMB", "ouellet", "5550199", "514555", case.number, "helene.t"):
        assert case.id in found(query), query
    assert case.id not in found("gagnon")


def test_an_edit_replaces_the_old_words(agent):
    case = operations.open_case(agent, fields(), "walk_in")
    db.session.flush()
    values = fields(family_name="Gagnon", phone="+1 418 555 0123")
    operations.update_person(agent, case, values, case.person.version)
    assert_index_in_step()
    assert case.id in found("gagnon")
    assert case.id in found("4185550123")
    assert case.id not in found("tremblay")
    assert case.id not in found("5140199")
    assert case.id not in found("5145550199")


def test_an_anonymised_person_is_not_found_by_their_old_names(agent):
    case = operations.open_case(agent, fields(), "walk_in")
    kept = operations.open_case(agent, fields(given_names="Hélène"), "walk_in")
    db.session.flush()
    case.status = "closed"
    case.closing_reason = "goals_met"
    case.closed_at = datetime(2020, 1, 1)
    db.session.flush()
    assert case.id in found("tremblay")
    counts = anonymise_expired(datetime(2026, 1, 1), 365)
    assert counts["cases"] == 1
    assert_index_in_step()
    db.session.expire_all()
    for query in ("helene", "tremblay", "ouellet", "5550199", "helene.t"):
        assert case.id not in found(query), query
    assert kept.id in found("tremblay")
