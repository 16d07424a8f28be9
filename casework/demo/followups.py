"""Demo follow-up interviews at 3 and 6 months after arrival, recorded through the service layer
(the same checks as the form): people settle, find jobs, some in their field, progress in
French, and some leave the Montréal area. The shares are in seed/demo/followups.yaml."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.auth.models import User
from casework.cases.models import Case
from casework.core.time import local_today, utc_to_local
from casework.demo.tables import read_tables, repeated
from casework.extensions import db
from casework.followups import operations
from casework.followups.operations import FollowUpValues, OutcomeCheck, Situation
from casework.reference.models import Region
from casework.referrals import outcomes
from casework.reminders.rules import add_months


@dataclass(frozen=True)
class FollowUpTables:
    """seed/demo/followups.yaml."""

    followed_at_3: float
    followed_at_6: float
    modes: tuple[str, ...]
    housing: Mapping[int, tuple[str, ...]]
    employment: Mapping[int, tuple[str, ...]]
    jobs_in_field: tuple[str, ...]
    french_enrolled: Mapping[int, float]
    french_formats: tuple[str, ...]
    french_providers: tuple[str, ...]
    level_gain: int
    moves_out_of_montreal: float
    settle_in: tuple[Mapping[str, str], ...]
    children: tuple[str, ...]
    integration: tuple[str, ...]
    notes: tuple[str, ...]

    @classmethod
    def read(cls, seed_dir: str | None = None) -> FollowUpTables:
        t = read_tables("followups", seed_dir)
        return cls(
            followed_at_3=float(t["followed_at_3"]),
            followed_at_6=float(t["followed_at_6"]),
            modes=repeated(t["modes"]),
            housing={int(m): repeated(shares) for m, shares in t["housing"].items()},
            employment={int(m): repeated(shares) for m, shares in t["employment"].items()},
            jobs_in_field=tuple(t["jobs_in_field"]),
            french_enrolled={int(m): float(v) for m, v in t["french_enrolled"].items()},
            french_formats=repeated(t["french_formats"]),
            french_providers=tuple(t["french_providers"]),
            level_gain=int(t["level_gain"]),
            moves_out_of_montreal=float(t["moves_out_of_montreal"]),
            settle_in=tuple(t["settle_in"]),
            children=repeated(t["children"]),
            integration=repeated(t["integration"]),
            notes=tuple(t["notes"]),
        )


def load_demo_follow_ups(
    progress: Callable[[str], None] | None = None, seed: int = 2026, today: date | None = None
) -> int:
    """Follow-ups at 3 and 6 months after arrival for the past cases whose dates have come."""
    rng = random.Random(seed)
    tables = FollowUpTables.read()
    today = today or local_today()
    step = progress or (lambda _label: None)
    regions = {r.code: r.id for r in db.session.scalars(select(Region))}
    codes = {region_id: code for code, region_id in regions.items()}
    cases = db.session.scalars(
        select(Case)
        .options(selectinload(Case.person), selectinload(Case.household))
        .where(Case.status.in_(("active", "on_hold", "closed")))
        .order_by(Case.id)
    ).all()
    created = 0
    for case in cases:
        arrival = case.person.arrival_date
        if arrival is None or add_months(arrival, 3) > today:
            continue
        if rng.random() >= tables.followed_at_3:
            continue
        agent = db.session.get(User, case.agent_id)
        story = _Story(rng, tables, case, regions, codes)
        opened = utc_to_local(case.opened_at).date()
        for milestone in (3, 6):
            held_on = add_months(arrival, milestone) + timedelta(days=rng.randint(0, 12))
            if (opened - held_on).days > 21:
                continue  # the case opened too late for this milestone
            held_on = max(held_on, opened)
            if held_on > today or (milestone == 6 and rng.random() >= tables.followed_at_6):
                break
            if case.closed_at is not None and held_on > utc_to_local(case.closed_at).date():
                break
            operations.record(agent, case, story.interview(milestone, held_on))
            created += 1
    db.session.commit()
    step(f"suivis de démonstration : {created}")
    return created


class _Story:
    """One person's path from one follow-up to the next."""

    def __init__(self, rng, tables: FollowUpTables, case: Case, regions, codes):
        self.rng, self.tables, self.case = rng, tables, case
        self.regions, self.codes = regions, codes
        person = case.person
        self.level = person.french_level_scale or rng.randint(1, 4)
        self.region_id = person.destination_region_id or case.region_id
        self.municipality = person.destination_city or person.city or "Montréal"
        self.employment: str | None = None
        self.job: str | None = None
        self.has_children = any(
            member.relationship_to_person == "child" for member in case.household
        )

    def interview(self, milestone: int, held_on: date) -> FollowUpValues:
        rng, tables, person = self.rng, self.tables, self.case.person
        situations = {
            "housing": Situation(housing_status=rng.choice(tables.housing[milestone])),
            "french": self._french(milestone),
            "employment": self._employment(milestone),
            "residence": self._residence(milestone),
        }
        if self.has_children:
            situations["children"] = Situation(children_status=rng.choice(tables.children))
        if milestone == 6 and person.immigration_category == "economic":
            status = rng.choice(tables.integration)
            situations["integration"] = Situation(
                integration_status=status,
                integration_attested_on=held_on - timedelta(days=rng.randint(5, 60))
                if status == "attestation_obtained"
                else None,
            )
        residence_on = person.permanent_residence_date
        situations["immigration"] = Situation(
            permanent_resident=residence_on is not None and residence_on <= held_on,
            permanent_residence_on=residence_on
            if residence_on and residence_on <= held_on
            else None,
        )
        return FollowUpValues(
            held_on=held_on,
            milestone=milestone,
            mode=rng.choice(tables.modes),
            interpretation_pilot=False,
            notes=rng.choice(tables.notes) if rng.random() < 0.3 else None,
            situations=situations,
            reviews=self._reviews(milestone),
            outcome_checks=self._outcome_checks(milestone),
        )

    def _french(self, milestone: int) -> Situation:
        rng, tables = self.rng, self.tables
        if milestone > 3:
            self.level = min(12, self.level + rng.randint(0, tables.level_gain))
        enrolled = rng.random() < tables.french_enrolled[milestone]
        return Situation(
            french_enrolled=enrolled,
            french_level=self.level,
            french_format=rng.choice(tables.french_formats) if enrolled else None,
            french_provider=rng.choice(tables.french_providers) if enrolled else None,
        )

    def _employment(self, milestone: int) -> Situation:
        rng = self.rng
        if self.employment != "employed_in_field":
            self.employment = rng.choice(self.tables.employment[milestone])
            if self.employment == "employed_in_field":
                self.job = rng.choice(self.tables.jobs_in_field)
        return Situation(
            employment_status=self.employment,
            employment_cnp=self.job if self.employment == "employed_in_field" else None,
            employment_cnp_version="2016" if self.employment == "employed_in_field" else None,
        )

    def _residence(self, milestone: int) -> Situation:
        moving = (
            milestone == 6
            and self.codes.get(self.region_id) == "06"
            and self.rng.random() < self.tables.moves_out_of_montreal
        )
        if moving:
            place = self.rng.choice(self.tables.settle_in)
            self.region_id = self.regions[place["region"]]
            self.municipality = place["municipality"]
        return Situation(region_id=self.region_id, municipality=self.municipality)

    def _reviews(self, milestone: int) -> dict[int, tuple[str, str | None]]:
        """At 6 months the agent judges the plan's objectives from where its actions stand."""
        if milestone != 6:
            return {}
        reviews = {}
        for group in operations.objectives(self.case):
            statuses = {action.status for action in group.actions}
            if statuses == {"done"}:
                verdict = "met"
            elif statuses & {"done", "in_progress"}:
                verdict = "partly_met"
            elif statuses == {"abandoned"}:
                verdict = "not_met"
            else:
                continue  # not started yet: not judged
            reviews.update({action.id: (verdict, None) for action in group.actions})
        return reviews

    def _outcome_checks(self, milestone: int) -> list[OutcomeCheck]:
        """At 6 months the agent confirms what the organisations reported."""
        if milestone != 6:
            return []
        checks = []
        for referral, _family, history in operations.referrals_with_outcomes(self.case):
            for (_referral_id, kind), outcome in outcomes.standing(history).items():
                checks.append(
                    OutcomeCheck(
                        referral.id, outcomes.OutcomeValues(kind=kind, happened=outcome.happened)
                    )
                )
        return checks
