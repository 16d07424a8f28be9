"""The de-identified analytics extract: a standalone SQLite database, built with sqlite-utils,
for analysts (Datasette, pandas, a spreadsheet) who must never see who the people are.

What is left out or coarsened, and why, is in docs/analytics.md. In short: no names, contacts,
addresses, client numbers, municipalities, notes, free text or exact dates; ages in bands; dates
to the month; CNP codes to their major group; case keys that
are renumbered in random order each time, so they lead back to no case number; counts under
``SMALL_CELL`` blanked in the aggregate tables.
"""

from __future__ import annotations

import os
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlalchemy import distinct, func, select

from casework.appointments.models import Appointment, AppointmentType
from casework.assessments.models import OPEN_LEVELS, AssessedNeed, Assessment
from casework.cases.models import Case, HouseholdMember, HouseholdMemberNeed, Person
from casework.core.time import local_today, utc_to_local, utcnow
from casework.extensions import db
from casework.followups.models import FollowUp, FollowUpSituation, ObjectiveReview
from casework.plans.models import Plan
from casework.reference.models import Domain, Need, Organisation, Region, ServicePoint
from casework.referrals.models import Referral, ReferralEvent, ReferralOutcome
from casework.reports import indicators
from casework.reports.operations import FUNNEL_STAGES, latest_assessments

SMALL_CELL = 5
BATCH = 1000
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))


class ExtractError(Exception):
    """The extract cannot be written where asked (the message is for the operator)."""


def age_band(born: date | None, on: date) -> str | None:
    if born is None:
        return None
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for low, high in AGE_BANDS:
        if high is None or age <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    return None  # pragma: no cover - the last band is open-ended


def month(moment: date | datetime | None) -> str | None:
    """« 2026-03 »: a UTC timestamp is first brought to Montréal's calendar."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        moment = utc_to_local(moment).date()
    return f"{moment.year:04d}-{moment.month:02d}"


def cnp_major_group(code: str | None) -> str | None:
    """A CNP code's first two digits (its major group, in the 2016 and 2021 versions alike):
    a five-digit occupation can be rare enough in a region to point at someone."""
    return code[:2] if code else None


def quarter(day: date) -> str:
    """« 2026-Q1 »."""
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def suppressed(count: int) -> int | None:
    """A count small enough to point at someone is blanked (NULL), not rounded."""
    return count if count >= SMALL_CELL else None


@dataclass
class ExtractReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    suppressed_cells: int = 0


def check_target(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise ExtractError(f"{path} existe déjà ; ajoutez --force pour le remplacer.")
    if path.exists() and not path.is_file():
        raise ExtractError(f"{path} n'est pas un fichier.")
    if not path.parent.is_dir():
        raise ExtractError(f"dossier introuvable : {path.parent}")


def write_extract(path: Path, force: bool = False) -> ExtractReport:
    """Write the extract to ``path``: built beside it under a temporary name, then moved into
    place, so a failed run never leaves half a file where the last good one was."""
    check_target(path, force)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        report = _build(partial)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    report.path = path
    return report


# Every table is created with its columns first, so an empty database still gives every
# table with its header (an analyst's script does not break on a quiet region).
SCHEMAS: dict[str, dict[str, type]] = {
    "cases": {
        "case_key": int,
        "region": str,
        "service_point_kind": str,
        "origin": str,
        "status": str,
        "priority": str,
        "closing_reason": str,
        "opened_month": str,
        "closed_month": str,
        "immigration_category": str,
        "age_band_at_opening": str,
        "french_level_self": str,
        "interpreter_needed": bool,
        "arrival_month": str,
        "first_appointment_month": str,
        "days_arrival_to_first_appointment": int,
        "plan_finalised_month": str,
        "days_first_appointment_to_plan": int,
        "destination_region": str,
        "french_level_scale_at_intake": int,
        "education_level": str,
        "origin_cnp_major_group": str,
        "origin_cnp_version": str,
        "employment_status_at_intake": str,
        "permit_expiry_month": str,
        "caq_expiry_month": str,
    },
    "household_members": {
        "case_key": int,
        "member": int,
        "relationship": str,
        "age_band_at_opening": str,
        "immigration_category": str,
        "french_level_scale": int,
    },
    "household_member_needs": {
        "case_key": int,
        "member": int,
        "domain": str,
        "need": str,
    },
    "needs": {
        "case_key": int,
        "assessment_number": int,
        "assessment_status": str,
        "completed_month": str,
        "domain": str,
        "need": str,
        "level": str,
        "open": bool,
    },
    "referrals": {
        "case_key": int,
        "organisation_code": str,
        "organisation": str,
        "kind": str,
        "status": str,
        "submitted_month": str,
        "sent_month": str,
        "days_to_answer": float,
    },
    "appointments": {
        "case_key": int,
        "month": str,
        "type": str,
        "status": str,
        "channel": str,
        "mode": str,
        "interpreter": bool,
        "remote_interpretation": bool,
    },
    "follow_up_situations": {
        "case_key": int,
        "observed_month": str,
        "milestone": int,
        "months_since_arrival": int,
        "mode": str,
        "interpretation_pilot": bool,
        "domain": str,
        "housing_status": str,
        "french_enrolled": bool,
        "french_level": int,
        "french_format": str,
        "employment_status": str,
        "employment_cnp_major_group": str,
        "employment_cnp_version": str,
        "residence_region": str,
        "in_montreal_cmm": bool,
        "children_status": str,
        "integration_status": str,
        "integration_attested_month": str,
        "permanent_resident": bool,
        "permanent_residence_month": str,
    },
    "objective_reviews": {
        "case_key": int,
        "follow_up_month": str,
        "milestone": int,
        "verdict": str,
    },
    "referral_outcomes": {
        "case_key": int,
        "organisation_code": str,
        "referral_kind": str,
        "outcome": str,
        "happened": bool,
        "occurred_month": str,
        "course_format": str,
        "cnp_major_group": str,
        "cnp_version": str,
        "source": str,
        "verdict": str,
    },
}
AGGREGATE_COLUMNS = {
    "cases_opened_by_region_month_category": ("region", "opened_month", "immigration_category"),
    "cases_by_region_age_band": ("region", "age_band_at_opening"),
    "open_needs_by_region_domain": ("region", "domain"),
    "referral_funnel_by_organisation": ("organisation_code", "stage"),
    "indicators_by_region_quarter": ("quarter", "region", "measure", "indicator"),
}


def _build(path: Path) -> ExtractReport:
    target = sqlite_utils.Database(path)
    report = ExtractReport(path)
    keys = _case_keys()
    rows_of: dict[str, Callable[[dict[int, int]], Iterator[dict[str, Any]]]] = {
        "cases": _cases,
        "needs": _needs,
        "referrals": _referrals,
        "appointments": _appointments,
        "household_members": _household_members,
        "household_member_needs": _household_member_needs,
        "follow_up_situations": _situations,
        "objective_reviews": _objective_reviews,
        "referral_outcomes": _referral_outcomes,
    }
    for name, columns in SCHEMAS.items():
        table = target.table(name)
        table.create(columns, pk="case_key" if name == "cases" else None)
        table.insert_all(rows_of[name](keys), batch_size=BATCH)
        if name != "cases":
            table.create_index(["case_key"])
        report.tables[name] = table.count
    aggregates = _aggregates()
    for name, columns in AGGREGATE_COLUMNS.items():
        table = target.table(name)
        table.create({**dict.fromkeys(columns, str), "n": int, "suppressed": int})
        rows = aggregates[name]
        report.suppressed_cells += sum(row["suppressed"] for row in rows)
        table.insert_all(rows, batch_size=BATCH)
        report.tables[name] = table.count
    target.table("about").insert_all(_about(report), pk="key")
    target.conn.close()
    return report


def _case_keys() -> dict[int, int]:
    """Case id → a number from 1, in an order drawn at random for each extract."""
    ids = list(db.session.scalars(select(Case.id)))
    random.SystemRandom().shuffle(ids)
    return {case_id: key for key, case_id in enumerate(ids, start=1)}


def _region_codes() -> dict[int, str]:
    return {
        region_id: code for region_id, code in db.session.execute(select(Region.id, Region.code))
    }


def _stream(statement) -> Iterator[Any]:
    return iter(db.session.execute(statement.execution_options(yield_per=BATCH)))


def _cases(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    first_held = (
        select(Appointment.case_id, Appointment.starts_at)
        .where(Appointment.status == "done")
        .order_by(Appointment.starts_at)
    )
    held: dict[int, datetime] = {}
    for case_id, starts_at in db.session.execute(first_held):
        held.setdefault(case_id, starts_at)
    plans: dict[int, datetime] = {}
    for case_id, finalised_at in db.session.execute(
        select(Plan.case_id, Plan.finalised_at)
        .where(Plan.finalised_at.is_not(None))
        .order_by(Plan.finalised_at)
    ):
        plans.setdefault(case_id, finalised_at)
    region_codes = _region_codes()
    statement = (
        select(Case, Person, Region.code, ServicePoint.kind)
        .join(Person, Person.id == Case.person_id)
        .join(Region, Region.id == Case.region_id)
        .join(ServicePoint, ServicePoint.id == Case.service_point_id)
    )
    for case, person, region_code, point_kind in _stream(statement):
        opened = utc_to_local(case.opened_at).date()
        first = held.get(case.id)
        plan = plans.get(case.id)
        yield {
            "case_key": keys[case.id],
            "region": region_code,
            "service_point_kind": point_kind,
            "origin": case.origin,
            "status": case.status,
            "priority": case.priority,
            "closing_reason": case.closing_reason,
            "opened_month": month(case.opened_at),
            "closed_month": month(case.closed_at),
            "immigration_category": person.immigration_category,
            "age_band_at_opening": age_band(person.date_of_birth, opened),
            "french_level_self": person.french_level_self,
            "interpreter_needed": person.interpreter_needed,
            "arrival_month": month(person.arrival_date),
            "first_appointment_month": month(first),
            "days_arrival_to_first_appointment": (
                (utc_to_local(first).date() - person.arrival_date).days
                if first and person.arrival_date
                else None
            ),
            "plan_finalised_month": month(plan),
            "days_first_appointment_to_plan": (
                (utc_to_local(plan).date() - utc_to_local(first).date()).days
                if plan and first
                else None
            ),
            "destination_region": region_codes.get(person.destination_region_id),
            "french_level_scale_at_intake": person.french_level_scale,
            "education_level": person.education_level,
            "origin_cnp_major_group": cnp_major_group(person.origin_cnp),
            "origin_cnp_version": person.origin_cnp_version if person.origin_cnp else None,
            "employment_status_at_intake": person.employment_status,
            "permit_expiry_month": month(person.permit_expires_on),
            "caq_expiry_month": month(person.caq_expires_on),
        }


def _needs(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    statement = (
        select(
            Assessment.case_id,
            Assessment.number,
            Assessment.status,
            Assessment.completed_at,
            Domain.code,
            Need.code,
            AssessedNeed.level,
        )
        .join(AssessedNeed, AssessedNeed.assessment_id == Assessment.id)
        .join(Need, Need.id == AssessedNeed.need_id)
        .join(Domain, Domain.id == Need.domain_id)
    )
    for case_id, number, status, completed_at, domain, need, level in _stream(statement):
        yield {
            "case_key": keys[case_id],
            "assessment_number": number,
            "assessment_status": status,
            "completed_month": month(completed_at),
            "domain": domain,
            "need": need,
            "level": level,
            "open": level in OPEN_LEVELS,
        }


def _referrals(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    moments: dict[int, dict[str, datetime]] = {}
    for referral_id, to_status, occurred_at in db.session.execute(
        select(ReferralEvent.referral_id, ReferralEvent.to_status, ReferralEvent.occurred_at)
        .where(ReferralEvent.to_status.in_(("submitted", "sent", "accepted", "declined")))
        .order_by(ReferralEvent.occurred_at)
    ):
        moments.setdefault(referral_id, {}).setdefault(to_status, occurred_at)
    statement = select(
        Referral.id,
        Referral.case_id,
        Organisation.code,
        Organisation.name,
        Referral.kind,
        Referral.status,
    ).join(Organisation, Organisation.id == Referral.organisation_id)
    for referral_id, case_id, org_code, org_name, kind, status in _stream(statement):
        seen = moments.get(referral_id, {})
        sent, answered = seen.get("sent"), seen.get("accepted") or seen.get("declined")
        yield {
            "case_key": keys[case_id],
            "organisation_code": org_code,
            "organisation": org_name,
            "kind": kind,
            "status": status,
            "submitted_month": month(seen.get("submitted")),
            "sent_month": month(sent),
            "days_to_answer": round((answered - sent).total_seconds() / 86400, 1)
            if sent and answered
            else None,
        }


def _appointments(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    statement = select(
        Appointment.case_id,
        Appointment.starts_at,
        Appointment.status,
        Appointment.channel,
        Appointment.mode,
        Appointment.interpreter_language.is_not(None),
        Appointment.remote_interpretation,
        AppointmentType.code,
    ).join(AppointmentType, AppointmentType.id == Appointment.type_id)
    for case_id, starts_at, status, channel, mode, interpreted, remote, kind in _stream(statement):
        yield {
            "case_key": keys[case_id],
            "month": month(starts_at),
            "type": kind,
            "status": status,
            "channel": channel,
            "mode": mode,
            "interpreter": bool(interpreted),
            "remote_interpretation": bool(remote),
        }


def _household_members(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    """Members numbered 1, 2… within their case; no name, and the age band at the opening."""
    statement = (
        select(
            HouseholdMember.case_id,
            HouseholdMember.relationship_to_person,
            HouseholdMember.date_of_birth,
            HouseholdMember.immigration_category,
            HouseholdMember.french_level_scale,
            Case.opened_at,
        )
        .join(Case, Case.id == HouseholdMember.case_id)
        .order_by(HouseholdMember.case_id, HouseholdMember.id)
    )
    numbers: Counter[int] = Counter()
    for case_id, relationship, born, category, level, opened_at in _stream(statement):
        numbers[case_id] += 1
        yield {
            "case_key": keys[case_id],
            "member": numbers[case_id],
            "relationship": relationship,
            "age_band_at_opening": age_band(born, utc_to_local(opened_at).date()),
            "immigration_category": category,
            "french_level_scale": level,
        }


def _household_member_needs(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    members = db.session.execute(
        select(HouseholdMember.id, HouseholdMember.case_id).order_by(
            HouseholdMember.case_id, HouseholdMember.id
        )
    ).all()
    numbers: Counter[int] = Counter()
    member_number: dict[int, int] = {}
    for member_id, case_id in members:
        numbers[case_id] += 1
        member_number[member_id] = numbers[case_id]
    statement = (
        select(HouseholdMember.id, HouseholdMember.case_id, Domain.code, Need.code)
        .join(HouseholdMemberNeed, HouseholdMemberNeed.member_id == HouseholdMember.id)
        .join(Need, Need.id == HouseholdMemberNeed.need_id)
        .join(Domain, Domain.id == Need.domain_id)
    )
    for member_id, case_id, domain, need in _stream(statement):
        yield {
            "case_key": keys[case_id],
            "member": member_number[member_id],
            "domain": domain,
            "need": need,
        }


def _situations(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    """The outcome history, one row per situation item: coded values only. Left out: the
    municipality (the region and whether it lies in the CMM stay), where French is taught,
    notes, the agent and exact dates."""
    region_codes = _region_codes()
    statement = select(
        FollowUpSituation,
        FollowUp.months_since_arrival,
        FollowUp.mode,
        FollowUp.interpretation_pilot,
    ).join(FollowUp, FollowUp.id == FollowUpSituation.follow_up_id)
    for item, months_since, mode, pilot in _stream(statement):
        yield {
            "case_key": keys[item.case_id],
            "observed_month": month(item.observed_on),
            "milestone": item.milestone,
            "months_since_arrival": months_since,
            "mode": mode,
            "interpretation_pilot": bool(pilot),
            "domain": item.domain,
            "housing_status": item.housing_status,
            "french_enrolled": item.french_enrolled,
            "french_level": item.french_level,
            "french_format": item.french_format,
            "employment_status": item.employment_status,
            "employment_cnp_major_group": cnp_major_group(item.employment_cnp),
            "employment_cnp_version": item.employment_cnp_version if item.employment_cnp else None,
            "residence_region": region_codes.get(item.region_id),
            "in_montreal_cmm": item.in_montreal_cmm,
            "children_status": item.children_status,
            "integration_status": item.integration_status,
            "integration_attested_month": month(item.integration_attested_on),
            "permanent_resident": item.permanent_resident,
            "permanent_residence_month": month(item.permanent_residence_on),
        }


def _objective_reviews(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    """The verdicts only: the objective's wording and the comment are free text."""
    statement = select(
        ObjectiveReview.case_id, FollowUp.held_on, FollowUp.milestone, ObjectiveReview.verdict
    ).join(FollowUp, FollowUp.id == ObjectiveReview.follow_up_id)
    for case_id, held_on, milestone, verdict in _stream(statement):
        yield {
            "case_key": keys[case_id],
            "follow_up_month": month(held_on),
            "milestone": milestone,
            "verdict": verdict,
        }


def _referral_outcomes(keys: dict[int, int]) -> Iterator[dict[str, Any]]:
    """Every outcome row (the history: the latest of a referral and outcome stands)."""
    statement = (
        select(ReferralOutcome, Organisation.code, Referral.kind)
        .join(Referral, Referral.id == ReferralOutcome.referral_id)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .order_by(ReferralOutcome.id)
    )
    for outcome, org_code, referral_kind in _stream(statement):
        yield {
            "case_key": keys[outcome.case_id],
            "organisation_code": org_code,
            "referral_kind": referral_kind,
            "outcome": outcome.kind,
            "happened": outcome.happened,
            "occurred_month": month(outcome.occurred_on),
            "course_format": outcome.course_format,
            "cnp_major_group": cnp_major_group(outcome.cnp),
            "cnp_version": outcome.cnp_version if outcome.cnp else None,
            "source": outcome.source,
            "verdict": outcome.verdict,
        }


def quarters() -> list[tuple[str, date, date]]:
    """Calendar quarters from the one of the first case opened to the current one (none
    without a case): the indicators' periods. Quarters never overlap, so no blank can be
    worked back by subtracting one period from a longer one."""
    first = db.session.scalar(select(func.min(Case.opened_at)))
    if first is None:
        return []
    day = utc_to_local(first).date().replace(day=1)
    day = day.replace(month=(day.month - 1) // 3 * 3 + 1)
    today = local_today()
    periods = []
    while day <= today:
        after = date(day.year + (day.month > 9), (day.month + 2) % 12 + 1, 1)
        periods.append((quarter(day), day, date.fromordinal(after.toordinal() - 1)))
        day = after
    return periods


# Cases opened are in cases_opened_by_region_month_category already: their quarter's total
# would let a blanked month be worked back by subtraction.
LEFT_OUT_INDICATORS = frozenset({"opened"})


def _indicator_counts() -> Counter[tuple]:
    """The indicators page's figures for each quarter, by region of the case, counted as the
    page counts them (``reports.indicators``: each indicator's case set, one GROUP BY region
    query); an indicator declared before its data exists (none is today) gives no row."""
    codes = _region_codes()
    counts: Counter[tuple] = Counter()
    for label, start, end in quarters():
        for indicator in indicators.INDICATORS:
            if indicator.case_ids is None or indicator.key in LEFT_OUT_INDICATORS:
                continue
            statement = indicator.case_ids(start, end)
            if statement is None:
                continue
            for region_id, n in indicators.count_by_region(statement, None).items():
                counts[(label, codes[region_id], indicator.measure, indicator.key)] = n
    return counts


def indicator_tables() -> dict[str, list[dict[str, Any]]]:
    """The extract's de-identified aggregate tables, small cells blanked (the API serves them)."""
    return _aggregates()


def _aggregates() -> dict[str, list[dict[str, Any]]]:
    """Counts by group, each under SMALL_CELL blanked (``n`` NULL, ``suppressed`` 1)."""
    opened: Counter[tuple] = Counter()
    ages: Counter[tuple] = Counter()
    for opened_at, region, category, born in db.session.execute(
        select(Case.opened_at, Region.code, Person.immigration_category, Person.date_of_birth)
        .join(Person, Person.id == Case.person_id)
        .join(Region, Region.id == Case.region_id)
        .execution_options(yield_per=BATCH)
    ):
        opened[(region, month(opened_at), category)] += 1
        ages[(region, age_band(born, utc_to_local(opened_at).date()))] += 1
    latest = latest_assessments()
    needs = Counter(
        {
            (region, domain): n
            for region, domain, n in db.session.execute(
                select(Region.code, Domain.code, func.count(distinct(Case.id)))
                .join(Region, Region.id == Case.region_id)
                .join(latest, latest.c.case_id == Case.id)
                .join(
                    Assessment,
                    (Assessment.case_id == Case.id) & (Assessment.number == latest.c.number),
                )
                .join(AssessedNeed, AssessedNeed.assessment_id == Assessment.id)
                .join(Need, Need.id == AssessedNeed.need_id)
                .join(Domain, Domain.id == Need.domain_id)
                .where(Case.status != "closed", AssessedNeed.level.in_(OPEN_LEVELS))
                .group_by(Region.code, Domain.code)
            )
        }
    )
    funnel = Counter(
        {
            (org, stage): n
            for org, stage, n in db.session.execute(
                select(
                    Organisation.code,
                    ReferralEvent.to_status,
                    func.count(distinct(ReferralEvent.referral_id)),
                )
                .join(Referral, Referral.id == ReferralEvent.referral_id)
                .join(Organisation, Organisation.id == Referral.organisation_id)
                .where(ReferralEvent.to_status.in_(FUNNEL_STAGES))
                .group_by(Organisation.code, ReferralEvent.to_status)
            )
        }
    )
    counts = {
        "cases_opened_by_region_month_category": opened,
        "cases_by_region_age_band": ages,
        "open_needs_by_region_domain": needs,
        "referral_funnel_by_organisation": funnel,
        "indicators_by_region_quarter": _indicator_counts(),
    }
    return {name: _rows(counts[name], AGGREGATE_COLUMNS[name]) for name in AGGREGATE_COLUMNS}


def _rows(counts: Counter, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            **dict(zip(columns, group, strict=True)),
            "n": suppressed(n),
            "suppressed": int(n < SMALL_CELL),
        }
        for group, n in sorted(counts.items(), key=lambda item: tuple(str(v) for v in item[0]))
    ]


def _about(report: ExtractReport) -> list[dict[str, str]]:
    return [
        {"key": "generated_month", "value": month(utcnow()) or ""},
        {"key": "small_cell_threshold", "value": str(SMALL_CELL)},
        {"key": "suppressed_cells", "value": str(report.suppressed_cells)},
        {
            "key": "note",
            "value": "De-identified extract: no names, contacts or exact dates; ages in bands; "
            "dates to the month; case_key is renumbered at random for each extract; counts "
            f"under {SMALL_CELL} are NULL in the aggregate tables. See docs/analytics.md.",
        },
    ]
