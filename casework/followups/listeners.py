"""What follow-ups add to the case page and do when a case changes (imported by
``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from casework.cases.events import CasesAnonymised
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.cases.timeline import TIMELINE_SOURCES, TimelineEntry, TimelineSource
from casework.core.events import listens_to
from casework.core.time import local_to_utc, utc_to_local
from casework.followups import operations


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> dict[str, int]:
    return operations.anonymise_cases(list(event.case_ids))


def case_section(case: Case) -> dict[str, Any]:
    """The latest known situation, per domain, and the last follow-up: from the follow-ups
    the timeline reads too (one query for both)."""
    follow_ups = operations.with_situations(case.id)
    return {
        "situation": operations.situation_of(follow_ups),
        "last": max(follow_ups, key=lambda f: (f.held_on, f.id), default=None),
        **operations.LABELS,
    }


def case_action(case: Case) -> dict[str, Any]:
    return {}


CASE_PAGE_SECTIONS.add(
    CaseSection("situation", "followups/_case_section.html", case_section, order=25)
)
CASE_PAGE_SECTIONS.add(
    CaseSection("follow_up_form", "followups/_case_action.html", case_action, "actions", order=5)
)


def _moment(held_on, created_at: datetime) -> datetime:
    """When the follow-up took place, in UTC: the moment it was recorded when that was on the
    day it was held, else midday of that day (a follow-up recorded afterwards)."""
    if utc_to_local(created_at).date() == held_on:
        return created_at
    return local_to_utc(datetime.combine(held_on, time(12, 0)))


def timeline_entries(case: Case, now: datetime) -> list[TimelineEntry]:
    """One line per follow-up, naming what changed, linked to its place in the history (one
    query)."""
    return [
        TimelineEntry(
            at=_moment(line.follow_up.held_on, line.follow_up.created_at),
            kind="followup",
            title=line.title,
            detail=line.detail,
            url=url_for("followups.history", case_id=case.id) + f"#suivi-{line.follow_up.id}",
        )
        for line in operations.timeline_lines(case.id)
    ]


TIMELINE_SOURCES.add(TimelineSource("followup", _l("Follow-ups"), timeline_entries, order=35))
