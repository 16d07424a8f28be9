"""The case page's timeline: what is coming (« À venir ») and what happened (« Historique »),
from every feature built on cases.

Cases knows its own notes and contacts; appointments, referrals and reminders are theirs to
say. Each feature adds a ``TimelineSource`` in its listeners.py: a kind (the filter), its
label, and a function of the case returning its entries in a fixed number of queries. The page
merges them: upcoming entries soonest first, history newest first; a day's entries of one
group (a day's reminders) make one collapsible line; the filter by kind is a query parameter,
so it works without JavaScript. An entry is late only when the source says so *and* its moment
has passed: a future entry is never called late.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.cases import choices
from casework.cases.models import Case, Interaction
from casework.core.events import ExtensionPoint
from casework.core.time import utc_to_local
from casework.extensions import db

HISTORY_LIMIT = 40  # lines of history shown before « Show the whole history »


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # UTC, naive: when it happens or happened
    kind: str  # the source's kind (the filter)
    title: str  # what it is, named (« Action du plan à échéance : Cours de francisation »)
    detail: str = ""  # one line under the title: who, how, its state
    text: str = ""  # free text (a note's summary)
    url: str | None = None
    late: bool = False  # past due and still open (ignored for a moment still to come)
    group: str | None = None  # a day's entries of one group share one collapsible line


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: Any  # the filter's label (lazy)
    entries: Callable[[Case, datetime], list[TimelineEntry]]
    order: int = 100
    # What a collapsed line says for ``n`` entries of one day (« 3 rappels »).
    group_summary: Callable[[int], str] | None = None

    @property
    def name(self) -> str:
        """How ``casework events`` names the contribution."""
        return self.kind


TIMELINE_SOURCES: ExtensionPoint[TimelineSource] = ExtensionPoint(
    "cases.timeline_sources", "entries of the case page's timeline, by kind (the filter)"
)


@dataclass
class TimelineLine:
    """One line of the timeline: an entry, or a day's entries of one group."""

    at: datetime
    entries: list[TimelineEntry]
    summary: str | None = None  # set when the line groups several entries

    @property
    def late(self) -> bool:
        return any(entry.late for entry in self.entries)

    @property
    def first(self) -> TimelineEntry:
        return self.entries[0]


@dataclass
class TimelineView:
    kind: str  # the filter chosen, "" for every kind
    kinds: list[tuple[str, Any, int]]  # (code, label, how many entries)
    upcoming: list[TimelineLine] = field(default_factory=list)
    history: list[TimelineLine] = field(default_factory=list)
    history_total: int = 0  # lines of history, all of them
    whole_history: bool = False

    @property
    def empty(self) -> bool:
        return not self.upcoming and not self.history


def build(case: Case, now: datetime, kind: str = "", whole_history: bool = False) -> TimelineView:
    """Every source's entries, split and grouped; ``kind`` keeps one source's (an unknown kind
    is ignored: every kind)."""
    sources = sorted(TIMELINE_SOURCES, key=lambda source: source.order)
    by_kind = {source.kind: source for source in sources}
    kind = kind if kind in by_kind else ""
    found: dict[str, list[TimelineEntry]] = {}
    for source in sources:
        found[source.kind] = _distinct(source.entries(case, now))
    view = TimelineView(
        kind=kind,
        kinds=[(s.kind, s.label, len(found[s.kind])) for s in sources],
        whole_history=whole_history,
    )
    shown = [entry for code, entries in found.items() if kind in ("", code) for entry in entries]
    shown = [_never_late_ahead(entry, now) for entry in shown]
    upcoming = sorted((e for e in shown if e.at > now), key=lambda e: e.at)
    history = sorted((e for e in shown if e.at <= now), key=lambda e: e.at, reverse=True)
    view.upcoming = _lines(upcoming, by_kind)
    lines = _lines(history, by_kind)
    view.history_total = len(lines)
    view.history = lines if whole_history else lines[:HISTORY_LIMIT]
    return view


def _distinct(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The same line never twice (two sources, or two rows, that say the same thing)."""
    seen: set[tuple] = set()
    kept = []
    for entry in entries:
        key = (entry.kind, entry.at, entry.title, entry.detail, entry.text)
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept


def _never_late_ahead(entry: TimelineEntry, now: datetime) -> TimelineEntry:
    if entry.late and entry.at > now:
        return replace(entry, late=False)
    return entry


def _lines(entries: list[TimelineEntry], sources: dict[str, TimelineSource]) -> list[TimelineLine]:
    """Entries in order; those of one group on one local day become one line."""
    lines: list[TimelineLine] = []
    grouped: dict[tuple[str, date], TimelineLine] = {}
    for entry in entries:
        if entry.group is None:
            lines.append(TimelineLine(entry.at, [entry]))
            continue
        key = (entry.group, utc_to_local(entry.at).date())
        line = grouped.get(key)
        if line is None:
            line = grouped[key] = TimelineLine(entry.at, [])
            lines.append(line)
        line.entries.append(entry)
    for line in grouped.values():
        if len(line.entries) > 1:
            source = sources.get(line.first.kind)
            summarise = source.group_summary if source else None
            line.summary = summarise(len(line.entries)) if summarise else str(len(line.entries))
    return lines


# --- The case's own entries: notes, calls, meetings, e-mails ---------------------------------


def _interaction_detail(item: Interaction) -> str:
    parts = []
    if item.duration_minutes:
        parts.append(_("%(n)d min", n=item.duration_minutes))
    if item.mode:
        parts.append(str(choices.MODES.get(item.mode, "")))
    if item.interpreter_language:
        words = _(
            "interpreter: %(language)s", language=choices.language_name(item.interpreter_language)
        )
        parts.append(f"{words} ({_('remote')})" if item.interpreter_remote else words)
    if item.author:
        parts.append(item.author.full_name)
    return " · ".join(part for part in parts if part)


def interaction_entries(case: Case, now: datetime) -> list[TimelineEntry]:
    """The notes, calls, meetings and e-mails of the case, in one query."""
    items = db.session.scalars(
        select(Interaction)
        .options(joinedload(Interaction.author))
        .where(Interaction.case_id == case.id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
    return [
        TimelineEntry(
            at=item.occurred_at,
            kind="note",
            title=str(choices.INTERACTION_KINDS.get(item.kind, item.kind)),
            detail=_interaction_detail(item),
            text=item.summary,
        )
        for item in items
    ]


TIMELINE_SOURCES.add(
    TimelineSource("note", _l("Notes and contacts"), interaction_entries, order=10)
)
