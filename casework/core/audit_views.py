"""The audit trail, read-only, for administrators: filtered by account, case, kind and dates."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from casework.core.audit import (
    ACTION_LABELS,
    AuditEvent,
    TrailFilters,
    target_finder,
    target_names,
    trail,
)
from casework.core.forms import BaseForm, max_length
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import requires
from casework.core.time import is_plausible, local_to_utc
from casework.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")


class TrailFilterForm(BaseForm):
    class Meta:
        csrf = False

    user = StringField(_l("Account (user name)"), validators=[Optional(), max_length(80)])
    case = StringField(_l("Case number"), validators=[Optional(), max_length(40)])
    kind = SelectField(_l("Kind of event"), validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def fill_choices(self) -> None:
        labelled = sorted(
            ((code, str(label)) for code, label in ACTION_LABELS.items()), key=_by_label
        )
        self.kind.choices = [("", _l("Any")), *labelled]


def _by_label(choice: tuple[str, str]) -> str:
    return choice[1].casefold()


def trail_filters() -> tuple[TrailFilterForm, TrailFilters | None]:
    """The trail's filters from the query string (the page and its CSV export read the same);
    None with the form's errors when one is not valid."""
    form = TrailFilterForm(request.args)
    form.fill_choices()
    form.validate()
    for date_field in (form.start, form.end):
        if date_field.errors or not is_plausible(date_field.data):
            date_field.errors = [str(_l("Enter a valid date, for example 2026-03-31."))]
            date_field.data = None
    kind = form.kind.data or ""
    if kind and kind not in ACTION_LABELS:
        form.kind.errors = [str(_l("Choose a kind of event from the list."))]
    actor_id = _actor_id(form)
    case_id = _case_id(form)
    if form.start.data and form.end.data and form.start.data > form.end.data:
        form.end.errors = [str(_l("The end date is before the start date."))]
    if any(f.errors for f in form):
        return form, None
    return form, TrailFilters(
        action=kind,
        actor_id=actor_id,
        target_type="case" if case_id else "",
        target_id=case_id or "",
        start=_day_start(form.start.data),
        end=_day_start(form.end.data + timedelta(days=1)) if form.end.data else None,
    )


def _actor_id(form: TrailFilterForm) -> int | None:
    username = (form.user.data or "").strip()
    if not username or form.user.errors:
        return None
    # The account model belongs to auth, above core: reached through the trail's relationship.
    user = AuditEvent.actor.property.mapper.class_
    found = db.session.scalar(select(user.id).where(func.lower(user.username) == username.lower()))
    if found is None:
        form.user.errors = [str(_l("No account has this user name."))]
    return found


def _case_id(form: TrailFilterForm) -> str | None:
    number = (form.case.data or "").strip()
    cases = target_finder("case")
    if not number or form.case.errors or cases is None:
        return None
    found = cases.find(number)
    if found is None:
        form.case.errors = [str(_l("No case has this number."))]
    return found


def _day_start(day) -> datetime | None:
    """Midnight of a local day, in UTC (the trail's times are UTC)."""
    return local_to_utc(datetime.combine(day, time.min)) if day else None


@bp.get("/")
@requires("audit.view")
def index():
    form, filters = trail_filters()
    if filters is None:
        return render_template("core/audit.html", form=form, page=None, names={}), 400
    page = paginate(trail(filters), parse_page_number(request.args.get("page")))
    return render_template("core/audit.html", form=form, page=page, names=target_names(page.items))
