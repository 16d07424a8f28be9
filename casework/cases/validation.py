"""The invariants of a person record, checked all at once: the operations refuse what breaks
them, and the person forms show every broken one in the same round."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from casework.cases import choices
from casework.core import formats
from casework.core.domain import Checks, DomainError
from casework.core.time import is_plausible, local_today
from casework.extensions import db
from casework.reference import occupations
from casework.reference.models import Region

NAME_MAX = 200


class CaseError(DomainError):
    """A rule about persons or cases was broken."""


@dataclass
class PersonFields:
    given_names: str
    family_name: str
    immigration_category: str
    preferred_name: str | None = None
    date_of_birth: date | None = None
    gender: str | None = None
    country_of_birth: str | None = None
    citizenships: list[str] = field(default_factory=list)
    languages_spoken: list[str] = field(default_factory=list)
    preferred_language: str | None = None
    french_level_self: str | None = None
    french_level_scale: int | None = None
    arrival_date: date | None = None
    permanent_residence_date: date | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    destination_region_id: int | None = None
    destination_city: str | None = None
    interpreter_needed: bool = False
    interpreter_language: str | None = None
    mifi_client_number: str | None = None
    education_level: str | None = None
    field_of_study: str | None = None
    origin_cnp: str | None = None
    origin_cnp_version: str | None = None
    employment_status: str | None = None
    permit_expires_on: date | None = None
    caq_expires_on: date | None = None


# The MIFI client number's form is not published in the plan: letters, digits and hyphens,
# up to 20 (an illustrative rule, to set to the Ministère's format).
CLIENT_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")


def visible(text: str | None) -> str:
    """Without invisible format characters (zero-width spaces…) and surrounding spaces."""
    return "".join(ch for ch in (text or "") if unicodedata.category(ch) != "Cf").strip()


def validate_person(values: PersonFields, today: date | None = None) -> None:
    """The invariants of a person record, whatever the entry point; every broken one is
    reported at once (one CaseError carrying them all)."""
    today = today or local_today()
    checks = Checks(CaseError)
    check = checks.require
    for name in ("given_names", "family_name"):
        value = visible(getattr(values, name))
        check(bool(value), _l("This field is required."), name)
        check(len(value) <= NAME_MAX, _l("At most %(max)d characters.", max=NAME_MAX), name)
        setattr(values, name, value)
    check(
        values.immigration_category in choices.IMMIGRATION_CATEGORIES,
        _l("Choose an immigration category."),
        "immigration_category",
    )
    _check_dates(checks, values, today)
    scale = values.french_level_scale
    check(
        scale is None or 1 <= scale <= 12,
        _l("The Québec scale goes from 1 to 12."),
        "french_level_scale",
    )
    _check_codes(checks, values)
    _check_intake(checks, values)
    _check_formats(checks, values)
    check(
        not values.interpreter_needed or values.interpreter_language,
        _l("Say in which language the interpreter is needed."),
        "interpreter_language",
    )
    checks.done()


def _check_dates(checks: Checks, values: PersonFields, today: date) -> None:
    born = values.date_of_birth
    checks.require(
        born is None or born <= today,
        _l("The date of birth cannot be in the future."),
        "date_of_birth",
    )
    checks.require(
        born is None or born.year >= today.year - 120,
        _l("Check the date of birth: at most 120 years ago."),
        "date_of_birth",
    )
    for name, label in (
        ("arrival_date", _l("arrival")),
        ("permanent_residence_date", _l("permanent residence")),
    ):
        moment = getattr(values, name)
        if moment is None:
            continue
        checks.require(
            born is None or moment >= born,
            _l("The date of %(event)s cannot be before the date of birth.", event=label),
            name,
        )
        checks.require(
            is_plausible(moment) and moment.year <= today.year + 1,
            _l("Check this date: it must be after 1900 and at most next year."),
            name,
        )


def _check_codes(checks: Checks, values: PersonFields) -> None:
    """Codes from closed lists: a value outside them is refused, never stored as nothing."""
    invalid = _l("Choose one of the options in the list.")
    check = checks.require
    check(values.gender is None or values.gender in choices.GENDERS, invalid, "gender")
    check(
        values.french_level_self is None or values.french_level_self in choices.FRENCH_LEVELS,
        invalid,
        "french_level_self",
    )
    check(
        values.country_of_birth is None or choices.is_country(values.country_of_birth),
        invalid,
        "country_of_birth",
    )
    check(all(choices.is_country(c) for c in values.citizenships), invalid, "citizenships")
    check(all(choices.is_language(c) for c in values.languages_spoken), invalid, "languages_spoken")
    for name in ("preferred_language", "interpreter_language"):
        code = getattr(values, name)
        check(code is None or choices.is_language(code), invalid, name)
    check(
        values.destination_region_id is None
        or db.session.get(Region, values.destination_region_id) is not None,
        invalid,
        "destination_region_id",
    )
    values.citizenships = list(dict.fromkeys(values.citizenships))
    values.languages_spoken = list(dict.fromkeys(values.languages_spoken))
    check(len(values.citizenships) <= 10, _l("At most %(max)d choices.", max=10), "citizenships")
    check(
        len(values.languages_spoken) <= 20,
        _l("At most %(max)d choices.", max=20),
        "languages_spoken",
    )


def _check_intake(checks: Checks, values: PersonFields) -> None:
    """The intake's follow-up fields: client number, schooling, profession of origin (a code
    of the stored occupations in its version), situation, and permit and CAQ expiry dates."""
    invalid = _l("Choose one of the options in the list.")
    check = checks.require
    number = visible(values.mifi_client_number).upper().replace(" ", "") or None
    values.mifi_client_number = number
    check(
        number is None or CLIENT_NUMBER.fullmatch(number),
        _l("A MIFI client number has letters, digits and hyphens only (at most 20)."),
        "mifi_client_number",
    )
    check(
        values.education_level is None or values.education_level in choices.EDUCATION_LEVELS,
        invalid,
        "education_level",
    )
    values.field_of_study = visible(values.field_of_study) or None
    check(
        values.field_of_study is None or len(values.field_of_study) <= 200,
        _l("At most %(max)d characters.", max=200),
        "field_of_study",
    )
    check(
        values.employment_status is None or values.employment_status in choices.EMPLOYMENT_STATUSES,
        invalid,
        "employment_status",
    )
    _check_origin_cnp(checks, values)
    if values.immigration_category not in choices.TEMPORARY_CATEGORIES:
        # A permanent category has no permit to expire: what a hidden field kept is dropped.
        values.permit_expires_on = values.caq_expires_on = None
    for name in ("permit_expires_on", "caq_expires_on"):
        moment = getattr(values, name)
        if moment is None:
            continue
        check(
            values.arrival_date is None or moment >= values.arrival_date,
            _l("The expiry date cannot be before the arrival date."),
            name,
        )
        check(
            is_plausible(moment) and moment.year <= local_today().year + 10,
            _l("Check this date: it must be after 1900 and within ten years."),
            name,
        )


def _check_origin_cnp(checks: Checks, values: PersonFields) -> None:
    code = visible(values.origin_cnp) or None
    values.origin_cnp = code
    if code is None:
        values.origin_cnp_version = None
        return
    occupations.check_cnp(checks, code, values.origin_cnp_version, "origin_cnp")


def _check_formats(checks: Checks, values: PersonFields) -> None:
    """Phone, postal code and e-mail in the form they are stored in; one line per text."""
    for name, normal in (
        ("phone", formats.normal_phone),
        ("postal_code", formats.normal_postal_code),
        ("email", formats.normal_email),
    ):
        value = getattr(values, name)
        if value:
            try:
                setattr(values, name, normal(value))
            except ValueError as error:
                checks.require(False, str(error), name)
    for name in (
        "given_names",
        "family_name",
        "preferred_name",
        "address",
        "city",
        "destination_city",
        "field_of_study",
    ):
        checks.require(
            formats.is_single_line(getattr(values, name)), formats.SINGLE_LINE_MESSAGE, name
        )


FOLLOW_UP_HORIZON = timedelta(days=730)


def validate_case_status(
    status: str,
    priority: str,
    follow_up: date | None,
    closing_reason: str | None,
    closing_summary: str | None,
) -> None:
    """A case's status, priority and follow-up; closing needs its reason and summary."""
    checks = Checks(CaseError)
    invalid = _l("Choose one of the options in the list.")
    checks.require(status in choices.STATUSES, invalid, "status")
    checks.require(priority in choices.PRIORITIES, invalid, "priority")
    checks.require(
        is_plausible(follow_up, local_today() + FOLLOW_UP_HORIZON),
        _l("Choose a follow-up date within the next two years."),
        "next_follow_up_on",
    )
    if status == "closed":
        checks.require(
            closing_reason in choices.CLOSING_REASONS,
            _l("Give the reason for closing."),
            "closing_reason",
        )
        checks.require(
            bool(closing_summary and closing_summary.strip()),
            _l("Write a closing summary."),
            "closing_summary",
        )
    checks.done()
