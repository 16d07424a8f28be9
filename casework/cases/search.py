"""Accent-insensitive search over the cases a user may see.

Each case has one row in ``case_search`` holding the folded words of its person's names,
e-mail and phone, and of the case number. SQLite answers through the FTS5 index the migration
built over that table; PostgreSQL through the table's ``search_vector`` column (migration 0032:
``to_tsvector('simple', document)``, stored and kept in step by PostgreSQL itself on every write
of the row) and its GIN index, so no query computes ``to_tsvector`` row by row.
Both receive words already folded, so « helene » finds « Hélène » on either engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, column, exists, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from casework.cases.models import Case, CaseSearchEntry, Person
from casework.core.text import digits, tokens
from casework.extensions import db

MAX_TERMS = 8
# How a search is run on SQLite follows how many documents match (counted up to WIDE + 1):
# up to NARROW, a region's search reads the matches (one lookup each); otherwise, and for an
# agent's own cases, the user's cases are walked in page order, each checked against the
# matches; beyond WIDE, the same order is checked one case at a time, and the count stops at
# WIDE_COUNT (« more than 100: refine the search »).
NARROW = 5_000
WIDE = 20_000
WIDE_COUNT = 100
BREADTHS = frozenset({"none", "narrow", "wide", "very_wide"})  # what ``breadth`` answers

# PostgreSQL only: the stored search column has no model attribute, since SQLite has no such
# column (its FTS5 table plays that part).
_search_table = table("case_search", column("case_id"), column("search_vector", TSVECTOR))


def document_for(case: Case, person: Person) -> str:
    words = [
        *tokens(person.given_names),
        *tokens(person.family_name),
        *tokens(person.preferred_name),
        *tokens(case.number),
        *tokens(person.email),
    ]
    phone = digits(person.phone)
    if phone:
        # The whole number (E.164: with the country code), without it and its last seven digits,
        # so a number typed without country or area code matches.
        words += [phone, phone[-10:], phone[-7:]]
    return " ".join(dict.fromkeys(words))


def index_case(case: Case) -> None:
    """Write the case's search row (the caller commits)."""
    document = document_for(case, case.person)
    entry = db.session.get(CaseSearchEntry, case.id)
    if entry is None:
        db.session.add(CaseSearchEntry(case_id=case.id, document=document))
    elif entry.document != document:
        entry.document = document


def query_terms(query: str) -> list[str]:
    """Folded words; a query of digits and punctuation only is a phone number, taken whole."""
    terms = tokens(query)
    phone = digits(query)
    if len(phone) >= 7 and all(term.isdigit() for term in terms):
        terms = [phone]
    return terms[:MAX_TERMS]


def matching_case_ids(query: str) -> Select | None:
    """A SELECT of case ids whose words start with every term of ``query`` (None if no term)."""
    terms = query_terms(query)
    if not terms:
        return None
    if db.engine.dialect.name == "sqlite":
        expression = _fts_expression(terms)
        return (
            select(text("rowid"))
            .select_from(text("case_search_fts"))
            .where(text("case_search_fts MATCH :expression").bindparams(expression=expression))
        )
    return select(_search_table.c.case_id).where(_vector_matches(terms))


def _vector_matches(terms: list[str]) -> Any:
    """PostgreSQL: the stored column matches every term as a prefix."""
    expression = " & ".join(f"{term}:*" for term in terms)
    return _search_table.c.search_vector.op("@@")(func.to_tsquery("simple", expression))


def _fts_expression(terms: list[str]) -> str:
    # Terms are folded words (letters and digits only), so quoting them is enough.
    return " ".join(f'"{term}"*' for term in terms)


def breadth(query: str) -> str:
    """« none », « narrow », « wide » or « very_wide »: how many cases match ``query`` before
    scopes and filters, counted up to WIDE + 1 (one index read on either engine)."""
    terms = query_terms(query)
    if not terms:
        return "none"
    ids = matching_case_ids(query)
    matches = db.session.scalar(select(func.count()).select_from(ids.limit(WIDE + 1).subquery()))
    if matches <= NARROW:
        return "narrow"
    return "wide" if matches <= WIDE else "very_wide"


def trusted_breadth(query: str, kept: object) -> str | None:
    """``kept``, a breadth kept with ``query``, when it can be the query's: one of ``breadth``'s
    answers, and « none » exactly when the query has no term (a session may come from another
    version of the code). None otherwise: count again."""
    if kept not in BREADTHS:
        return None
    return kept if (kept == "none") == (not query_terms(query)) else None


def breadth_and_matches(query: str, known: str | None = None) -> tuple[str, list[int] | None]:
    """``breadth`` (``known``, when kept with the search), and on PostgreSQL the ids of a narrow
    search's matches, read once: its region-wide page is chosen among them (``caseload``), which
    read them a second time after counting them (4 ms each for « tremblay » at 200,000 cases).
    SQLite probes its FTS5 table from the page's query instead: None."""
    if db.engine.dialect.name == "sqlite" or not query_terms(query):
        return known or breadth(query), None
    ids = list(db.session.scalars(matching_case_ids(query).limit(NARROW + 1)))
    if len(ids) <= NARROW:
        return "narrow", ids
    return breadth(query), None


def matches_case(query: str, case_id) -> Any:
    """A condition: the case ``case_id`` (a column) matches ``query`` — probed one case at a
    time, for queries that match most cases."""
    terms = query_terms(query)
    if db.engine.dialect.name == "sqlite":
        fts = table("case_search_fts", column("rowid"))
        return exists(
            select(literal_column("1"))
            .select_from(fts)
            .where(
                text("case_search_fts MATCH :expression").bindparams(
                    expression=_fts_expression(terms)
                ),
                fts.c.rowid == case_id,
            )
        )
    return exists(
        select(_search_table.c.case_id).where(
            _search_table.c.case_id == case_id, _vector_matches(terms)
        )
    )
