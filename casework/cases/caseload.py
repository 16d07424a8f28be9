"""The caseload: the cases a reader may see, filtered, sorted, paged and counted, as the list
page, its CSV export, the home and the reports' drill-downs read them. No request, no flash; the
caller commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    false,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy import case as sa_case
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.types import ARRAY, Integer

from casework.auth.models import User
from casework.cases import choices
from casework.cases.models import Case, Person
from casework.cases.search import WIDE_COUNT, breadth_and_matches, matches_case, matching_case_ids
from casework.cases.search import breadth as search_breadth
from casework.core import audit
from casework.core.events import ExtensionPoint
from casework.core.pagination import COUNT_LIMIT, Page, counted_page, paginate
from casework.core.permissions import Scope, region_ids, scope_for
from casework.core.time import local_today
from casework.extensions import db


@dataclass
class CaseloadFilters:
    status: str = ""
    domain: str = ""
    priority: str = ""
    overdue: bool = False
    region_id: int | None = None
    query: str = ""
    sort: str = "recent"
    agent_id: int | None = None  # a regional reader's drill-down from the dashboard
    cohort: str = ""  # the cases a dashboard figure counts (``CASELOAD_COHORTS``)...
    period: tuple[date, date] | None = None  # ...over these local days, both included
    # How many cases the query matches (``search.breadth``), when known: kept with the search
    # since its first listing. It chooses how the page is read, never what it shows.
    breadth: str | None = None


PRIORITY_RANK = sa_case({"urgent": 0, "high": 1}, value=Case.priority, else_=2)
SORTS = {
    "recent": (Case.opened_at.desc(), Case.id.desc()),
    "name": (Person.family_name, Person.given_names, Case.id),
    "follow_up": (Case.next_follow_up_on.is_(None), Case.next_follow_up_on, Case.id),
    "priority": (PRIORITY_RANK, Case.id),
}


def _reader_scope(user: Any) -> tuple[Scope, Any] | None:
    """How far ``user`` reads cases: their own (their id) or their regions' (the regions' ids);
    None when they read none."""
    scope = scope_for(user.role, "cases.read")
    if scope is Scope.CASELOAD:
        return scope, user.id
    if scope is Scope.REGION:
        return scope, region_ids(user)
    return None


def _in_scope(scope: Scope, value: Any, indexed: bool = True) -> ColumnElement[bool]:
    """The condition on ``Case`` for ``scope`` and its value (or a bound parameter for it).

    ``indexed=False`` writes it so that SQLite's planner does not start from the scope's index
    (« + 0 »): a narrow search is cheaper read from its few matches.
    """
    if scope is Scope.CASELOAD:
        return (Case.agent_id if indexed else Case.agent_id + 0) == value
    return (Case.region_id if indexed else Case.region_id + 0).in_(value)


def _scope_filter(user: Any, indexed: bool = True) -> ColumnElement[bool]:
    """The condition on ``Case`` that keeps the cases ``user`` may read."""
    reader = _reader_scope(user)
    return false() if reader is None else _in_scope(*reader, indexed=indexed)


def visible_cases(user: Any, indexed: bool = True, with_person: bool = True) -> Select:
    """Cases ``user`` may read, as a SELECT to refine (``with_person``: joined to their person,
    for sorting by name; a count does without)."""
    statement = select(Case).join(Case.person) if with_person else select(Case.id)
    return statement.where(_scope_filter(user, indexed))


# The caseload's « needs in a domain » filter: a SQL condition on ``Case`` given a domain code.
# Needs are assessed in the assessments feature, built on cases, which adds it.
NEEDS_IN_DOMAIN: ExtensionPoint[Callable[[str], ColumnElement[bool]]] = ExtensionPoint(
    "cases.caseload_needs_in_domain",
    "SQL condition on Case: open needs in a domain (the caseload's domain filter)",
)


def _domain_condition(domain_code: str) -> ColumnElement[bool]:
    conditions = [condition(domain_code) for condition in NEEDS_IN_DOMAIN]
    if not conditions:
        raise LookupError("no feature filters the caseload by domain (app.register_listeners)")
    return and_(*conditions)


@dataclass(frozen=True)
class Cohort:
    """The cases one figure of a report counts (a dashboard delay's people, a reminder's
    no-shows, an indicator's persons), defined by the feature that computes the figure, so that
    its drill-down lists exactly them.
    ``condition(first_day, last_day, region_ids, readable)`` is a SQL condition on ``Case``
    (``region_ids`` None: every region; ``readable``: the ids of the cases the reader may read,
    which bounds work done outside SQL)."""

    code: str
    label: Any  # a lazy string
    condition: Callable[[date, date, list[int] | None, Select], ColumnElement[bool]]


# Report figures are computed by reports, which builds on every feature; it adds them here.
CASELOAD_COHORTS: ExtensionPoint[Cohort] = ExtensionPoint(
    "cases.caseload_cohorts",
    "the cases a report's figure counts, for its drill-down (the caseload's « cohort » filter)",
)
COHORT_DEFAULT_DAYS = 90  # the dashboard's default period
COHORT_MAX_DAYS = 5 * 366  # the dashboard's longest period


def cohorts() -> dict[str, Cohort]:
    return {cohort.code: cohort for cohort in CASELOAD_COHORTS}


_cohort_labels: dict[str, Any] = {}


def cohort_labels() -> dict[str, Any]:
    """Each cohort's lazy label by code: the same dict while no cohort is added (they are added
    at import), so that ``core.i18n.translated`` resolves the forty labels once per locale
    rather than on every caseload page (issue 23)."""
    global _cohort_labels
    if len(_cohort_labels) != len(CASELOAD_COHORTS):
        _cohort_labels = {cohort.code: cohort.label for cohort in CASELOAD_COHORTS}
    return _cohort_labels


def _cohort_condition(user: Any, filters: CaseloadFilters) -> ColumnElement[bool]:
    cohort = cohorts().get(filters.cohort)
    if cohort is None or filters.period is None:
        return false()
    scope = scope_for(user.role, "cases.read")
    if filters.region_id and scope is Scope.REGION:
        regions: list[int] | None = [filters.region_id]
    else:
        # The reader's scope bounds the work; the scope filter itself still applies.
        regions = region_ids(user) if scope is Scope.REGION else None
    readable = select(Case.id).where(_scope_filter(user))
    return cohort.condition(filters.period[0], filters.period[1], regions, readable)


def caseload(
    user: Any,
    filters: CaseloadFilters,
    today: date | None = None,
    breadth: str | None = None,
    for_count: bool = False,
    ids_only: bool = False,
    matches: list[int] | None = None,
) -> Select:
    """The cases of the caseload page, in its order (``ids_only``: their ids, in that order;
    ``for_count``: their ids, unordered). ``matches``: a narrow search's matching ids, when
    already read (``search.breadth_and_matches``)."""
    today = today or local_today()
    if filters.query and breadth is None:
        breadth = filters.breadth or search_breadth(filters.query)
    # An agent's own cases are a few thousand at most: walking them is cheaper than reading a
    # narrow search's matches; a region's (up to 90,000) are read from the matches instead.
    sqlite = db.engine.dialect.name == "sqlite"
    from_matches = breadth == "narrow" and scope_for(user.role, "cases.read") is Scope.REGION
    in_opening_order = not for_count and _walks_in_opening_order(user, filters, breadth)
    statement = visible_cases(
        user,
        indexed=not ((from_matches or in_opening_order) and sqlite),
        # The ids of a page need the person only to sort by name: without the join, SQLite
        # walks the scope's index alone (every walked case otherwise read from the table).
        with_person=not for_count and (not ids_only or filters.sort == "name"),
    )
    if ids_only:
        statement = statement.with_only_columns(Case.id)
    elif not for_count:
        # The person comes from the join the scope already makes (sorting by name needs it):
        # a second join of persons would be read for every match before the sort.
        statement = statement.options(
            contains_eager(Case.person), joinedload(Case.agent), joinedload(Case.service_point)
        )
    if filters.status == choices.OPEN_STATUS:
        statement = statement.where(Case.status != "closed")
    elif filters.status:
        statement = statement.where(Case.status == filters.status)
    if filters.agent_id and scope_for(user.role, "cases.read") is Scope.REGION:
        statement = statement.where(Case.agent_id == filters.agent_id)
    if filters.priority:
        statement = statement.where(Case.priority == filters.priority)
    if filters.overdue:
        statement = statement.where(Case.next_follow_up_on < today, Case.status != "closed")
    if filters.region_id and scope_for(user.role, "cases.read") is Scope.REGION:
        statement = statement.where(Case.region_id == filters.region_id)
    if filters.domain:
        statement = statement.where(_domain_condition(filters.domain))
    if filters.cohort:
        statement = statement.where(_cohort_condition(user, filters))
    if filters.query:
        if breadth == "very_wide":
            statement = statement.where(matches_case(filters.query, Case.id))
        elif from_matches and not sqlite:
            # PostgreSQL misjudges how many cases a prefix query matches and would probe the
            # search column row by row along the region: its few matches are read first instead.
            ids = (
                matches
                if matches is not None
                else list(db.session.scalars(matching_case_ids(filters.query)))
            )
            # As one array, not one parameter per match: « tremblay » is 2,219 of them, each
            # bound, sent and parsed (12 ms at 200,000 cases).
            statement = statement.where(Case.id == any_(bindparam(None, ids, ARRAY(Integer))))
        else:
            ids = matching_case_ids(filters.query)
            # A wide search, and any search of an agent's own cases, walks the scope's cases
            # in page order and probes the matches; with statistics SQLite would rather read
            # the matches (« + 0 » keeps it from the key), each from the table (an agent's
            # « diallo »: 2,200 matches read to keep 30), and sort them.
            walked = Case.id + 0 if sqlite and not from_matches else Case.id
            statement = statement.where(walked.in_(ids) if ids is not None else false())
    if for_count:
        return statement
    return statement.order_by(*SORTS.get(filters.sort, SORTS["recent"]))


def _walks_in_opening_order(user: Any, filters: CaseloadFilters, breadth: str | None) -> bool:
    """Whether a directorate's caseload, newest first, walks every case in opening order
    (``ix_cases_opened``) keeping its regions' (issue 23): the per-region index cannot give
    several regions in one order, and SQLite sorted Montréal's 120,000 cases to show 25 (135 ms
    at 200,000 cases; 7 ms walked at worst, docs/performance.md). Narrower filters and a narrow
    search keep their own index."""
    if scope_for(user.role, "cases.read") is not Scope.REGION or len(region_ids(user)) < 2:
        return False
    narrowed = (
        filters.agent_id or filters.region_id or filters.overdue or filters.domain or filters.cohort
    )
    return filters.sort == "recent" and not narrowed and breadth != "narrow"


def caseload_page(
    user: Any, filters: CaseloadFilters, number: int, counts: dict[str, int] | None = None
) -> Page:
    """One page of the caseload. A search that matches most cases is counted up to 100 only.
    ``counts``: ``status_counts(user)``, when the page shows them already."""
    breadth, matches = _breadth_and_matches(user, filters.query, filters.breadth)
    limit = WIDE_COUNT if breadth == "very_wide" else COUNT_LIMIT
    ids = caseload(user, filters, breadth=breadth, ids_only=True, matches=matches)
    page = counted_page(ids, number, limit) if filters.query else None
    if page is None:
        counted = _count_from_statuses(filters, counts)
        count = None
        if counted is None:
            count = caseload(user, filters, breadth=breadth, for_count=True, matches=matches)
        page = paginate(
            ids, number, count_limit=limit, count_statement=count, counted=counted, plain=True
        )
    # The sort carries ids only (a region's search sorts a thousand matches to show 25); the
    # cases shown are then read with their person's and agent's names.
    return replace(page, items=caseload_rows(page.items))


def _count_from_statuses(filters: CaseloadFilters, counts: dict[str, int] | None) -> int | None:
    """The caseload's count when nothing but its status narrows it: the per-status counts
    shown above the list already say it, without counting again (each status is counted up to
    COUNT_LIMIT + 1, so a sum past the limit reads « more than », as a count would)."""
    if counts is None or replace(filters, status="", sort="recent") != CaseloadFilters():
        return None
    if filters.status == choices.OPEN_STATUS:
        return sum(n for status, n in counts.items() if status != "closed")
    if filters.status:
        return counts.get(filters.status, 0)
    return sum(counts.values())


def _breadth_and_matches(
    user: Any, query: str, known: str | None = None
) -> tuple[str | None, list[int] | None]:
    """A search's breadth (``known``, when kept with the search); a region's narrow search
    also gets its matches (read once on PostgreSQL, whatever is known): only there is the page
    chosen among them (``caseload``)."""
    if not query:
        return None, None
    if scope_for(user.role, "cases.read") is Scope.REGION:
        return breadth_and_matches(query, known)
    return known or search_breadth(query), None


def record_caseload_read(user: Any, page: Page, filters: CaseloadFilters, searched: bool) -> None:
    """The audit row of a caseload page: the cases it shows, as a search when its results are
    first shown (``searched``), else as a listing (a search kept from before says so)."""
    audit.record(
        user,
        "cases.searched" if searched else "cases.listed",
        target_type="case",
        case_ids=[case.id for case in page.items],
        **({"search_kept": True} if filters.query and not searched else {}),
    )


def caseload_rows(case_ids: list[int]) -> list[Any]:
    """The caseload's rows for ``case_ids``, in that order: only the columns the list shows, as
    plain rows (``id``, ``number``, ``status``, ``priority``, ``next_follow_up_on``,
    ``family_name``, ``given_names``, ``immigration_category``, ``agent_name``). Loading each
    case, person and agent as objects was a fifth of the page's CPU (issue 23)."""
    if not case_ids:
        return []
    # Columns, not objects: on the session's connection, without the ORM's loading.
    statement = _caseload_row_statement()
    rows = {row.id: row for row in db.session.connection().execute(statement, {"ids": case_ids})}
    # A case erased meanwhile (the retention job) is left out rather than failing the page.
    return [rows[case_id] for case_id in case_ids if case_id in rows]


@cache
def _caseload_row_statement() -> Select:
    return (
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.priority,
            Case.next_follow_up_on,
            Person.family_name,
            Person.given_names,
            Person.immigration_category,
            User.full_name.label("agent_name"),
        )
        .join(Case.person)
        .outerjoin(User, User.id == Case.agent_id)
        .where(Case.id.in_(bindparam("ids", expanding=True)))
    )


def status_counts(user: Any, limit: int = COUNT_LIMIT) -> dict[str, int]:
    """Cases per status in ``user``'s scope, each counted up to ``limit + 1`` (a region's
    90,000 cases are not counted on every page), in one query; statuses without any are left
    out."""
    reader = _reader_scope(user)
    if reader is None:
        return {}
    scope, value = reader
    rows = db.session.execute(_counts_statement(scope, limit), {"scope": value})
    return {status: n for status, n in rows if n}


def caseload_counts(
    user: Any, counts: dict[str, int] | None = None, limit: int = COUNT_LIMIT
) -> dict[str, int | str]:
    """Cases per status as the caseload shows them (« 1000+ » past ``limit``): ``counts``
    when already read (``status_counts``), else read now."""
    counts = status_counts(user, limit) if counts is None else counts
    return {status: (f"{limit}+" if n > limit else n) for status, n in counts.items()}


@cache
def _counts_statement(scope: Scope, limit: int) -> Select:
    # Built once per scope: building the six counts' union cost more than running it (issue 23).
    in_scope = _in_scope(scope, bindparam("scope", expanding=scope is Scope.REGION))
    return union_all(
        *(
            select(literal(status).label("status"), func.count().label("n")).select_from(
                select(Case.id).where(in_scope, Case.status == status).limit(limit + 1).subquery()
            )
            for status in choices.STATUSES
        )
    )
