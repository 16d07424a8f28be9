"""Report pages: the regional dashboard, list exports (CSV), the person's file (JSON, print)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from casework.assessments.operations import LEVEL_LABELS
from casework.attachments import operations as attachment_operations
from casework.auth.operations import Reauthentication, reauthenticate
from casework.auth.views import lockout_message, throttle_policy
from casework.cases.forms import parse_id
from casework.cases.views import caseload_filters, load_case
from casework.core.domain import show_error
from casework.core.navigation import safe_next
from casework.core.permissions import Scope, deny, requires, scope_for
from casework.core.time import local_today
from casework.core.urls import french
from casework.referrals.views import queue_filters
from casework.reminders.views import list_filters as reminder_filters
from casework.reports import (
    charts,
    csvfile,
    exports,
    indicators,
    indicators_export,
    recorded,
    snapshots,
)
from casework.reports import operations as reports
from casework.reports.forms import ConfirmExportForm, DashboardFilterForm

bp = Blueprint("reports", __name__, url_prefix="/rapports")
# The dashboard's tables as their CSV's address names them (the code stays English).
TABLE_PATHS = {
    "caseload": "dossiers",
    "needs": "besoins",
    "funnel": "references",
    "delays": "delais",
}
bp.record_once(
    lambda state: state.app.url_map.converters.update(dashboard_table=french(TABLE_PATHS))
)
CONFIRMATION_KEY = "export_confirmation"
DEFAULT_CONFIRMATION_MINUTES = 5


# --- Confirmation before a bulk export --------------------------------------------------------


def _confirmation_lifetime() -> timedelta:
    return timedelta(
        minutes=current_app.config.get("EXPORT_CONFIRMATION_MINUTES", DEFAULT_CONFIRMATION_MINUTES)
    )


def export_confirmed() -> bool:
    confirmation = exports.Confirmation.from_session(session.get(CONFIRMATION_KEY))
    return confirmation is not None and confirmation.valid_for(current_user.id)


def _confirmation_page(form: ConfirmExportForm, status: int = 200):
    return (
        render_template(
            "reports/confirm.html",
            form=form,
            minutes=int(_confirmation_lifetime().total_seconds() // 60),
        ),
        status,
    )


def _ask_for_password():
    """Shown at the export's own address, so the confirmation comes back to it."""
    form = ConfirmExportForm(formdata=None, data={"next": request.full_path.rstrip("?")})
    return _confirmation_page(form)


@bp.post("/confirmer")
@requires("reports.confirm")
def confirm():
    """Check the password again; a confirmation lasts a few minutes, in the session only."""
    form = ConfirmExportForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _confirmation_page(form, 400)
    outcome = reauthenticate(
        current_user, form.password.data, request.remote_addr or "-", throttle_policy(), "export"
    )
    if outcome is not Reauthentication.CONFIRMED:
        return _refused_confirmation(form, outcome)
    session[CONFIRMATION_KEY] = exports.Confirmation.starting_now(
        current_user.id, _confirmation_lifetime()
    ).to_session()
    return redirect(safe_next(form.next.data, url_for("home.index")))


def _refused_confirmation(form: ConfirmExportForm, outcome: Reauthentication):
    """The confirmation page again: too many tries (429), or not the password (401)."""
    if outcome is Reauthentication.THROTTLED:
        form.password.errors = [lockout_message()]
        return _confirmation_page(form, 429)
    form.password.errors = [_("This is not your password.")]
    return _confirmation_page(form, 401)


def csv_response(filename: str, headers: Iterable[Any], rows: Iterable[tuple]) -> Response:
    response = Response(csvfile.render(list(headers), rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _dated(stem: str) -> str:
    return f"{stem}-{local_today().isoformat()}.csv"


# --- Lists as CSV ------------------------------------------------------------------------------


@bp.get("/dossiers.csv")
@requires("reports.export_caseload")
def caseload_csv():
    """The caseload with the filters on screen (and the search kept in the session)."""
    if not export_confirmed():
        return _ask_for_password()
    regional = scope_for(current_user.role, "cases.read") is Scope.REGION
    _form, _search, filters = caseload_filters(regional)
    rows = list(exports.caseload_rows(current_user, filters))
    recorded.caseload_exported(current_user, filters, len(rows))
    return csv_response(_dated("dossiers"), exports.CASELOAD_HEADERS, rows)


@bp.get("/references.csv")
@requires("reports.export_referrals")
def referrals_csv():
    if not export_confirmed():
        return _ask_for_password()
    filters = queue_filters()
    rows = list(exports.referral_rows(current_user, filters))
    exports.record_list_export(
        current_user,
        "export.referrals",
        "referral",
        len(rows),
        status=filters.status,
        organisation_id=filters.organisation_id,
        domain=filters.domain,
        waiting_days=filters.waiting_days,
    )
    return csv_response(_dated("references"), exports.REFERRAL_HEADERS, rows)


@bp.get("/rappels.csv")
@requires("reports.export_reminders")
def reminders_csv():
    """The reminders of the tab on screen; a supervisor's agent filter is kept."""
    if not export_confirmed():
        return _ask_for_password()
    filters = reminder_filters()
    rows = list(exports.reminder_rows(current_user, filters))
    exports.record_list_export(
        current_user, "export.reminders", "reminder", len(rows), tab=filters.tab
    )
    return csv_response(_dated("rappels"), exports.REMINDER_HEADERS, rows)


@bp.get("/journal.csv")
@requires("reports.export_audit")
def audit_csv():
    """The audit trail with the filter on screen, for the auditors' own tools."""
    from casework.core.audit_views import trail_filters

    if not export_confirmed():
        return _ask_for_password()
    _form, filters = trail_filters()
    if filters is None:
        abort(400)
    rows = list(exports.audit_rows(filters))
    recorded.audit_exported(current_user, filters, len(rows))
    return csv_response(_dated("journal"), exports.AUDIT_HEADERS, rows)


# --- Dashboard -----------------------------------------------------------------------------


def _dashboard_from_request() -> tuple[DashboardFilterForm, reports.Dashboard | None]:
    """The filters and, when they are valid, the dashboard; 403 for a region out of reach."""
    everywhere = scope_for(current_user.role, "reports.dashboard") is Scope.ALL
    regions = reports.selectable_regions(current_user)
    form = DashboardFilterForm(request.args)
    form.fill_choices(regions, reports.selectable_directorates(current_user), everywhere)
    if not form.validate():
        form.date_errors()
        return form, None
    try:
        period = reports.check_period(form.start.data, form.end.data)
        scope = reports.resolve_scope(
            current_user,
            _id_or_400(request.args.get("region")),
            _id_or_400(request.args.get("directorate")),
        )
    except reports.OutOfScope:
        deny("reports.dashboard", target_type="dashboard")
    except reports.ReportError as error:
        show_error(form, error, lambda message: form.form_errors.append(message))
        return form, None
    form.start.data, form.end.data = period.start, period.end
    if scope.region is not None and not everywhere:
        form.region.data = str(scope.region.id)
    return form, snapshots.current_dashboard(period, scope, regions)


def _id_or_400(raw: str | None) -> int | None:
    if not raw:
        return None
    ident = parse_id(raw)
    if ident is None:
        abort(400)
    return ident


# What ``quote_plus`` leaves as it is: most query values (ids, codes, ISO dates) need no quoting.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


def _query_value(value: Any) -> str:
    text = str(value)
    return text if _PLAIN.fullmatch(text) else quote_plus(text)


def list_url_builder() -> Callable[..., str]:
    """``url_for`` for the drill-down links without its cost per link: the lists' paths are
    fixed, only their query strings change, and a region's dashboard has a few hundred links
    (url_for was a third of the page's CPU). The query is ``urlencode``'s, quoting only the
    values that need it (``urlencode`` was a third of what was left)."""
    bases: dict[str, str] = {}

    def build(endpoint: str, **params: Any) -> str:
        if endpoint not in bases:
            bases[endpoint] = url_for(endpoint)
        query = "&".join(
            f"{_query_value(name)}={_query_value(value)}"
            for name, value in params.items()
            if value is not None
        )
        return f"{bases[endpoint]}?{query}" if query else bases[endpoint]

    return build


def drill_link(build: Callable[..., str]) -> Callable[..., Markup]:
    """A dashboard figure as a link to the list it counts (``build``'s address for ``endpoint``
    and ``params``), or as a number alone: a zero has nothing behind it, and a reader without
    the list's permission gets the number. A function rather than a template macro: a region's
    dashboard has hundreds of figures, and a macro call costs several times a function's."""

    def drill(value: Any, allowed: Any, endpoint: str, **params: Any) -> Markup:
        if value and allowed:
            return Markup(f'<a href="{escape(build(endpoint, **params))}">{escape(value)}</a>')
        return escape(value)

    return drill


@bp.get("/tableau-de-bord")
@requires("reports.dashboard")
def dashboard():
    form, board = _dashboard_from_request()
    if board is None:
        return render_template("reports/dashboard.html", form=form, board=None), 400
    recorded.dashboard_viewed(current_user, board)
    return _dashboard_page(form, board)


def _dashboard_page(form: DashboardFilterForm, board: reports.Dashboard) -> str:
    return render_template(
        "reports/dashboard.html",
        form=form,
        board=board,
        drill=drill_link(list_url_builder()),
        no_show_cohort=reports.no_show_cohort_code,
        charts=_charts(board),
        stage_labels=exports.STAGE_LABELS,
        max_age_minutes=int(snapshots.MAX_AGE.total_seconds() // 60),
    )


@bp.get("/tableau-de-bord/<dashboard_table:table>.csv")
@requires("reports.dashboard")
def dashboard_csv(table: str):
    if table not in exports.DASHBOARD_TABLES:
        abort(404)
    if not export_confirmed():
        return _ask_for_password()
    _form, board = _dashboard_from_request()
    if board is None:
        abort(400)
    exported = exports.dashboard_table(board, table)
    recorded.dashboard_exported(current_user, board, table, len(exported.rows))
    filename = _dated(f"tableau-de-bord-{TABLE_PATHS[table]}")
    return csv_response(filename, exported.headers, exported.rows)


def _charts(board: reports.Dashboard) -> dict[str, charts.BarChart]:
    loads = board.caseload
    needs = board.needs
    totals = {
        stage: sum(row.stage(stage) for row in board.funnel) for stage in reports.FUNNEL_STAGES
    }
    return {
        "caseload": charts.bar_chart(
            "chart-caseload",
            _("Active cases per agent"),
            _(
                "Horizontal bars: the number of active cases of each agent. The table beside gives the same numbers."
            ),
            [(a.agent_name, [a.total, a.overdue]) for a in loads],
            [_("Active cases"), _("Follow-ups overdue")],
        ),
        "needs": charts.bar_chart(
            "chart-needs",
            _("Open needs by domain"),
            _(
                "Horizontal bars: the number of open cases with at least one open need in each domain. The table beside gives the numbers by region."
            ),
            [(d.label, [needs.domain_total(d.id)]) for d in needs.domains],
            [_("Cases")],
        ),
        "funnel": charts.bar_chart(
            "chart-funnel",
            _("Referral funnel"),
            _(
                "Horizontal bars: how many of the referrals submitted in the period reached each stage, all organisations together. The table beside gives them by organisation."
            ),
            [
                (str(exports.STAGE_LABELS[stage]), [totals[stage]])
                for stage in reports.FUNNEL_STAGES
            ],
            [_("Referrals")],
        ),
        "delays": charts.bar_chart(
            "chart-delays",
            _("Time to service"),
            _(
                "Horizontal bars: median and 90th percentile, in days, of each measure. The table beside gives the same numbers and how many people were counted."
            ),
            [(stat.label, [stat.median, stat.p90]) for stat in board.delays],
            [_("Median (days)"), _("90th percentile (days)")],
        ),
    }


# --- The person's whole file (right of access) -------------------------------------------------


@bp.get("/dossiers/<int:case_id>/dossier-complet.json")
@requires("reports.export_file")
def person_file_json(case_id: int):
    case = load_case(case_id, "reports.export_file")
    data = exports.person_file(current_user, case)
    filename = f"dossier-complet-{case.number}.json"
    exports.record_file_export(current_user, case, "json", len(data["cases"]))
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _archive(data: dict, documents: list) -> Any:
    """The zip of the file and its documents, ready to read from the start."""
    storage = attachment_operations.services_from(current_app.config).storage
    # Closed by send_file once the response is sent; past 8 MB it spills to a temporary file.
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    exports.write_archive(data, documents, storage.open, archive)
    archive.seek(0)
    return archive


@bp.get("/dossiers/<int:case_id>/dossier-complet.zip")
@requires("reports.export_file")
def person_file_zip(case_id: int):
    """The whole file with its documents: the JSON, and each document's file beside it."""
    case = load_case(case_id, "reports.export_file")
    data = exports.person_file(current_user, case)
    documents = exports.archive_documents(current_user, case)
    archive = _archive(data, documents)
    exports.record_file_export(
        current_user, case, "zip", len(data["cases"]), documents=len(documents)
    )
    return send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"dossier-complet-{case.number}.zip",
    )


@bp.get("/dossiers/<int:case_id>/dossier-complet")
@requires("reports.export_file")
def person_file_page(case_id: int):
    case = load_case(case_id, "reports.export_file")
    data = exports.person_file(current_user, case)
    exports.record_file_export(current_user, case, "html", len(data["cases"]))
    return render_template(
        "reports/person_file.html",
        case=case,
        data=data,
        person_fields=exports.PERSON_FIELDS,
        labels=exports.LABELS,
        level_labels=LEVEL_LABELS,
    )


# --- The action plan's indicators (issue 19) -------------------------------------------------


def _indicators_from_request() -> tuple[DashboardFilterForm, indicators.Indicators | None, Any]:
    """The filters and, when valid, the indicators (the current year by default); 403 for a
    region out of reach."""
    action = "reports.indicators"
    everywhere = scope_for(current_user.role, action) is Scope.ALL
    regions = reports.selectable_regions(current_user, action)
    form = DashboardFilterForm(request.args)
    form.fill_choices(regions, reports.selectable_directorates(current_user, action), everywhere)
    if not form.validate():
        form.date_errors()
        return form, None, regions
    today = local_today()
    try:
        period = reports.check_period(
            form.start.data or today.replace(month=1, day=1), form.end.data or today
        )
        scope = reports.resolve_scope(
            current_user,
            _id_or_400(request.args.get("region")),
            _id_or_400(request.args.get("directorate")),
            action,
        )
    except reports.OutOfScope:
        deny(action, target_type="indicators")
    except reports.ReportError as error:
        show_error(form, error, lambda message: form.form_errors.append(message))
        return form, None, regions
    form.start.data, form.end.data = period.start, period.end
    if scope.region is not None and not everywhere:
        form.region.data = str(scope.region.id)
    exact = scope_for(current_user.role, action) is Scope.CASELOAD
    board = snapshots.current_indicators(period.start, period.end, scope.region_ids, exact)
    return form, board, regions


@bp.get("/indicateurs")
@requires("reports.indicators")
def indicators_page():
    form, board, regions = _indicators_from_request()
    if board is None:
        return render_template("reports/indicators.html", form=form, board=None), 400
    recorded.indicators_viewed(current_user, board)
    return _indicators_page(form, board, regions)


def _indicators_page(form: DashboardFilterForm, board: indicators.Indicators, regions: Any) -> str:
    return render_template(
        "reports/indicators.html",
        form=form,
        board=board,
        regions=regions,
        measures=indicators.MEASURES,
        pilot_rows=indicators.pilot_rows(board, regions),
        shown=indicators.shown,
        settlement_cells=indicators.settlement_cells,
        rate_text=indicators.rate_text,
        drillable=indicators.drillable,
        drill_url=_drill_url_builder(board),
        pending=indicators.PENDING,
        not_recorded=indicators.NOT_RECORDED,
        max_age_minutes=int(snapshots.MAX_AGE.total_seconds() // 60),
    )


def _drill_url_builder(board: indicators.Indicators) -> Callable[..., str | None]:
    """The caseload's address listing an indicator's cases (None for those who do not read
    cases: an administrator's province view shows the figures only)."""
    if scope_for(current_user.role, "cases.read") is None:
        return lambda *_args, **_kwargs: None
    build = list_url_builder()
    only_region = board.region_ids[0] if board.region_ids and len(board.region_ids) == 1 else None

    def url(key: str, region_id: int | None = None) -> str:
        return build(
            "cases.index",
            cohort=indicators.cohort_code(key),
            start=board.start.isoformat(),
            end=board.end.isoformat(),
            region=region_id or only_region,
        )

    return url


@bp.get("/indicateurs.csv")
@requires("reports.indicators")
def indicators_csv():
    if not export_confirmed():
        return _ask_for_password()
    _form, board, regions = _indicators_from_request()
    if board is None:
        abort(400)
    rows = indicators_export.csv_rows(board, regions)
    recorded.indicators_exported(current_user, board, len(rows))
    return csv_response(_dated("indicateurs"), indicators_export.CSV_HEADERS, rows)
