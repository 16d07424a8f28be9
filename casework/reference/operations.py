"""Service layer for the organisation directory, maintained in the UI after the first seed load."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.text import place_key
from casework.extensions import db
from casework.reference.languages import is_language
from casework.reference.models import Domain, Organisation, PasiVolet

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CITY_MAX = 80
CITIES_MAX = 100


class DirectoryError(DomainError):
    """A rule about the organisation directory was broken."""


@dataclass
class OrganisationFields:
    name: str
    full_name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    address: str | None = None
    services_offered: str | None = None
    cities_served: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    capacity: int | None = None
    active: bool = True


def _validate(values: OrganisationFields) -> None:
    values.name = values.name.strip()
    if not values.name or len(values.name) > 120:
        raise DirectoryError(_l("Give a name of at most 120 characters."), "name")
    if values.contact_email and not EMAIL.match(values.contact_email):
        raise DirectoryError(_l("Enter a valid e-mail address."), "contact_email")
    if values.capacity is not None and not 0 <= values.capacity <= 100_000:
        raise DirectoryError(_l("Capacity is a number of referrals per month."), "capacity")
    values.cities_served = _cities(values.cities_served)
    values.languages = list(dict.fromkeys(values.languages))
    if not all(is_language(code) for code in values.languages):
        raise DirectoryError(_l("Not a valid choice."), "languages")


def _cities(names: list[str]) -> list[str]:
    """The cities as typed, trimmed, without blanks or repeats (« Gatineau » = « gatineau »)."""
    kept: dict[str, str] = {}
    for name in (" ".join(n.split()) for n in names):
        if name and place_key(name) not in kept:
            kept[place_key(name)] = name
    if len(kept) > CITIES_MAX or any(len(name) > CITY_MAX for name in kept.values()):
        raise DirectoryError(
            _l(
                "At most %(count)d cities of at most %(max)d characters each.",
                count=CITIES_MAX,
                max=CITY_MAX,
            ),
            "cities_served",
        )
    return list(kept.values())


def update_organisation(
    actor: Any,
    organisation: Organisation,
    values: OrganisationFields,
    volet_numbers: list[int],
    domain_codes: list[str],
    expected_version: int,
) -> list[str]:
    """Apply the directory form; returns the names of the fields that changed (audited)."""
    if organisation.version != expected_version:
        raise StaleEdit()
    _validate(values)
    volets = list(db.session.scalars(select(PasiVolet).where(PasiVolet.number.in_(volet_numbers))))
    domains = list(db.session.scalars(select(Domain).where(Domain.code.in_(domain_codes))))
    if len(volets) != len(set(volet_numbers)) or len(domains) != len(set(domain_codes)):
        raise DirectoryError(_l("Not a valid choice."))
    if set(values.languages) == set(organisation.languages or []):
        # The form sends languages in the order of its choices: that alone is not an edit.
        values.languages = list(organisation.languages)
    changed = [name for name, value in vars(values).items() if getattr(organisation, name) != value]
    for name in changed:
        setattr(organisation, name, getattr(values, name))
    if {v.id for v in organisation.volets} != {v.id for v in volets}:
        organisation.volets = volets
        changed.append("volets")
    if {d.id for d in organisation.domains} != {d.id for d in domains}:
        organisation.domains = domains
        changed.append("domains")
    if set(changed) & set(organisation.illustrative_fields or []):
        # Edited by a person: no longer an illustrative demo value.
        organisation.illustrative_fields = [
            f for f in organisation.illustrative_fields if f not in changed
        ]
    if changed:
        db.session.flush()
        audit.record(actor, "organisation.updated", organisation, fields=changed)
    return changed
