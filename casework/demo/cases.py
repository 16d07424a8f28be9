"""Illustrative demo cases for Accompagnement Québec, created through the service layer.

The generator works in two steps: a pure plan (deterministic for a seed and the tables of
seed/demo/, no database; ``people`` and ``stories`` plan a case's person and story), then the
writing of that plan through ``casework.cases.operations`` and ``casework.assessments.operations``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select

from casework.assessments import operations as assessments
from casework.auth.models import User
from casework.auth.operations import find_user
from casework.cases import operations as cases
from casework.cases.models import Case
from casework.core.time import local_today, utc_to_local, utcnow
from casework.demo.accounts import HOME_AGENT, demo_agents
from casework.demo.intake import plan_intake
from casework.demo.people import Identity, household, person_fields, plan_people
from casework.demo.planning import (
    AgentSeat,
    AssessmentPlan,
    CasePlan,
    CaseTables,
    ConsentPlan,
    Draw,
    Setting,
    days_before,
    quota,
    streams,
    weighted,
    years_before,
)
from casework.demo.stories import plan_story
from casework.extensions import db
from casework.reference.models import HostCity, Organisation, Region

PROGRESS_EVERY = 25
VULNERABLE = ("gar", "psr", "asylum")


# --- Cases (pure) ---------------------------------------------------------------------------


def plan_cases(count: int, seed: int, setting: Setting) -> list[CasePlan]:
    """Everything the demo cases will hold, decided before anything is written."""
    tables = setting.tables
    people = plan_people(count, seed, tables)
    _, rng = streams(seed)
    seats = _seat_quota(rng, setting, count)
    statuses = quota(rng, tables.status_weights, count)
    follow_ups = quota(rng, tables.follow_up_weights, count)
    households = _household_flags(rng, tables, people)
    reassessments = quota(rng, tables.reassessment_weights, count)
    drafts = quota(rng, tables.draft_weights, count)
    plans: list[CasePlan] = []
    for index, person in enumerate(people):
        draw = Draw(
            _take_seat(seats, setting, person.category),
            statuses[index],
            households[index],
            follow_ups[index],
            reassessments[index] == "yes",
            drafts[index] == "yes",
        )
        twin = plans[person.twin_of] if person.twin_of is not None else None
        plans.append(_plan_case(rng, setting, person, draw, twin))
    _plan_transfers(rng, tables, plans, count)
    plan_intake(seed, plans, setting)
    return plans


def _household_flags(
    rng: random.Random, tables: CaseTables, people: Sequence[Identity]
) -> list[bool]:
    """Whether each case has a household, in the share expected for its category."""
    flags = [False] * len(people)
    for category, chance in tables.household_chance.items():
        indexes = [i for i, person in enumerate(people) if person.category == category]
        dealt = quota(rng, {"yes": chance, "no": 1 - chance}, len(indexes))
        for index, flag in zip(indexes, dealt, strict=True):
            flags[index] = flag == "yes"
    return flags


def _plan_case(
    rng: random.Random, setting: Setting, person: Identity, draw: Draw, twin: CasePlan | None
) -> CasePlan:
    seat, status, tables = draw.seat, draw.status, setting.tables
    opened_at = _opening(rng, tables, setting.now, status)
    origin = weighted(rng, tables.case_origins[person.category])
    arrival = _arrival(rng, tables, origin, person.category, opened_at.date())
    born = twin.person.date_of_birth if twin else _birth_date(rng, opened_at.date(), person.age)
    residence = _permanent_residence(rng, person.category, arrival, opened_at.date())
    plan = CasePlan(
        agent=seat.username,
        region=seat.region,
        person=person_fields(rng, setting, seat, person, (born, arrival, residence)),
        origin=origin,
        priority=_priority(rng, person.category),
        opened_at=opened_at,
        status=status,
    )
    if draw.household:
        plan.household = household(rng, tables, person, born, setting.today, arrival)
    plan_story(rng, setting, person, plan, draw)
    plan.follow_up = _follow_up(rng, status, draw.follow_up, setting.today)
    return plan


def _seat_quota(rng: random.Random, setting: Setting, count: int) -> list[AgentSeat]:
    """One agent per case, in the agreed shares (the roster shares what is left)."""
    named, roster_share = setting.tables.agent_shares, setting.tables.roster_share
    roster = [seat for seat in setting.agents if seat.username not in named]
    shares = {
        seat.username: named.get(seat.username, roster_share / max(len(roster), 1))
        for seat in setting.agents
    }
    by_name = {seat.username: seat for seat in setting.agents}
    return [by_name[name] for name in quota(rng, shares, count)]


def _take_seat(seats: list[AgentSeat], setting: Setting, category: str) -> AgentSeat:
    """The next seat; government-assisted refugees go to an agent of a host-city region."""
    if category == "gar":
        for index, seat in enumerate(seats):
            if setting.host_cities.get(seat.region):
                return seats.pop(index)
    return seats.pop(0)


def _opening(rng: random.Random, tables: CaseTables, now: datetime, status: str) -> datetime:
    low, high = tables.opened_days_ago[status]
    return now - timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 600))


def _birth_date(rng: random.Random, opened: date, age: int) -> date:
    """Born so as to be ``age`` on the day the case is opened."""
    return years_before(opened, age) - timedelta(days=rng.randint(1, 364))


def _priority(rng: random.Random, category: str) -> str:
    weights = (65, 27, 8) if category in VULNERABLE else (88, 10, 2)
    return rng.choices(("normal", "high", "urgent"), weights=weights)[0]


def _arrival(
    rng: random.Random, tables: CaseTables, origin: str, category: str, opened: date
) -> date:
    if origin == "airport":
        return days_before(opened, 0, 2, rng)
    if origin == "abroad":
        return days_before(opened, 0, 10, rng)
    low, high = tables.arrival_days_before[category]
    return days_before(opened, low, high, rng)


def _permanent_residence(
    rng: random.Random, category: str, arrival: date, opened: date
) -> date | None:
    """Refugees and sponsored people land as permanent residents; some economic immigrants
    became residents later, after a temporary stay (PEQ)."""
    if category in ("gar", "psr") and rng.random() < 0.7:
        return arrival
    if category == "family" and rng.random() < 0.5:
        return arrival
    if category != "economic" or rng.random() >= 0.55:
        return None
    stay = (opened - arrival).days
    return arrival + timedelta(days=rng.randint(300, stay)) if stay > 400 else arrival


def _follow_up(rng: random.Random, status: str, kind: str, today: date) -> date | None:
    if status == "closed" or kind == "none":
        return None
    if kind == "overdue":
        return today - timedelta(days=rng.randint(1, 30))
    return today + timedelta(days=rng.randint(1, 42))


def _plan_transfers(
    rng: random.Random, tables: CaseTables, plans: Sequence[CasePlan], count: int
) -> None:
    candidates = [
        plan for plan in plans if plan.agent != HOME_AGENT and plan.status in ("active", "on_hold")
    ]
    wanted = 3 if count >= 60 else 2
    for plan in rng.sample(candidates, min(wanted, len(candidates))):
        plan.transfer_reason = rng.choice(tables.transfer_reasons)


# --- Writing through the service layer ------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    """Database rows and ids the plan's codes resolve to."""

    users: Mapping[str, User]
    region_ids: Mapping[str, int]
    need_ids: Mapping[str, int]
    domain_ids: Mapping[str, int]


def _receiving_agents() -> dict[str, User]:
    """The demo agents who can receive cases: active, at a service point."""
    agents = {}
    for username in demo_agents():
        user = find_user(username)
        if user is not None and user.role == "agent" and user.active and user.service_point_id:
            agents[username] = user
    return agents


def _setting(agents: Mapping[str, User], tables: CaseTables) -> Setting:
    now = utcnow()
    catalogue = assessments.catalogue()
    seats = tuple(
        AgentSeat(name, user.region.code, user.service_point.city if user.service_point else None)
        for name, user in agents.items()
    )
    return Setting(
        agents=seats,
        need_keys=tuple(f"{d.code}.{n.code}" for d in catalogue for n in d.needs),
        target_cnps=tuple(o.cnp for o in assessments.occupations()),
        host_cities=_host_cities(),
        partners=_partners(),
        now=now,
        today=min(local_today(), now.date()),
        tables=tables,
        pilot_regions=frozenset(
            db.session.scalars(select(Region.code).where(Region.interpretation_pilot))
        ),
    )


def _host_cities() -> dict[str, tuple[str, ...]]:
    rows = db.session.execute(
        select(Region.code, HostCity.name).join(HostCity.region).order_by(HostCity.name)
    )
    found: dict[str, list[str]] = {}
    for code, name in rows:
        found.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in found.items()}


def _partners() -> dict[str, tuple[str, ...]]:
    rows = db.session.execute(
        select(Region.code, Organisation.name)
        .join(Organisation.regions)
        .where(Organisation.active.is_(True), Organisation.kind == "pasi_partner")
        .order_by(Organisation.code)
    )
    found: dict[str, list[str]] = {}
    for code, name in rows:
        found.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in found.items()}


def _refs(agents: Mapping[str, User]) -> _Refs:
    catalogue = assessments.catalogue()
    return _Refs(
        users=agents,
        region_ids=dict(db.session.execute(select(Region.code, Region.id)).all()),
        need_ids={f"{d.code}.{n.code}": n.id for d in catalogue for n in d.needs},
        domain_ids={d.code: d.id for d in catalogue},
    )


def _write_case(refs: _Refs, plan: CasePlan) -> Case:
    agent = refs.users[plan.agent]
    person = replace(plan.person, destination_region_id=refs.region_ids[plan.region])
    case = cases.open_case(agent, person, plan.origin, plan.priority, plan.opened_at)
    for member in plan.household:
        cases.add_household_member(
            agent,
            case,
            member.relationship,
            member.given_names,
            member.family_name,
            member.born,
            member.immigration_category,
            member.french_level_scale,
            [refs.need_ids[key] for key in member.needs],
        )
    for interaction in plan.interactions:
        # Plans are in UTC; the service layer takes Québec wall-clock time, as an agent types it.
        local = replace(interaction, occurred_at=utc_to_local(interaction.occurred_at))
        cases.add_interaction(agent, case, local)
    for version in plan.assessments:
        _write_assessment(refs, agent, case, version)
    for consent in plan.consents:
        _write_consent(agent, case, consent)
    cases.update_case(
        agent,
        case,
        plan.status,
        plan.priority,
        plan.follow_up,
        case.version,
        plan.closing_reason,
        plan.closing_summary,
    )
    home = refs.users.get(HOME_AGENT)
    if plan.transfer_reason and home is not None:
        # A file goes to another region only with the person's consent for that purpose.
        moving = home.region_id != case.region_id
        if moving and cases.current_consent(case, "transfer_region") is None:
            cases.record_consent(agent, case, "transfer_region", local_today(), "verbal")
        cases.request_transfer(agent, case, home, plan.transfer_reason)
    return case


def _write_assessment(refs: _Refs, agent: User, case: Case, version: AssessmentPlan) -> None:
    assessment = assessments.start(agent, case)
    values = assessments.AssessmentValues(
        interview_date=version.interview_date,
        interview_mode=version.interview_mode,
        interpreter_language=version.interpreter_language,
        interpreter_remote=version.interpreter_remote,
        interpretation_pilot=version.interpretation_pilot,
        requalification_interest=version.requalification_interest,
        current_occupation=version.current_occupation,
        current_cnp=version.current_cnp,
        target_cnp=version.target_cnp,
        levels={need_id: version.levels.get(key, "none") for key, need_id in refs.need_ids.items()},
        notes={need_id: version.notes.get(key) for key, need_id in refs.need_ids.items()},
        assets={refs.domain_ids[domain]: text for domain, text in version.assets.items()},
    )
    assessments.save(agent, assessment, values, assessment.version, complete=version.complete)


def _write_consent(agent: User, case: Case, consent: ConsentPlan) -> None:
    row = cases.record_consent(agent, case, consent.purpose, consent.given_on, consent.method)
    if consent.withdrawn_on is not None:
        cases.withdraw_consent(agent, case, row.id, consent.withdrawn_on)


def load_demo_cases(
    count: int, progress: Callable[[str], None] | None = None, seed: int = 2026
) -> int:
    """Create `count` illustrative cases through the service layer; returns how many were created."""
    agents = _receiving_agents()
    if not agents:
        raise ValueError(
            "aucune agente ou aucun agent de démonstration : lancez d'abord les comptes de démonstration"
        )
    step = progress or (lambda _label: None)
    plans = plan_cases(max(count, 0), seed, _setting(agents, CaseTables.read()))
    refs = _refs(agents)
    for number, plan in enumerate(plans, start=1):
        _write_case(refs, plan)
        if number % PROGRESS_EVERY == 0 or number == len(plans):
            step(f"dossiers de démonstration {number}/{len(plans)}")
    db.session.commit()
    return len(plans)
