"""Formats people type: phone numbers, Canadian postal codes, single-line text.

Each ``normal_*`` function returns the value as it is stored, or raises ``ValueError`` with a
message saying what is expected; the forms' validators (core/forms.py) and the operations use
the same functions, so a value is checked the same way whatever the entry point."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PHONE_MESSAGE = _l("Enter a phone number with its area code, for example 514 555-0123.")
POSTAL_CODE_MESSAGE = _l("Enter a Canadian postal code, for example H2X 1Y4.")
EMAIL_MESSAGE = _l("Enter an e-mail address, for example nom@exemple.ca.")
SINGLE_LINE_MESSAGE = _l("Enter this on a single line.")

# Letters D, F, I, O, Q, U never appear in a postal code; W and Z are not first letters.
POSTAL_CODE = re.compile(
    r"([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z]) ?([0-9][ABCEGHJ-NPRSTV-Z][0-9])"
)
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]")


def normal_phone(text: str) -> str:
    """E.164 (« +15145550123 ») of a valid number; a number without country code is read as
    North American (NANP); a foreign number is accepted with its « + » and country code."""
    try:
        number = phonenumbers.parse(text, "CA")
    except phonenumbers.NumberParseException as error:
        raise ValueError(str(PHONE_MESSAGE)) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(str(PHONE_MESSAGE))
    extension = f";ext={number.extension}" if number.extension else ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) + extension


def shown_phone(stored: str | None) -> str:
    """The Québec way: « 514 555-0123 » for a North American number, « +33 1 42 68 53 00 »
    for another; a value stored before numbers were checked is shown as it was typed."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, "CA")
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored
    extension = _(", ext. %(number)s", number=number.extension) if number.extension else ""
    if number.country_code == 1:
        national = f"{number.national_number:010d}"
        return f"{national[:3]} {national[3:6]}-{national[6:]}{extension}"
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return international.split(" ext.")[0] + extension


def normal_postal_code(text: str) -> str:
    """« H2X 1Y4 » from « h2x1y4 », « H2X-1Y4 »…"""
    compact = re.sub(r"[\s-]", "", text.upper())
    match = POSTAL_CODE.fullmatch(compact)
    if match is None:
        raise ValueError(str(POSTAL_CODE_MESSAGE))
    return f"{match.group(1)} {match.group(2)}"


def normal_email(text: str) -> str:
    """The address as typed, once its form is checked (no DNS look-up: no network here)."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(EMAIL_MESSAGE)) from error
    return text


def is_single_line(text: str | None) -> bool:
    return not LINE_BREAKS.search(text or "")
