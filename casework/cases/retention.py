"""Retention: closed cases past the retention period are anonymised (policy: docs/privacy.md).

What identifies the person or was written about them goes for good; what statistics need stays
(case number, region, service point, dates, status, closing reason, needs levels, referral
outcomes, disclosure register, audit trail — none of which names anyone). The caller commits.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update

from casework.cases.events import CasesAnonymised
from casework.core import audit
from casework.core.events import emit
from casework.extensions import db

CHUNK = 200
ANONYMOUS = "—"


def expired_case_ids(now: datetime, retention_days: int) -> list[int]:
    from casework.cases.models import Case

    limit = now - timedelta(days=retention_days)
    return list(
        db.session.scalars(
            select(Case.id)
            .where(
                Case.status == "closed",
                Case.closed_at.is_not(None),
                Case.closed_at <= limit,
                Case.anonymised_at.is_(None),
            )
            .order_by(Case.id)
        )
    )


def anonymise_expired(now: datetime, retention_days: int) -> dict[str, int]:
    """Anonymise every closed case whose closing is older than ``retention_days``; counts only."""
    ids = expired_case_ids(now, retention_days)
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), CHUNK):
        counts.update(_anonymise(ids[start : start + CHUNK], now))
    counts["cases"] = len(ids)
    audit.record(None, "retention.run", target_type="case", **dict(counts))
    return dict(counts)


def run(statement) -> int:
    """Run a bulk UPDATE or DELETE without syncing the session; the rows it touched."""
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


def _anonymise(case_ids: list[int], now: datetime) -> Counter[str]:
    from casework.cases.models import (
        Case,
        CaseSearchEntry,
        Consent,
        HouseholdMember,
        Interaction,
        Person,
    )

    counts: Counter[str] = Counter()
    in_chunk = Case.id.in_(case_ids)
    # A person with another case still kept (open, or closed more recently) keeps their record.
    other = Case.__table__.alias("other_case")
    persons = list(
        db.session.scalars(
            select(Case.person_id)
            .where(in_chunk)
            .where(
                ~exists().where(
                    other.c.person_id == Case.person_id,
                    other.c.id.not_in(case_ids),
                    other.c.anonymised_at.is_(None),
                )
            )
            .distinct()
        )
    )
    counts["persons"] = run(
        update(Person)
        .where(Person.id.in_(persons))
        .values(
            given_names=ANONYMOUS,
            family_name=ANONYMOUS,
            preferred_name=None,
            date_of_birth=None,
            gender=None,
            country_of_birth=None,
            citizenships=[],
            languages_spoken=[],
            preferred_language=None,
            french_level_self=None,
            french_level_scale=None,
            arrival_date=None,
            permanent_residence_date=None,
            phone=None,
            email=None,
            address=None,
            postal_code=None,
            city=None,
            destination_city=None,
            interpreter_language=None,
            # The client number designates the person; the field of study is free text; the
            # expiry dates are dates of their file. Schooling, profession and situation at
            # intake are codes, kept for statistics like the category.
            mifi_client_number=None,
            field_of_study=None,
            permit_expires_on=None,
            caq_expires_on=None,
            name_key="",
            family_phonetic="",
            given_phonetic="",
            updated_at=now,
            version=Person.version + 1,
        )
    )
    for name, model in (
        ("household_members", HouseholdMember),
        ("interactions", Interaction),
        ("consents", Consent),
        ("search_entries", CaseSearchEntry),
    ):
        counts[name] = run(delete(model).where(model.case_id.in_(case_ids)))
    # Plans, assessments' notes, referrals' comments, appointments' airport records and open
    # reminders are erased by their own features (their listeners of CasesAnonymised).
    for erased in emit(CasesAnonymised(case_ids=tuple(case_ids), at=now)):
        counts.update(erased)
    run(
        update(Case)
        .where(in_chunk)
        .values(closing_summary=None, anonymised_at=now, version=Case.version + 1)
    )
    return counts
