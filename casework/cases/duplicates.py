"""The duplicate check when a case is opened (by an agent or at the airport): exact matches of
a folded name and birth date, likely ones by sound or spelling, among the cases the user may
read; the others are counted, never shown."""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import any_, func, or_, select
from sqlalchemy.orm import aliased

from casework.cases.models import Case, Person
from casework.cases.operations import apply_person_fields, cases_in_order, readable
from casework.cases.validation import PersonFields
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
    # Candidates are read as plain rows (up to 300 of them at province scale); only the ten
    # matches shown are then loaded as objects with their person, agent and region.
    columns = select(
        Case.id,
        Case.agent_id,
        Case.region_id,
        Person.name_key,
        Person.family_phonetic,
        Person.given_phonetic,
        Person.date_of_birth,
    ).join(Case.person)
    # Same folded name: every one of them, however old (the index makes this cheap).
    same_name = columns.where(Person.name_key == probe.name_key)
    # Spelling variants: the most recent candidates sharing a sound or a birth date.
    alike = [Person.family_phonetic == probe.family_phonetic] if probe.family_phonetic else []
    if born is not None:
        alike.append(Person.date_of_birth == born)
    candidates = {row.id: row for row in db.session.execute(same_name)}
    if alike:
        # The most recent cases are chosen from the indexes alone, then read: a common sound is
        # thousands of persons (« dl »: 2,228 at 200,000 cases). PostgreSQL is given them as
        # an array: as a subquery it walked every case backwards looking for them (150 ms).
        recent, persons = aliased(Case), select(Person.id).where(or_(*alike))
        chosen = (
            select(recent.id)
            .where(
                recent.person_id.in_(persons)
                if db.engine.dialect.name == "sqlite"
                else recent.person_id == any_(func.array(persons.scalar_subquery()))
            )
            .order_by(recent.id.desc())
            .limit(FUZZY_CANDIDATES)
        )
        variants = columns.where(Case.id.in_(chosen)).order_by(Case.id.desc())
        for row in db.session.execute(variants):
            candidates.setdefault(row.id, row)
    scored, hidden = [], 0
    # One score per name, sounds and « same birth date »: a common sound's share a few dozen.
    scores: dict[tuple, tuple[str | None, float]] = {}
    for row in candidates.values():
        born_same = None if row.date_of_birth is None else row.date_of_birth == born
        key = (row.name_key, row.family_phonetic, row.given_phonetic, born_same)
        if key not in scores:
            scores[key] = _score(probe, born, row)
        kind, score = scores[key]
        if kind is None:
            continue
        if readable(user, row):
            scored.append((row.id, kind, score))
        else:
            hidden += 1
    scored.sort(key=lambda item: (item[1] != "exact", -item[2]))
    shown = scored[:10]
    cases = cases_in_order([case_id for case_id, _kind, _score in shown], Case.region)
    return DuplicateReport(
        [Match(case, kind, score) for case, (_id, kind, score) in zip(cases, shown, strict=True)],
        hidden,
    )


def duplicate_check_key(given_names: str, family_name: str, born: date | None) -> str:
    """Identifies the values a duplicate check was shown for (not a secret, not personal data)."""
    folded = f"{' '.join(tokens(given_names))}|{' '.join(tokens(family_name))}|{born or ''}"
    return hashlib.sha256(folded.encode()).hexdigest()[:16]


def _score(probe: Person, born: date | None, person: Any) -> tuple[str | None, float]:
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
    if not sounds_alike and _quick_ratio(probe.name_key, person.name_key) < (
        0.6 if same_birth else 0.85
    ):
        return None, 0.0
    similarity = difflib.SequenceMatcher(None, probe.name_key, person.name_key).ratio()
    bonus = 0.1 if same_birth else 0.0
    if sounds_alike or similarity >= 0.85 or (same_birth and similarity >= 0.6):
        return "likely", min(0.99, max(similarity, 0.8 if sounds_alike else 0.0) + bonus)
    return None, 0.0


def _quick_ratio(first: str, second: str) -> float:
    """``difflib.SequenceMatcher(None, first, second).quick_ratio()`` without building the
    matcher (which indexes ``second`` for a full comparison most candidates never reach)."""
    length = len(first) + len(second)
    if not length:
        return 1.0
    return 2.0 * (Counter(first) & Counter(second)).total() / length
