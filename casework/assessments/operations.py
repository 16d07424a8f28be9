"""Service layer for needs assessments: drafts, completion, re-assessment, comparison."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from casework.assessments.events import AssessmentChanged
from casework.assessments.models import LEVELS, OPEN_LEVELS, AssessedNeed, Assessment, DomainAssets
from casework.cases import choices
from casework.cases.models import Case
from casework.cases.retention import run
from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.events import emit
from casework.core.time import is_plausible, local_today, utcnow
from casework.extensions import db
from casework.reference.lookup import in_demand_occupations
from casework.reference.models import Domain, Need, Occupation


class AssessmentError(DomainError):
    """A rule about needs assessments was broken."""


ASSETS_MAX = 5_000
NOTES_MAX = 2_000

# The interview and employment fields of a version, with the labels the comparison shows.
INTERVIEW_FIELDS = {
    "interview_date": _l("Interview date"),
    "interview_mode": _l("Interview mode"),
    "interpreter_language": _l("Interpreter language"),
    "interpreter_remote": _l("Remote interpretation"),
    "interpretation_pilot": _l("Made under the remote-interpretation pilot"),
    "requalification_interest": _l("Interested in requalification for an in-demand occupation"),
    "current_occupation": _l("Current or last occupation"),
    "current_cnp": _l("CNP code of the current occupation"),
    "target_cnp": _l("Target occupation (CNP)"),
}


@dataclass
class AssessmentValues:
    interview_date: date | None = None
    interview_mode: str | None = None
    interpreter_language: str | None = None
    interpreter_remote: bool = False
    interpretation_pilot: bool = False
    requalification_interest: bool = False
    current_occupation: str | None = None
    current_cnp: str | None = None
    target_cnp: str | None = None
    levels: dict[int, str] = field(default_factory=dict)  # need id → level
    notes: dict[int, str | None] = field(default_factory=dict)  # need id → notes
    assets: dict[int, str | None] = field(default_factory=dict)  # domain id → assets


def catalogue() -> list[Domain]:
    return list(
        db.session.scalars(
            select(Domain).options(selectinload(Domain.needs)).order_by(Domain.position)
        )
    )


def assessments_of(case: Case) -> list[Assessment]:
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.number.desc())
        )
    )


def latest(case: Case) -> Assessment | None:
    return db.session.scalar(
        select(Assessment)
        .options(selectinload(Assessment.needs), selectinload(Assessment.domain_notes))
        .where(Assessment.case_id == case.id)
        .order_by(Assessment.number.desc())
        .limit(1)
    )


def has_open_needs_in(domain_code: str):
    """SQL condition on ``Case``: its latest assessment has an open need in ``domain_code``."""
    newest = aliased(Assessment)
    latest_number = (
        select(func.max(newest.number))
        .where(newest.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    return exists(
        select(AssessedNeed.id)
        .join(Assessment, Assessment.id == AssessedNeed.assessment_id)
        .join(Need, Need.id == AssessedNeed.need_id)
        .join(Domain, Domain.id == Need.domain_id)
        .where(
            Assessment.case_id == Case.id,
            Assessment.number == latest_number,
            Domain.code == domain_code,
            AssessedNeed.level.in_(OPEN_LEVELS),
        )
    )


def start(actor: Any, case: Case) -> Assessment:
    """The draft to work on: the open draft if there is one, else a new version that starts from
    the last completed one (a re-assessment), else a first assessment with every need at none."""
    current = latest(case)
    if current is not None and current.is_draft:
        return current
    number = (current.number + 1) if current else 1
    assessment = Assessment(case_id=case.id, number=number, status="draft", created_by_id=actor.id)
    if current is not None:
        # A re-assessment is a new interview: everything carries over but its date.
        for name in INTERVIEW_FIELDS:
            if name != "interview_date":
                setattr(assessment, name, getattr(current, name))
        assessment.needs = [
            AssessedNeed(need_id=n.need_id, level=n.level, notes=n.notes) for n in current.needs
        ]
        assessment.domain_notes = [
            DomainAssets(domain_id=d.domain_id, assets=d.assets) for d in current.domain_notes
        ]
    try:
        with db.session.begin_nested():
            db.session.add(assessment)
    except IntegrityError:
        # Another tab started this version a moment ago: work on that draft.
        return latest(case)
    emit(AssessmentChanged(case_id=case.id, assessment_id=assessment.id))
    audit.record(actor, "assessment.started", case, assessment_id=assessment.id, number=number)
    return assessment


def _validate(
    values: AssessmentValues, complete: bool, need_ids: set[int], domain_ids: set[int]
) -> None:
    def require(condition: bool, message: Any, field_name: str) -> None:
        if not condition:
            raise AssessmentError(message, field_name)

    require(
        is_plausible(values.interview_date, local_today()),
        _l("The interview date cannot be in the future."),
        "interview_date",
    )
    require(
        values.interview_mode is None or values.interview_mode in choices.MODES,
        _l("Not a valid choice."),
        "interview_mode",
    )
    require(
        values.interpreter_language is None or choices.is_language(values.interpreter_language),
        _l("Not a valid choice."),
        "interpreter_language",
    )
    for name in ("current_cnp", "target_cnp"):
        code = getattr(values, name)
        require(
            code is None or re.fullmatch(r"[0-9]{4,5}", code) is not None,
            _l("A CNP code has 4 or 5 digits."),
            name,
        )
    require(
        values.current_occupation is None or len(values.current_occupation) <= 200,
        _l("At most %(max)d characters.", max=200),
        "current_occupation",
    )
    require(
        set(values.levels) <= need_ids and set(values.notes) <= need_ids,
        _l("Unknown need."),
        "levels",
    )
    require(set(values.assets) <= domain_ids, _l("Unknown domain."), "assets")
    for need_id, level in values.levels.items():
        require(level in LEVELS, _l("Not a valid choice."), f"level_{need_id}")
    for need_id, note in values.notes.items():
        require(
            note is None or len(note) <= NOTES_MAX,
            _l("At most %(max)d characters.", max=NOTES_MAX),
            f"notes_{need_id}",
        )
    for domain_id, text in values.assets.items():
        require(
            text is None or len(text) <= ASSETS_MAX,
            _l("At most %(max)d characters.", max=ASSETS_MAX),
            f"assets_{domain_id}",
        )
    if complete:
        _require_ready(values.interview_date, values.interview_mode)


def _require_ready(interview_date: date | None, interview_mode: str | None) -> None:
    """What completing needs beyond a valid draft: when and how the interview took place."""
    if interview_date is None:
        raise AssessmentError(
            _l("Give the interview date to complete the assessment."), "interview_date"
        )
    if interview_mode is None:
        raise AssessmentError(
            _l("Give the interview mode to complete the assessment."), "interview_mode"
        )


def check_ready(assessment: Assessment) -> None:
    """Refuse (AssessmentError on the field) a draft that cannot be completed as it stands."""
    _require_ready(assessment.interview_date, assessment.interview_mode)


def complete(actor: Any, assessment: Assessment, expected_version: int) -> None:
    """Complete the draft as saved, after the agent confirmed the summary of what it records."""
    if not assessment.is_draft:
        raise AssessmentError(
            _l("A completed assessment cannot be changed; start a re-assessment.")
        )
    if assessment.version != expected_version:
        raise StaleEdit()
    check_ready(assessment)
    _mark_completed(actor, assessment)


def _mark_completed(actor: Any, assessment: Assessment) -> None:
    assessment.status = "completed"
    assessment.completed_at = utcnow()
    assessment.completed_by_id = actor.id
    case = db.session.get(Case, assessment.case_id)
    if case.status == "new":
        case.status = "active"
    db.session.flush()
    emit(AssessmentChanged(case_id=case.id, assessment_id=assessment.id))
    audit.record(
        actor, "assessment.completed", case, assessment_id=assessment.id, number=assessment.number
    )


def save(
    actor: Any,
    assessment: Assessment,
    values: AssessmentValues,
    expected_version: int,
    complete: bool = False,
) -> None:
    """Save a draft (and complete it when asked). Completed versions never change."""
    if not assessment.is_draft:
        raise AssessmentError(
            _l("A completed assessment cannot be changed; start a re-assessment.")
        )
    if assessment.version != expected_version:
        raise StaleEdit()
    need_ids = set(db.session.scalars(select(Need.id)))
    domain_ids = set(db.session.scalars(select(Domain.id)))
    _validate(values, complete, need_ids, domain_ids)
    case = db.session.get(Case, assessment.case_id)
    if values.interpretation_pilot and not case.region.interpretation_pilot:
        raise AssessmentError(
            _l("The remote-interpretation pilot runs in other regions than this case's."),
            "interpretation_pilot",
        )
    for name in INTERVIEW_FIELDS:
        setattr(assessment, name, getattr(values, name))
    by_need = {n.need_id: n for n in assessment.needs}
    for need_id in values.levels.keys() | values.notes.keys():
        row = by_need.get(need_id) or AssessedNeed(need_id=need_id)
        if row.id is None and need_id not in by_need:
            assessment.needs.append(row)
        row.level = values.levels.get(need_id, row.level or "none")
        if need_id in values.notes:
            row.notes = (values.notes[need_id] or "").strip() or None
    by_domain = {d.domain_id: d for d in assessment.domain_notes}
    for domain_id, text in values.assets.items():
        row = by_domain.get(domain_id)
        if row is None:
            row = DomainAssets(domain_id=domain_id)
            assessment.domain_notes.append(row)
        row.assets = (text or "").strip() or None
    # Bump the version even when only child rows changed, so a second tab sees a conflict.
    assessment.updated_at = utcnow()
    db.session.flush()
    if complete:
        _mark_completed(actor, assessment)
        return
    emit(AssessmentChanged(case_id=case.id, assessment_id=assessment.id))
    audit.record(
        actor, "assessment.saved", case, assessment_id=assessment.id, number=assessment.number
    )


@dataclass(frozen=True)
class DomainSummary:
    domain: Domain
    open_needs: int
    highest: str | None  # the most severe level among open needs


def at_a_glance(assessment: Assessment | None, domains: list[Domain]) -> list[DomainSummary]:
    """Open needs per domain and the most severe level, for the case page."""
    by_need = {n.need_id: n.level for n in (assessment.needs if assessment else [])}
    summaries = []
    for domain in domains:
        levels = [by_need.get(need.id, "none") for need in domain.needs]
        open_levels = [level for level in levels if level in OPEN_LEVELS]
        highest = max(open_levels, key=LEVELS.index) if open_levels else None
        summaries.append(DomainSummary(domain, len(open_levels), highest))
    return summaries


@dataclass(frozen=True)
class OpenNeed:
    domain: Domain
    need: Need
    level: str
    notes: str | None


def open_needs(assessment: Assessment, domains: list[Domain]) -> list[OpenNeed]:
    """The open needs of a version, the most severe first (the completion summary)."""
    by_need = {n.need_id: n for n in assessment.needs}
    found = [
        OpenNeed(domain, need, row.level, row.notes)
        for domain in domains
        for need in domain.needs
        if (row := by_need.get(need.id)) is not None and row.level in OPEN_LEVELS
    ]
    return sorted(found, key=lambda item: -LEVELS.index(item.level))


@dataclass(frozen=True)
class Difference:
    label: str
    before: str
    after: str


def compare(
    older: Assessment, newer: Assessment, domains: list[Domain]
) -> dict[str, list[Difference]]:
    """What changed between two versions, per domain code, and « interview » for the rest."""
    changes: dict[str, list[Difference]] = {}
    interview = [
        Difference(str(label), _shown(getattr(older, name)), _shown(getattr(newer, name)))
        for name, label in INTERVIEW_FIELDS.items()
        if getattr(older, name) != getattr(newer, name)
    ]
    if interview:
        changes["interview"] = interview
    old_needs = {n.need_id: n for n in older.needs}
    new_needs = {n.need_id: n for n in newer.needs}
    old_assets = {d.domain_id: d.assets or "" for d in older.domain_notes}
    new_assets = {d.domain_id: d.assets or "" for d in newer.domain_notes}
    for domain in domains:
        rows = []
        for need in domain.needs:
            before, after = old_needs.get(need.id), new_needs.get(need.id)
            pair = ((before.level if before else "none"), (after.level if after else "none"))
            notes = ((before.notes or "") if before else "", (after.notes or "") if after else "")
            if pair[0] != pair[1] or notes[0] != notes[1]:
                rows.append(
                    Difference(
                        need.label, _describe(*pair[:1], notes[0]), _describe(pair[1], notes[1])
                    )
                )
        if old_assets.get(domain.id, "") != new_assets.get(domain.id, ""):
            rows.append(
                Difference(
                    str(_l("Assets")), old_assets.get(domain.id, ""), new_assets.get(domain.id, "")
                )
            )
        if rows:
            changes[domain.code] = rows
    return changes


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(_l("Yes")) if value else str(_l("No"))
    return "" if value is None else str(value)


def _describe(level: str, notes: str) -> str:
    label = str(LEVEL_LABELS.get(level, level))
    return f"{label} — {notes}" if notes else label


LEVEL_LABELS = {
    "none": _l("No need"),
    "low": _l("Low"),
    "moderate": _l("Moderate"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}


def compared(actor: Any, case: Case, older: Assessment, newer: Assessment) -> None:
    """Audit that ``actor`` read two versions side by side."""
    audit.record(actor, "assessment.compared", case, versions=[older.number, newer.number])


def occupations() -> list[Occupation]:
    return in_demand_occupations()


def anonymise_cases(case_ids: tuple[int, ...]) -> None:
    """Retention: the notes and the occupation written in these cases' assessments go; the
    levels of need stay (statistics)."""
    assessments = select(Assessment.id).where(Assessment.case_id.in_(case_ids))
    run(update(Assessment).where(Assessment.id.in_(assessments)).values(current_occupation=None))
    run(update(AssessedNeed).where(AssessedNeed.assessment_id.in_(assessments)).values(notes=None))
    run(update(DomainAssets).where(DomainAssets.assessment_id.in_(assessments)).values(assets=None))
