"""A stale edit keeps what was typed (the 409 of a form that carries the record's version).

The form page posts, besides its fields, the values it was loaded with (``_original``, a
hidden field the forms macro writes). When someone else saved the record meanwhile, the three
are merged, field by field: what only they changed is taken into the form, what only this
person changed is kept, and a field both changed keeps this person's value and is pointed out.
The page comes back (409) with that form at the record's new version, so one click on its
save button applies this person's changes on top of the other's; a panel lists what changed
meanwhile (macros/forms.html conflict_panel)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import g, request
from flask_babel import format_date
from flask_babel import gettext as _

from casework.core.formats import shown_phone

ORIGINAL = "_original"
_BASE = "casework_conflict_base"
_CHANGES = "casework_conflict_changes"
_NOTES = "casework_conflict_notes"
NOT_COMPARED = {"csrf_token", "version", "submit", "duplicates_reviewed"}


@dataclass(frozen=True)
class Change:
    """A field someone else changed: their value, and this person's when it differs."""

    field_id: str
    label: str
    theirs: str
    yours: str | None  # None: this person had left it as it was, theirs is in the form now


def _normal(value: Any) -> Any:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "y" if value else ""
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def snapshot(form: Any) -> dict[str, Any]:
    """The form's values as comparable text (dates in ISO, lists sorted, nothing as "")."""
    return {f.name: _normal(f.data) for f in form if f.name not in NOT_COMPARED}


def original_of(form: Any) -> str:
    """What the form was loaded with: as posted back, or (on the first showing) its values;
    after a merge, the record as saved now."""
    base = getattr(form, _BASE, None)
    if base is not None:
        return base
    if request.method == "POST" and ORIGINAL in request.form:
        return request.form[ORIGINAL]
    return json.dumps(snapshot(form), ensure_ascii=False)


def _posted_original() -> dict[str, Any]:
    try:
        value = json.loads(request.form.get(ORIGINAL, ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def merged_page(form: Any, page: Callable[[], Any], current: Any) -> Any:
    """The form page again (409): their changes merged into what was typed, at their version."""
    theirs, mine, base = snapshot(current), snapshot(form), _posted_original()
    changes = []
    for field in form:
        name = field.name
        if name not in theirs or name in NOT_COMPARED:
            continue
        before = base.get(name, mine[name])
        if theirs[name] == before:
            continue  # not changed meanwhile: what was typed stands
        untouched = mine[name] == before
        if untouched:
            field.data, field.raw_data = current[name].data, []
        changes.append(
            Change(
                field.id,
                str(field.label.text),
                shown(field, current[name].data),
                None if untouched or mine[name] == theirs[name] else shown(field, mine[name]),
            )
        )
    form.version.data = current.version.data
    form.version.raw_data = [str(current.version.data)]
    setattr(form, _BASE, json.dumps(theirs, ensure_ascii=False))
    g.setdefault(_CHANGES, []).extend(changes)
    g.casework_conflicted = True
    response = page()
    body = response[0] if isinstance(response, tuple) else response
    return body, 409


def note(message: str) -> None:
    """A change meanwhile that is no field of the form (rows added to or removed from a
    table, say): the panel of the merged page states it above the fields' changes."""
    g.setdefault(_NOTES, []).append(message)


def notes_meanwhile() -> list[str]:
    return list(g.get(_NOTES, [])) if g.get("casework_conflicted") else []


def changes_meanwhile() -> list[Change] | None:
    """The changes a merged form page lists (None when the page is no such page)."""
    return g.get(_CHANGES) if g.get("casework_conflicted") else None


def shown(field: Any, value: Any) -> str:
    """A value as the form shows it: a choice by its label, a date in words, a phone the
    Québec way."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool) or field.type == "BooleanField":
        return _("Yes") if value and value != "" else _("No")
    labels = {str(c[0]): str(c[1]) for c in (getattr(field, "choices", None) or []) if len(c) > 1}
    if isinstance(value, list | tuple):
        return ", ".join(labels.get(str(item), str(item)) for item in value) or "—"
    if labels:
        return labels.get(str(value), str(value))
    if isinstance(value, date):
        return format_date(value, "long")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_date(date.fromisoformat(value), "long")
        except ValueError:
            return value
    if getattr(field.flags, "format", None) == "phone":
        return shown_phone(str(value))
    return str(value)
