"""Accent-insensitive search over the cases a user may see.

Each case has one row in ``case_search`` holding the folded words of its person's names,
e-mail and phone, and of the case number. SQLite answers through the FTS5 index the migration
built over that table; PostgreSQL through ``to_tsvector('simple', …)`` and its GIN index.
Both receive words already folded, so « helene » finds « Hélène » on either engine.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, text

from casework.cases.models import Case, CaseSearchEntry, Person
from casework.core.text import digits, tokens
from casework.extensions import db

MAX_TERMS = 8


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
        # The whole number and its last seven digits, so a number typed without area code matches.
        words += [phone, phone[-7:]]
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
        # Terms are folded words (letters and digits only), so quoting them is enough.
        expression = " ".join(f'"{term}"*' for term in terms)
        return (
            select(text("rowid"))
            .select_from(text("case_search_fts"))
            .where(text("case_search_fts MATCH :expression").bindparams(expression=expression))
        )
    expression = " & ".join(f"{term}:*" for term in terms)
    return select(CaseSearchEntry.case_id).where(
        func.to_tsvector("simple", CaseSearchEntry.document).op("@@")(
            func.to_tsquery("simple", expression)
        )
    )
