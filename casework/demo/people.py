"""The people of the demo cases: who they are, where they live, their households (pure).

Names, origins, streets and shares come from seed/demo/people.yaml and places.yaml (illustrative
values). Phones use the fictional 555-01xx range and e-mails the illustrative domain exemple.ca.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from casework.cases.operations import PersonFields
from casework.core.text import fold
from casework.demo.planning import (
    LEVEL_NAMES,
    AgentSeat,
    CasePlan,
    CaseTables,
    MemberPlan,
    NearDuplicate,
    Origin,
    Place,
    Setting,
    age_on,
    quota,
    streams,
    weighted,
    years_before,
)

POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"


@dataclass(frozen=True)
class Identity:
    """Who the person is, independent of where and when the case is opened."""

    given_names: str
    family_name: str
    gender: str
    origin: str
    country: str
    category: str
    age: int
    languages: tuple[str, ...]
    preferred_language: str
    french_level: str
    french_scale: int | None
    interpreter_language: str | None
    preferred_name: str | None = None
    twin_of: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def low_french(self) -> bool:
        return self.french_level in ("none", "beginner")


# --- Identities -----------------------------------------------------------------------------


def plan_people(count: int, seed: int = 2026, tables: CaseTables | None = None) -> list[Identity]:
    """The people of ``count`` demo cases: the same list for the same seed and tables, whatever
    the database (``tables``: the application's seed/demo/ when not given)."""
    tables = tables or CaseTables.read()
    rng, _ = streams(seed)
    categories = quota(rng, tables.category_weights, count)
    people: list[Identity] = []
    taken: set[str] = set()
    pairs = {slot: pair for pair in tables.near_duplicates for slot in pair.slots}
    for index, category in enumerate(categories):
        pair = pairs.get(index)
        if pair is not None and index == pair.slots[1]:
            twin = people[pair.slots[0]]
            given, family = pair.second
            people.append(
                replace(twin, given_names=given, family_name=family, twin_of=pair.slots[0])
            )
        elif pair is not None:
            people.append(_forced_identity(rng, tables, pair))
        else:
            people.append(_unique_identity(rng, tables, category, taken))
        taken.add(people[-1].full_name)
    return people


def pick_names(count: int, seed: int = 2026, tables: CaseTables | None = None) -> list[str]:
    """Full names of the first ``count`` demo people, as written (accents kept)."""
    return [person.full_name for person in plan_people(count, seed, tables)]


def _unique_identity(
    rng: random.Random, tables: CaseTables, category: str, taken: set[str]
) -> Identity:
    origin = weighted(rng, tables.category_origins[category])
    for _attempt in range(20):
        person = _identity(rng, tables, category, origin, _gender(rng))
        if person.full_name not in taken:
            return person
    return person


def _forced_identity(rng: random.Random, tables: CaseTables, pair: NearDuplicate) -> Identity:
    person = _identity(rng, tables, pair.category, pair.origin, pair.gender)
    given, family = pair.first
    return replace(person, given_names=given, family_name=family, preferred_name=None)


def _gender(rng: random.Random) -> str:
    return rng.choices(("woman", "man", "undisclosed", "non_binary"), weights=(49, 48, 2, 1))[0]


def _identity(
    rng: random.Random, tables: CaseTables, category: str, origin_key: str, gender: str
) -> Identity:
    origin = tables.origins[origin_key]
    country, native = rng.choice(origin.countries)
    given = _given_name(rng, origin, gender)
    french = _french_level(rng, tables, origin, category)
    languages = _languages(rng, origin, native, french)
    preferred = _preferred_language(rng, languages, french)
    low, high = tables.age_at_opening[category]
    return Identity(
        given_names=given,
        family_name=rng.choice(origin.families),
        gender=gender,
        origin=origin_key,
        country=country,
        category=category,
        age=rng.randint(low, high),
        languages=languages,
        preferred_language=preferred,
        french_level=french,
        french_scale=_french_scale(rng, french),
        interpreter_language=_interpreter(rng, languages, preferred, french),
        preferred_name=tables.preferred_names.get(given) if rng.random() < 0.5 else None,
    )


def _given_name(rng: random.Random, origin: Origin, gender: str) -> str:
    if gender == "woman":
        return rng.choice(origin.women)
    if gender == "man":
        return rng.choice(origin.men)
    return rng.choice(origin.women + origin.men)


def _french_level(rng: random.Random, tables: CaseTables, origin: Origin, category: str) -> str:
    weights = origin.french
    if weights is None:
        weights = tables.french_by_category.get(category, tables.default_french)
    return rng.choices(LEVEL_NAMES, weights=weights)[0]


def _languages(
    rng: random.Random, origin: Origin, native: tuple[str, ...], french: str
) -> tuple[str, ...]:
    spoken = [native[0]] + [code for code in native[1:] if code == "fr" or rng.random() < 0.7]
    if rng.random() < origin.english:
        spoken.append("en")
    if french != "none":
        spoken.append("fr")
    return tuple(dict.fromkeys(spoken))


def _preferred_language(rng: random.Random, languages: tuple[str, ...], french: str) -> str:
    if french in ("intermediate", "advanced", "fluent") and rng.random() < 0.85:
        return "fr"
    if languages[0] not in ("fr", "en") and "en" in languages and rng.random() < 0.4:
        return "en"
    return languages[0]


def _french_scale(rng: random.Random, french: str) -> int | None:
    if rng.random() >= 0.35:
        return None
    low, high = {
        "none": (1, 1),
        "beginner": (1, 3),
        "intermediate": (4, 7),
        "advanced": (8, 10),
    }.get(french, (11, 12))
    return rng.randint(low, high)


def _interpreter(
    rng: random.Random, languages: tuple[str, ...], preferred: str, french: str
) -> str | None:
    mother_tongue = languages[0]
    if french not in ("none", "beginner") or mother_tongue in ("fr", "en"):
        return None
    chance = 0.1 if preferred == "en" else 0.4
    return mother_tongue if rng.random() < chance else None


# --- Person fields --------------------------------------------------------------------------


def person_fields(
    rng: random.Random,
    setting: Setting,
    seat: AgentSeat,
    person: Identity,
    dates: tuple[date, date, date | None],
) -> PersonFields:
    """The person record; ``dates`` are birth, arrival and permanent residence."""
    born, arrival, residence = dates
    tables = setting.tables
    place = _place(rng, tables, seat)
    destination = _destination(rng, setting, seat, person.category, place)
    if destination != place.city:
        place = _place_for_host(rng, tables, seat, destination) or place
    return PersonFields(
        given_names=person.given_names,
        family_name=person.family_name,
        immigration_category=person.category,
        preferred_name=person.preferred_name,
        date_of_birth=born,
        gender=None if person.gender == "undisclosed" and rng.random() < 0.5 else person.gender,
        country_of_birth=person.country,
        citizenships=_citizenships(rng, person),
        languages_spoken=list(person.languages),
        preferred_language=person.preferred_language,
        french_level_self=person.french_level,
        french_level_scale=person.french_scale,
        arrival_date=arrival,
        permanent_residence_date=residence,
        phone=_phone(rng, tables, seat.region) if rng.random() < 0.92 else None,
        email=_email(rng, person) if rng.random() < 0.85 else None,
        address=_address(rng, place),
        postal_code=_postal_code(rng, place) if place.postal_prefixes else None,
        city=place.city,
        destination_city=destination,
        interpreter_needed=person.interpreter_language is not None,
        interpreter_language=person.interpreter_language,
    )


def _place(rng: random.Random, tables: CaseTables, seat: AgentSeat) -> Place:
    places = tables.places.get(seat.region)
    if places:
        return rng.choice(places)
    return Place(seat.city or "Montréal", (), ("rue Principale", "rue Notre-Dame"))


def _destination(
    rng: random.Random, setting: Setting, seat: AgentSeat, category: str, place: Place
) -> str:
    hosts = setting.host_cities.get(seat.region, ())
    if category == "gar" and hosts:
        return rng.choice(hosts)
    return place.city


def _place_for_host(
    rng: random.Random, tables: CaseTables, seat: AgentSeat, host: str
) -> Place | None:
    parts = {host, *host.split("-")}
    matching = [place for place in tables.places.get(seat.region, ()) if place.city in parts]
    return rng.choice(matching) if matching else None


def _citizenships(rng: random.Random, person: Identity) -> list[str]:
    extra = {"LB": "FR", "DZ": "FR", "MA": "FR", "HT": "US", "CM": "FR"}.get(person.country)
    if extra and rng.random() < 0.08:
        return [person.country, extra]
    return [person.country]


def _phone(rng: random.Random, tables: CaseTables, region: str) -> str:
    area = rng.choice(tables.area_codes.get(region, tables.other_area_codes))
    return f"{area} 555-01{rng.randint(0, 99):02d}"


# Letters that Unicode does not decompose into a base letter and an accent.
UNDECOMPOSED = str.maketrans({"Đ": "D", "đ": "d", "ı": "i", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o"})


def _email_part(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", fold(text.translate(UNDECOMPOSED)).replace(" ", ""))


def _email(rng: random.Random, person: Identity) -> str:
    first = _email_part(person.given_names.split()[0])
    family = _email_part(person.family_name)
    separator = rng.choice((".", ".", "_"))
    return f"{first}{separator}{family}@exemple.ca"


def _address(rng: random.Random, place: Place) -> str:
    line = f"{rng.randint(100, 9999)}, {rng.choice(place.streets)}"
    if rng.random() < 0.45:
        line += f", app. {rng.randint(1, 24)}"
    return line


def _postal_code(rng: random.Random, place: Place) -> str:
    letter = rng.choice(POSTAL_LETTERS)
    return f"{rng.choice(place.postal_prefixes)} {rng.randint(0, 9)}{letter}{rng.randint(0, 9)}"


# --- Household ------------------------------------------------------------------------------


def household(
    rng: random.Random,
    tables: CaseTables,
    person: Identity,
    born: date,
    today: date,
    arrival: date,
) -> list[MemberPlan]:
    origin = tables.origins[person.origin]
    age = age_on(born, today)
    members: list[MemberPlan] = []
    if rng.random() < 0.75:
        members.append(_spouse(rng, origin, person, age, today))
    for _child in range(rng.choices((0, 1, 2, 3, 4), weights=(1, 3, 3, 2, 1))[0]):
        child = _child_member(rng, tables, origin, person, age, today, arrival)
        if child is not None and len(members) < 5:
            members.append(child)
    if age <= 48 and len(members) < 5 and rng.random() < 0.12:
        members.append(_parent(rng, origin, person, age, today))
    return members or [_spouse(rng, origin, person, age, today)]


def _born_aged(rng: random.Random, years: int, today: date) -> date:
    return years_before(today, years) - timedelta(days=rng.randint(0, 360))


def _other_gender(rng: random.Random, gender: str) -> str:
    if gender in ("woman", "man") and rng.random() < 0.95:
        return "man" if gender == "woman" else "woman"
    return rng.choice(("woman", "man"))


def _spouse(
    rng: random.Random, origin: Origin, person: Identity, age: int, today: date
) -> MemberPlan:
    names = origin.women if _other_gender(rng, person.gender) == "woman" else origin.men
    given = rng.choice([name for name in names if name != person.given_names] or names)
    family = person.family_name if rng.random() < 0.45 else rng.choice(origin.families)
    spouse_age = min(max(age + rng.randint(-6, 6), 18), 75)
    return MemberPlan("spouse", given, family, _born_aged(rng, spouse_age, today))


def _child_member(
    rng: random.Random,
    tables: CaseTables,
    origin: Origin,
    person: Identity,
    age: int,
    today: date,
    arrival: date,
) -> MemberPlan | None:
    oldest = min(age - 19, 24)
    if oldest < 0:
        return None
    years = rng.randint(0, min(oldest, 17) if rng.random() < 0.9 else oldest)
    born = _born_aged(rng, years, today)
    gender = rng.choice(("woman", "man"))
    if born > arrival and rng.random() < 0.5:
        given = rng.choice(tables.quebec_child_names[gender])
    else:
        given = rng.choice(origin.women if gender == "woman" else origin.men)
    return MemberPlan("child", given, person.family_name, born)


def _parent(
    rng: random.Random, origin: Origin, person: Identity, age: int, today: date
) -> MemberPlan:
    parent_age = min(age + rng.randint(22, 32), 75)
    given = rng.choice(origin.women + origin.men)
    return MemberPlan(
        "parent", given, rng.choice(origin.families), _born_aged(rng, parent_age, today)
    )


def children_ages(plan: CasePlan, today: date) -> list[int]:
    return [age_on(m.born, today) for m in plan.household if m.relationship == "child"]
