"""The de-identified analytics extract: a standalone SQLite database, built with sqlite-utils,
for analysts (Datasette, pandas, a spreadsheet) who must never see who the people are.

What is left out or coarsened, and why, is in docs/analytics.md. In short: no names, contacts,
addresses, notes, free text or exact dates; ages in bands; dates to the month; case keys that
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
from casework.cases.models import Case, Person
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.plans.models import Plan
from casework.reference.models import Domain, Need, Organisation, Region, ServicePoint
from casework.referrals.models import Referral, ReferralEvent
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
}
AGGREGATE_COLUMNS = {
    "cases_opened_by_region_month_category": ("region", "opened_month", "immigration_category"),
    "cases_by_region_age_band": ("region", "age_band_at_opening"),
    "open_needs_by_region_domain": ("region", "domain"),
    "referral_funnel_by_organisation": ("organisation_code", "stage"),
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
