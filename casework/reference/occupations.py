"""The in-demand occupations list, edited by administrators (audited); `casework init` only adds
the occupations it lacks, so an edit here survives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.core import audit
from casework.core.domain import Checks, DomainError, StaleEdit
from casework.extensions import db
from casework.reference.models import Occupation

# The classification's versions: CNP 2016 codes have 4 digits, CNP 2021 codes 5.
CODE_DIGITS = {"2016": 4, "2021": 5}
CNP_VERSIONS = ("2021", "2016")  # as forms offer them: the current version first
PRIORITY_MAX = 999


def occupation_in_version(code: str | None, version: str | None) -> Occupation | None:
    """The stored occupation with ``code`` in CNP ``version`` (a CNP 2016 row knows its CNP 2021
    code too), or None."""
    if not code or version not in CODE_DIGITS:
        return None
    if version == "2021":
        condition = (Occupation.cnp_2021 == code) | (
            (Occupation.cnp == code) & (Occupation.cnp_version == "2021")
        )
    else:
        condition = (Occupation.cnp == code) & (Occupation.cnp_version == version)
    return db.session.scalar(select(Occupation).where(condition).limit(1))


def check_cnp(checks: Checks, code: str | None, version: str | None, field: str) -> None:
    """A CNP code typed anywhere (the intake's profession, a follow-up's job, a referral's
    outcome): its version (``field`` + "_version"), the version's number of digits, then the
    stored occupations. No code, nothing to check."""
    if not code:
        return
    digits = CODE_DIGITS.get(version or "")
    if not checks.require(
        digits is not None, _l("Say which CNP version the code is from."), field + "_version"
    ):
        return
    if not checks.require(
        re.fullmatch(rf"[0-9]{{{digits}}}", code) is not None,
        _l("A CNP %(version)s code has %(n)d digits.", version=version, n=digits),
        field,
    ):
        return
    checks.require(
        occupation_in_version(code, version) is not None,
        _l("This code is not among the stored CNP %(version)s occupations.", version=version),
        field,
    )


class OccupationError(DomainError):
    """A rule about the occupations list was broken (nothing is saved)."""


@dataclass
class OccupationFields:
    cnp: str
    cnp_version: str
    cnp_2021: str | None
    title: str
    title_en: str | None
    priority: int | None
    active: bool = True


def _validate(values: OccupationFields, occupation: Occupation | None) -> None:
    values.cnp = (values.cnp or "").strip()
    digits = CODE_DIGITS.get(values.cnp_version)
    if digits is None:
        raise OccupationError(_l("Not a valid choice."), "cnp_version")
    if not re.fullmatch(rf"[0-9]{{{digits}}}", values.cnp):
        raise OccupationError(
            _l("A CNP %(version)s code has %(n)d digits.", version=values.cnp_version, n=digits),
            "cnp",
        )
    if values.cnp_2021 and not re.fullmatch(r"[0-9]{5}", values.cnp_2021):
        raise OccupationError(
            _l("A CNP %(version)s code has %(n)d digits.", version="2021", n=5), "cnp_2021"
        )
    if values.cnp_version == "2021":
        values.cnp_2021 = values.cnp
    values.title = (values.title or "").strip()
    if not values.title or len(values.title) > 200:
        raise OccupationError(_l("Give the title (at most %(max)d characters).", max=200), "title")
    if values.priority is not None and not 1 <= values.priority <= PRIORITY_MAX:
        raise OccupationError(
            _l("A priority from 1 (first) to %(max)d, or none.", max=PRIORITY_MAX), "priority"
        )
    taken = db.session.scalar(
        select(Occupation.id).where(
            (Occupation.cnp == values.cnp)
            | (Occupation.cnp_2021 == values.cnp)
            | ((Occupation.cnp == values.cnp_2021) if values.cnp_2021 else False)
        )
    )
    if taken is not None and (occupation is None or taken != occupation.id):
        raise OccupationError(_l("This code is already on the list."), "cnp")


def add(actor: Any, values: OccupationFields) -> Occupation:
    _validate(values, None)
    occupation = Occupation(**vars(values))
    db.session.add(occupation)
    db.session.flush()
    audit.record(actor, "occupation.created", occupation, cnp=occupation.cnp)
    return occupation


def update(
    actor: Any, occupation: Occupation, values: OccupationFields, expected_version: int | None
) -> list[str]:
    """Apply the form; returns the names of the fields that changed (audited)."""
    if occupation.version != expected_version:
        raise StaleEdit()
    _validate(values, occupation)
    changed = [name for name, value in vars(values).items() if getattr(occupation, name) != value]
    for name in changed:
        setattr(occupation, name, getattr(values, name))
    if changed:
        db.session.flush()
        audit.record(actor, "occupation.updated", occupation, fields=changed)
    return changed


def every_occupation() -> list[Occupation]:
    """The whole list, inactive ones too: ranked first, then unranked, by code."""
    return list(
        db.session.scalars(
            select(Occupation).order_by(
                Occupation.active.desc(),
                Occupation.priority.is_(None),
                Occupation.priority,
                Occupation.cnp,
            )
        )
    )
