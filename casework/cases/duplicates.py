"""The duplicate check when a case is opened (by an agent or at the airport): exact matches of
a folded name and birth date, likely ones by sound or spelling, among the cases the user may
read; the others are counted, never shown."""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import Any

from sqlalchemy import Select, any_, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from casework.cases.models import Case, Person
from casework.cases.operations import apply_person_fields, cases_in_order
from casework.cases.validation import PersonFields
from casework.core.permissions import in_scope, scope_for
from casework.core.text import tokens
from casework.extensions import db

FUZZY_CANDIDATES = 300


@dataclass(frozen=True)
class Match:
    case: Case
    kind: str  # exact | likely
    score: float


@dataclass(frozen=True)
class DuplicateReport:
    matches: list[Match]
    hidden: int  # likely matches outside what the user may read

    @property
    def any(self) -> bool:
        return bool(self.matches) or self.hidden > 0


def find_duplicates(
    user: Any, given_names: str, family_name: str, born: date | None
) -> DuplicateReport:
    """Exact (accent/case-insensitive name + date of birth) and likely (spelling) matches."""
    probe = Person()  # transient: only its folded keys are used
    apply_person_fields(probe, PersonFields(given_names, family_name, "other", date_of_birth=born))
    values = {"born": born, "name_key": probe.name_key, "phonetic": probe.family_phonetic}
    # Rows are read by position (row[0]: the case's id; the order of _COLUMNS): by name, each
    # of some 300 rows' seven lookups cost more than the scoring most of them need.
    candidates = {row[0]: row for row in db.session.execute(_same_name(), values)}
    variants = _variants(bool(probe.family_phonetic), born is not None, db.engine.dialect.name)
    if variants is not None:
        for row in db.session.execute(variants, values):
            candidates.setdefault(row[0], row)
    scored, hidden = [], 0
    can_read = _reader(user)
    letters = Counter(probe.name_key)  # the probe's letters, counted once for every candidate
    # One score per name, sounds and « same birth date »: a common sound's share a few dozen.
    scores: dict[tuple, tuple[str | None, float]] = {}
    for row in candidates.values():
        case_id, _agent, _region, name_key, family, given, date_of_birth = row
        key = (name_key, family, given, None if date_of_birth is None else date_of_birth == born)
        scored_as = scores.get(key)
        if scored_as is None:
            scored_as = scores[key] = _score(probe, born, row, letters)
        kind, score = scored_as
        if kind is None:
            continue
        if can_read(row):
            scored.append((case_id, kind, score))
        else:
            hidden += 1
    scored.sort(key=lambda item: (item[1] != "exact", -item[2]))
    shown = scored[:10]
    # Airport staff may read no case: nothing to load for them.
    cases = (
        cases_in_order([case_id for case_id, _kind, _score in shown], Case.region) if shown else []
    )
    return DuplicateReport(
        [Match(case, kind, score) for case, (_id, kind, score) in zip(cases, shown, strict=True)],
        hidden,
    )


def _reader(user: Any) -> Callable[[Any], bool]:
    """``readable(user, row)`` with the user's scope looked up once, not once per candidate."""
    scope = scope_for(getattr(user, "role", None), "cases.read")
    if scope is None:
        return lambda _row: False
    return partial(in_scope, user, scope)


# Candidates are read as plain rows (up to 300 of them at province scale); only the ten matches
# shown are then loaded as objects with their person, agent and region. The statements are
# built once (with bound values): building them cost about as much as running them.
_COLUMNS = (
    Case.id,
    Case.agent_id,
    Case.region_id,
    Person.name_key,
    Person.family_phonetic,
    Person.given_phonetic,
    Person.date_of_birth,
)


@cache
def _same_name() -> Select:
    """Same folded name: every one of them, however old (the index makes this cheap)."""
    return select(*_COLUMNS).join(Case.person).where(Person.name_key == bindparam("name_key"))


@cache
def _variants(by_sound: bool, by_birth: bool, dialect: str) -> Select | None:
    """Spelling variants: the most recent candidates sharing a sound or a birth date."""
    alike = [Person.family_phonetic == bindparam("phonetic")] if by_sound else []
    if by_birth:
        alike.append(Person.date_of_birth == bindparam("born"))
    if not alike:
        return None
    # The most recent cases are chosen from the indexes alone, then read: a common sound is
    # thousands of persons (« dl »: 2,228 at 200,000 cases). PostgreSQL is given them as an
    # array: as a subquery it walked every case backwards looking for them (150 ms).
    recent, persons = aliased(Case), select(Person.id).where(or_(*alike))
    chosen = (
        select(recent.id)
        .where(
            recent.person_id.in_(persons)
            if dialect == "sqlite"
            else recent.person_id == any_(func.array(persons.scalar_subquery()))
        )
        .order_by(recent.id.desc())
        .limit(FUZZY_CANDIDATES)
    )
    return select(*_COLUMNS).join(Case.person).where(Case.id.in_(chosen)).order_by(Case.id.desc())


def duplicate_check_key(given_names: str, family_name: str, born: date | None) -> str:
    """Identifies the values a duplicate check was shown for (not a secret, not personal data)."""
    folded = f"{' '.join(tokens(given_names))}|{' '.join(tokens(family_name))}|{born or ''}"
    return hashlib.sha256(folded.encode()).hexdigest()[:16]


def _score(
    probe: Person, born: date | None, person: Any, letters: Counter | None = None
) -> tuple[str | None, float]:
    """« exact »: same folded name and compatible birth date; « likely »: the same name born on
    another day, a name that sounds alike, or a close spelling (closer still when born the same day)."""
    births_known = born is not None and person.date_of_birth is not None
    same_birth = births_known and person.date_of_birth == born
    if person.name_key == probe.name_key:
        return ("exact", 1.0) if same_birth or not births_known else ("likely", 0.75)
    sounds_alike = (
        person.family_phonetic == probe.family_phonetic
        and person.given_phonetic == probe.given_phonetic
    )
    # quick_ratio() bounds ratio() from above for a fraction of its cost: most of the 300
    # candidates of a common name are ruled out without the full comparison.
    if not sounds_alike and _quick_ratio(probe.name_key, person.name_key, letters) < (
        0.6 if same_birth else 0.85
    ):
        return None, 0.0
    similarity = difflib.SequenceMatcher(None, probe.name_key, person.name_key).ratio()
    bonus = 0.1 if same_birth else 0.0
    if sounds_alike or similarity >= 0.85 or (same_birth and similarity >= 0.6):
        return "likely", min(0.99, max(similarity, 0.8 if sounds_alike else 0.0) + bonus)
    return None, 0.0


def _quick_ratio(first: str, second: str, first_letters: Counter | None = None) -> float:
    """``difflib.SequenceMatcher(None, first, second).quick_ratio()`` without building the
    matcher (which indexes ``second`` for a full comparison most candidates never reach);
    ``first_letters``: ``Counter(first)``, when the caller compares ``first`` with many."""
    length = len(first) + len(second)
    if not length:
        return 1.0
    return 2.0 * ((first_letters or Counter(first)) & Counter(second)).total() / length
