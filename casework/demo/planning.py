"""The plan of the demo cases: the tables it draws from, what it is made of, and its dice.

Planning is pure (no database): the same tables, seed and setting give the same plan. The plan is
then written through the service layer (``casework.demo.cases``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from casework.cases.operations import InteractionFields, PersonFields
from casework.demo.tables import MissingEntry, Table, entry, read_tables, shaped

LEVEL_NAMES = ("none", "beginner", "intermediate", "advanced", "fluent")
OPEN_LEVEL_NAMES = ("low", "moderate", "high", "urgent")

# --- The tables (seed/demo/*.yaml) ----------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a person comes from: countries with their languages (mother tongue first), names."""

    countries: tuple[tuple[str, tuple[str, ...]], ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    families: tuple[str, ...]
    french: tuple[float, ...] | None  # None: the file's default_french, or its category's
    english: float


@dataclass(frozen=True)
class Place:
    city: str
    postal_prefixes: tuple[str, ...]
    streets: tuple[str, ...]


@dataclass(frozen=True)
class Occupation:
    feminine: str
    masculine: str
    cnp: str
    target: str
    diploma: str


@dataclass(frozen=True)
class NearDuplicate:
    """The same person in the cases at two positions of a run, their name written two ways."""

    slots: tuple[int, int]
    origin: str
    category: str
    gender: str
    first: tuple[str, str]  # given names, family name
    second: tuple[str, str]


@dataclass(frozen=True)
class CaseTables:
    """seed/demo/people.yaml, places.yaml, cases.yaml and notes.yaml, as the plan reads them.

    A field is the entry of the same name in one of these files; ``read`` converts the few that
    have a shape of their own.
    """

    # people.yaml
    origins: Mapping[str, Origin]
    default_french: tuple[float, ...]
    french_by_category: Mapping[str, tuple[float, ...]]
    preferred_names: Mapping[str, str]
    quebec_child_names: Mapping[str, tuple[str, ...]]
    country_display: Mapping[str, str]
    category_weights: Mapping[str, float]
    category_origins: Mapping[str, Mapping[str, float]]
    age_at_opening: Mapping[str, tuple[int, int]]
    near_duplicates: tuple[NearDuplicate, ...]
    prior_occupations: tuple[Occupation, ...]
    intake: Mapping[str, Any]  # what the intake records for the follow-ups (issue 19)
    # places.yaml
    places: Mapping[str, tuple[Place, ...]]
    area_codes: Mapping[str, tuple[str, ...]]
    other_area_codes: tuple[str, ...]
    # cases.yaml
    agent_shares: Mapping[str, float]
    roster_share: float
    status_weights: Mapping[str, float]
    follow_up_weights: Mapping[str, float]
    reassessment_weights: Mapping[str, float]
    draft_weights: Mapping[str, float]
    opened_days_ago: Mapping[str, tuple[int, int]]
    case_origins: Mapping[str, Mapping[str, float]]
    arrival_days_before: Mapping[str, tuple[int, int]]
    household_chance: Mapping[str, float]
    closing_reasons: Mapping[str, float]
    consent_methods: Mapping[str, float]
    interview_modes: Mapping[str, float]
    requalification_chance: float
    open_needs_range: Mapping[str, tuple[int, int]]
    need_weights: Mapping[str, Mapping[str, float]]
    severity: Mapping[str, Mapping[str, tuple[float, ...]]]
    francisation_severity: Mapping[str, tuple[float, ...]]
    child_needs: Mapping[str, tuple[int, int]]
    asset_chance: Mapping[str, float]
    # notes.yaml
    intake_notes: Mapping[str, tuple[str, str]]
    follow_ups: Mapping[str, tuple[tuple[str, str], ...]]
    generic_follow_ups: tuple[tuple[str, str], ...]
    need_notes: Mapping[str, tuple[str, ...]]
    assets: Mapping[str, tuple[str, ...]]
    hold_notes: tuple[str, ...]
    closing_summaries: Mapping[str, tuple[str, ...]]
    closing_notes: Mapping[str, str]
    transfer_reasons: tuple[str, ...]

    @classmethod
    def read(cls, seed_dir: str | Path | None = None) -> CaseTables:
        files = [read_tables(name, seed_dir) for name in ("people", "places", "cases", "notes")]
        people, places, _, notes = files
        converted = {
            "origins": {key: _origin(item, people) for key, item in people["origins"].items()},
            "near_duplicates": tuple(
                shaped(NearDuplicate, item) for item in people["near_duplicates"]
            ),
            "prior_occupations": tuple(
                shaped(Occupation, item) for item in people["prior_occupations"]
            ),
            "places": {
                region: tuple(shaped(Place, place) for place in cities)
                for region, cities in places["regions"].items()
            },
            "intake_notes": {key: entry(item) for key, item in notes["intake_notes"].items()},
            "follow_ups": {
                key: tuple(entry(item) for item in items)
                for key, items in notes["follow_ups"].items()
            },
            "generic_follow_ups": tuple(entry(item) for item in notes["generic_follow_ups"]),
        }
        return cls(
            **{
                each.name: converted[each.name]
                if each.name in converted
                else _entry(files, each.name)
                for each in fields(cls)
            }
        )


def _entry(files: list[Table], name: str) -> Any:
    for table in files:
        if name in table:
            return table[name]
    raise MissingEntry(f"{', '.join(str(table.path) for table in files)}: « {name} » is missing")


def _origin(item: Table, people: Table) -> Origin:
    return shaped(
        Origin,
        item,
        countries=tuple(item["countries"].items()),
        french=item.get("french"),
        english=item.get("english", people["default_english"]),
    )


# --- What the plan is made of ---------------------------------------------------------------


@dataclass(frozen=True)
class AgentSeat:
    """An agent who may receive cases: username, region code, city of the service point."""

    username: str
    region: str
    city: str | None = None


@dataclass(frozen=True)
class Setting:
    """What the plan needs to know, read once before planning: the database and the tables."""

    agents: tuple[AgentSeat, ...]
    need_keys: tuple[str, ...]  # "domain.need"
    target_cnps: tuple[str, ...]
    host_cities: Mapping[str, tuple[str, ...]]
    partners: Mapping[str, tuple[str, ...]]
    now: datetime
    today: date
    tables: CaseTables
    # The remote-interpretation pilot's region codes, as the seed cites them (regions.yaml).
    pilot_regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Draw:
    """What is dealt to a case from the shares agreed for the whole run."""

    seat: AgentSeat
    status: str
    household: bool
    follow_up: str
    reassessment: bool
    draft: bool


@dataclass(frozen=True)
class MemberPlan:
    relationship: str
    given_names: str
    family_name: str | None
    born: date
    immigration_category: str | None = None  # None: the person's
    french_level_scale: int | None = None
    needs: tuple[str, ...] = ()  # "domain.need"


@dataclass(frozen=True)
class AssessmentPlan:
    levels: dict[str, str]
    notes: dict[str, str]
    assets: dict[str, str]
    interview_date: date | None
    interview_mode: str | None
    interpreter_language: str | None = None
    interpreter_remote: bool = False
    interpretation_pilot: bool = False
    requalification_interest: bool = False
    current_occupation: str | None = None
    current_cnp: str | None = None
    target_cnp: str | None = None
    complete: bool = True

    @property
    def open_needs(self) -> list[str]:
        return [key for key, level in self.levels.items() if level in OPEN_LEVEL_NAMES]


@dataclass(frozen=True)
class ConsentPlan:
    purpose: str
    given_on: date
    method: str
    withdrawn_on: date | None = None


@dataclass
class CasePlan:
    agent: str
    region: str
    person: PersonFields
    origin: str
    priority: str
    opened_at: datetime
    status: str
    follow_up: date | None = None
    closing_reason: str | None = None
    closing_summary: str | None = None
    household: list[MemberPlan] = field(default_factory=list)
    assessments: list[AssessmentPlan] = field(default_factory=list)
    interactions: list[InteractionFields] = field(default_factory=list)
    consents: list[ConsentPlan] = field(default_factory=list)
    transfer_reason: str | None = None


# --- Dice -----------------------------------------------------------------------------------


def streams(seed: int) -> tuple[random.Random, random.Random]:
    """Independent generators for identities and for cases, both derived from ``seed``."""
    master = random.Random(seed)
    return random.Random(master.getrandbits(64)), random.Random(master.getrandbits(64))


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def quota(rng: random.Random, weights: Mapping[str, float], count: int) -> list[str]:
    """``count`` keys in proportion to ``weights`` (largest remainder), in random order."""
    total = sum(weights.values())
    exact = {key: count * weight / total for key, weight in weights.items()}
    counts = {key: int(share) for key, share in exact.items()}
    left = count - sum(counts.values())
    for key in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:left]:
        counts[key] += 1
    keys = [key for key in weights for _ in range(counts[key])]
    rng.shuffle(keys)
    return keys


def days_before(day: date, low: int, high: int, rng: random.Random) -> date:
    return day - timedelta(days=rng.randint(low, high))


def day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def working_moment(rng: random.Random, day: date, floor: datetime, ceiling: datetime) -> datetime:
    """A working-hours moment (13:00–21:00 UTC, i.e. daytime in Québec) on ``day``, kept in range."""
    moment = datetime(
        day.year, day.month, day.day, rng.randint(13, 20), rng.choice((0, 15, 30, 45))
    )
    return min(max(moment, floor), ceiling)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
