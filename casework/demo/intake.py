"""What the demo intake records for the follow-ups (issue 19): client numbers, schooling, the
profession of origin, the situation at intake, permit and CAQ expiry, and household members as
people (their own category, French level and needs). Pure: it completes the case plans.

Shares and values come from the ``intake`` entry of seed/demo/people.yaml (illustrative). Its
own generator, so that the rest of the demo draws what it drew before.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from casework.cases import choices
from casework.demo.planning import CasePlan, MemberPlan, Setting, age_on, weighted

FIRST_CLIENT_NUMBER = 1_000_001
HIGHER = ("bachelor", "master", "doctorate")


def plan_intake(seed: int, plans: list[CasePlan], setting: Setting) -> None:
    """Complete each plan's person and household (in place, in the plans' order)."""
    rng = random.Random(f"intake:{seed}")
    table = setting.tables.intake
    next_number = FIRST_CLIENT_NUMBER
    for plan in plans:
        person = plan.person
        category = person.immigration_category
        number = None
        if rng.random() < table["client_number_chance"].get(category, 0):
            number, next_number = f"Q{next_number:07d}", next_number + 1
        education = _weighted_list(rng, choices.EDUCATION_LEVELS, table["education"][category])
        expiries = _expiries(rng, table, category, person.arrival_date)
        plan.person = replace(
            person,
            mifi_client_number=number,
            education_level=education,
            field_of_study=_field_of_study(rng, table, education),
            origin_cnp=_profession(rng, table, education),
            origin_cnp_version=None,
            employment_status=_weighted_list(
                rng, choices.EMPLOYMENT_STATUSES, table["employment"][category]
            ),
            permit_expires_on=expiries[0],
            caq_expires_on=expiries[1],
        )
        if plan.person.origin_cnp:
            plan.person.origin_cnp_version = "2016"
        assessed = bool(plan.assessments)
        plan.household = [
            _member(rng, table, setting, member, assessed, plan) for member in plan.household
        ]


def _weighted_list(rng: random.Random, codes: dict, weights: list[float]) -> str:
    return weighted(rng, dict(zip(codes, weights, strict=True)))


def _field_of_study(rng: random.Random, table: Any, education: str) -> str | None:
    group = "higher" if education in HIGHER else education
    names = table["fields_of_study"].get(group)
    return rng.choice(names) if names else None


def _profession(rng: random.Random, table: Any, education: str) -> str | None:
    if education in ("none", "primary") or rng.random() >= table["profession_chance"]:
        return None
    return rng.choice(table["professions"])


def _expiries(rng: random.Random, table: Any, category: str, arrival) -> tuple:
    if category not in choices.TEMPORARY_CATEGORIES or arrival is None:
        return None, None
    low, high = table["permit_days"][category]
    permit = arrival + timedelta(days=rng.randint(low, high))
    caq = None
    if rng.random() < table["caq_chance"][category]:
        caq = max(arrival, permit - timedelta(days=rng.randint(0, 45)))
    return permit, caq


def _member(
    rng: random.Random,
    table: Any,
    setting: Setting,
    member: MemberPlan,
    assessed: bool,
    plan: CasePlan,
) -> MemberPlan:
    category = None
    for code, chance in table["member_category"].get(member.relationship, {}).items():
        if category is None and rng.random() < chance:
            category = code
    adult = age_on(member.born, setting.today) >= 16
    scale = rng.randint(1, 8) if adult and rng.random() < table["member_french_chance"] else None
    needs: tuple[str, ...] = ()
    if assessed:
        pool = [
            key
            for key in table["member_needs"].get(member.relationship, ())
            if key in setting.need_keys
        ]
        needs = tuple(rng.sample(pool, k=min(len(pool), rng.randint(0, 2))))
    if category in choices.TEMPORARY_CATEGORIES and plan.person.immigration_category == category:
        category = None  # the person's own: nothing to record
    return replace(member, immigration_category=category, french_level_scale=scale, needs=needs)
