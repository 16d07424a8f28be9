"""Household members as people: their own category, French level and needs; and who in the
household must obtain the attestation of democratic and Québec values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.cases import choices
from casework.cases.models import Case, HouseholdMember, HouseholdMemberNeed
from casework.cases.validation import NAME_MAX, CaseError, visible
from casework.core import audit
from casework.core.domain import Checks, StaleEdit
from casework.core.time import is_plausible, local_today
from casework.extensions import db
from casework.reference.models import Domain, Need

# Plan, l. 898–902: « la personne requérante principale, la conjointe ou le conjoint (16 ans et
# plus) et les enfants à charge de 18 ans et plus » must obtain the attestation; dependent
# children under 18 are exempt.
ATTESTATION_MIN_AGE = {"spouse": 16, "child": 18}


def needs_catalogue() -> list[Domain]:
    """The needs catalogue (the assessment's), by domain, for a member's needs."""
    return list(
        db.session.scalars(
            select(Domain).options(selectinload(Domain.needs)).order_by(Domain.position)
        )
    )


@dataclass(frozen=True)
class AttestationDue:
    member: HouseholdMember
    age: int


def values_attestation_members(case: Case, today: date | None = None) -> list[AttestationDue]:
    """The household members who must obtain the values attestation with the person: a spouse
    16 and over and children 18 and over (plan, l. 898–902) whose own category — else the
    person's — is one whose permanent selection requires it (economic programs, l. 891–896).
    A member whose age is unknown is not listed (the agent checks)."""
    today = today or local_today()
    principal = case.person.immigration_category
    due = []
    for member in case.household:
        minimum = ATTESTATION_MIN_AGE.get(member.relationship_to_person)
        age = member.age_on(today)
        if minimum is None or age is None or age < minimum:
            continue
        if member.category_or(principal) in choices.VALUES_ATTESTATION_CATEGORIES:
            due.append(AttestationDue(member, age))
    return due


def add_household_member(
    actor: Any,
    case: Case,
    relationship: str,
    given_names: str,
    family_name: str | None,
    born: date | None,
    immigration_category: str | None = None,
    french_level_scale: int | None = None,
    need_ids: list[int] | None = None,
) -> HouseholdMember:
    member = HouseholdMember()
    _apply_member(
        member,
        relationship,
        given_names,
        family_name,
        born,
        immigration_category,
        french_level_scale,
        need_ids or [],
    )
    member.case = case  # only once checked: a refused member never joins the household
    db.session.add(member)
    db.session.flush()
    audit.record(actor, "household.added", case, member_id=member.id)
    return member


def update_household_member(
    actor: Any,
    case: Case,
    member_id: int,
    relationship: str,
    given_names: str,
    family_name: str | None,
    born: date | None,
    immigration_category: str | None = None,
    french_level_scale: int | None = None,
    need_ids: list[int] | None = None,
    expected_version: int | None = None,
) -> HouseholdMember:
    member = db.session.get(HouseholdMember, member_id)
    if member is None or member.case_id != case.id:
        raise CaseError(_l("This household member is not on this case."))
    if expected_version is not None and member.version != expected_version:
        raise StaleEdit()
    changed = _apply_member(
        member,
        relationship,
        given_names,
        family_name,
        born,
        immigration_category,
        french_level_scale,
        need_ids or [],
    )
    if changed:
        db.session.flush()
        audit.record(actor, "household.updated", case, member_id=member.id, fields=changed)
    return member


def _apply_member(
    member: HouseholdMember,
    relationship: str,
    given_names: str,
    family_name: str | None,
    born: date | None,
    immigration_category: str | None,
    french_level_scale: int | None,
    need_ids: list[int],
) -> list[str]:
    """Check a member's values (every error in one round) and set them; the fields changed."""
    checks = Checks(CaseError)
    require = checks.require
    invalid = _l("Choose one of the options in the list.")
    require(relationship in choices.RELATIONSHIPS, _l("Not a valid choice."), "relationship")
    given_names = visible(given_names)
    family_name = visible(family_name) or None
    require(bool(given_names), _l("This field is required."), "given_names")
    for name, value in (("given_names", given_names), ("family_name", family_name)):
        require(
            value is None or len(value) <= NAME_MAX,
            _l("At most %(max)d characters.", max=NAME_MAX),
            name,
        )
    require(
        is_plausible(born, local_today()),
        _l("The date of birth cannot be in the future."),
        "date_of_birth",
    )
    require(
        immigration_category is None or immigration_category in choices.IMMIGRATION_CATEGORIES,
        invalid,
        "immigration_category",
    )
    require(
        french_level_scale is None or 1 <= french_level_scale <= 12,
        _l("The Québec scale goes from 1 to 12."),
        "french_level_scale",
    )
    wanted = list(dict.fromkeys(need_ids))
    known = set(db.session.scalars(select(Need.id).where(Need.id.in_(wanted)))) if wanted else set()
    require(set(wanted) <= known, invalid, "needs")
    checks.done()
    values = {
        "relationship_to_person": relationship,
        "given_names": given_names,
        "family_name": family_name,
        "date_of_birth": born,
        "immigration_category": immigration_category,
        "french_level_scale": french_level_scale,
    }
    changed = [name for name, value in values.items() if getattr(member, name) != value]
    for name in changed:
        setattr(member, name, values[name])
    current = {row.need_id for row in member.needs}
    if current != set(wanted):
        member.needs = [row for row in member.needs if row.need_id in wanted] + [
            HouseholdMemberNeed(need_id=need_id) for need_id in wanted if need_id not in current
        ]
        changed.append("needs")
    return changed


def remove_household_member(actor: Any, case: Case, member_id: int) -> None:
    member = db.session.get(HouseholdMember, member_id)
    if member is None or member.case_id != case.id:
        raise CaseError(_l("This household member is not on this case."))
    db.session.delete(member)
    audit.record(actor, "household.removed", case, member_id=member_id)
