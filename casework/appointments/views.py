"""The airport console, the agents' calendar, appointments and availability."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.appointments import airport, arrivals, ics, operations, receptions
from casework.appointments import availability as windows
from casework.appointments.forms import (
    WEEKDAYS,
    AirportForm,
    CancelForm,
    CaseBookingForm,
    ExceptionForm,
    OutcomeForm,
    ReceptionForm,
    ReceptionLeftForm,
    RescheduleForm,
    TypeForm,
    WindowForm,
)
from casework.appointments.lines import rendered_lines
from casework.appointments.models import (
    AirportBooking,
    AirportReception,
    Appointment,
    AppointmentType,
    AvailabilityException,
    AvailabilityWindow,
    ExpectedArrival,
)
from casework.appointments.slots import SlotQuery, SlotRef, find_slots, to_local
from casework.auth.models import User
from casework.cases import choices as case_choices
from casework.cases.forms import parse_id
from casework.cases.models import Case
from casework.core import audit
from casework.core.domain import DomainError, show_error
from casework.core.forms import ConfirmForm, submitted
from casework.core.navigation import done
from casework.core.pagination import parse_page_number
from casework.core.permissions import Scope, load_or_abort, region_ids, requires, scope_for
from casework.core.roles import Role
from casework.core.time import local_today, utcnow
from casework.core.unit_of_work import flash_error, refusals_answered_by, refusals_go_to
from casework.extensions import db
from casework.reference.models import HostCity, Region, ServicePoint
from casework.reference.places import place_choices
from casework.reference.revision import REFERENCE_REVISION

airport_bp = Blueprint("airport", __name__, url_prefix="/aeroport")
bp = Blueprint("appointments", __name__, url_prefix="/rendez-vous")

SLOTS_SHOWN = 12


def _labels() -> dict[str, Any]:
    return {
        "statuses": operations.STATUSES,
        "modes": operations.MODES,
        "cancel_reasons": operations.CANCEL_REASONS,
        "flight_types": operations.FLIGHT_TYPES,
        "categories": case_choices.IMMIGRATION_CATEGORIES,
        "language_name": case_choices.language_name,
        "to_local": to_local,
        "weekdays": WEEKDAYS,
        "exception_kinds": operations.EXCEPTION_KINDS,
    }


# --- Airport console ------------------------------------------------------------------------


def _airport_form(arrival: ExpectedArrival | None = None) -> AirportForm:
    form = AirportForm()
    if arrival is not None:
        form.prefill(arrival)
    # The places' lists as of the reference revision this request read with its session.
    revision = current_user.session_figures.get(REFERENCE_REVISION)
    form.fill_choices(place_choices(revision), leave_out=airport.SERVICE_POINT)
    return form


def _render_console(
    form: AirportForm,
    slots=None,
    duplicates: int = 0,
    status: int = 200,
    arrival: ExpectedArrival | None = None,
):
    today = local_today()
    return (
        render_template(
            "appointments/airport.html",
            form=form,
            arrival=arrival,
            slots=slots,
            duplicates=duplicates,
            hours=airport.opening_hours(utcnow()),
            staff_days=operations.airport_bookings_on(today),
            today=today,
            **_labels(),
        ),
        status,
    )


@airport_bp.get("/")
@requires("airport.use")
def console():
    return _render_console(_airport_form())


@airport_bp.post("/")
@requires("airport.use")
def console_post():
    form = _airport_form()
    if not form.validate_on_submit():
        return _render_console(form, status=400)
    arrival = _posted_arrival(form)
    refusals_answered_by(partial(_console_refused, form, arrival=arrival))
    intake = form.intake()
    if request.form.get("step") == "book":
        return _book(form, intake, arrival)
    return _search(form, intake, arrival)


def _posted_arrival(form: AirportForm) -> ExpectedArrival | None:
    """The expected arrival the console was filled from, if any (the team's shared list)."""
    if not form.arrival_id.data:
        return None
    return load_or_abort(ExpectedArrival, form.arrival_id.data, "airport.arrivals")


def _console_refused(form: AirportForm, error: DomainError, arrival: ExpectedArrival | None = None):
    """The console again with the reason: the slots still free when the chosen one was taken
    (409), or the files that look like this person."""
    show_error(form, error, flash_error)
    slots = getattr(error, "alternatives", None)
    duplicates = getattr(error, "count", 0)
    status = 409 if getattr(error, "conflict", False) else 400
    return _render_console(form, slots=slots, duplicates=duplicates, status=status, arrival=arrival)


def _search(
    form: AirportForm, intake: operations.AirportIntake, arrival: ExpectedArrival | None = None
):
    operations.validate_intake(intake)
    kind = operations.appointment_type("first_interview")
    query = operations.airport_slot_query(intake, kind, form.mode.data, form.service_point_id.data)
    duplicates = operations.check_duplicates(current_user, intake)
    slots = find_slots(query, limit=SLOTS_SHOWN)
    if not slots:
        flash(
            _(
                "No free slot in the next %(days)d days for these criteria: try another mode or "
                "service point.",
                days=query.days,
            ),
            "warning",
        )
    return _render_console(form, slots=slots, duplicates=duplicates, arrival=arrival)


def _book(
    form: AirportForm, intake: operations.AirportIntake, arrival: ExpectedArrival | None = None
):
    slot = SlotRef.parse(request.form.get("slot"))
    if arrival is not None:
        booking = arrivals.book(
            current_user, arrival, intake, slot, form.mode.data, form.service_point_id.data
        )
    else:
        booking = operations.book_from_airport(
            current_user, intake, slot, form.mode.data, form.service_point_id.data
        )
    return done(
        _("Appointment booked. Print the slip for the person."),
        url_for("airport.slip", booking_id=booking.id),
    )


@airport_bp.get("/arrivees-attendues")
@requires("airport.arrivals")
def arrivals_index():
    """The persons the ministry's systems announced, today's and the next days' first."""
    page = arrivals.listed(current_user, parse_page_number(request.args.get("page")))
    return render_template(
        "appointments/arrivals.html", page=page, today_starts=arrivals.start_of_day(), **_labels()
    )


@airport_bp.get("/arrivees-attendues/<int:arrival_id>")
@requires("airport.arrivals")
def arrival_booking(arrival_id: int):
    """The console filled from an expected arrival: find a slot, and the booking opens the case
    and marks the arrival received."""
    arrival = load_or_abort(ExpectedArrival, arrival_id, "airport.arrivals")
    refusals_go_to(url_for("airport.arrivals_index"))
    arrivals.opened(current_user, arrival)
    return _render_console(_airport_form(arrival), arrival=arrival)


def _reception_form() -> ReceptionForm:
    form = ReceptionForm()
    form.fill_choices(
        db.session.scalars(select(Region).order_by(Region.code)).all(),
        db.session.scalars(
            select(HostCity).options(joinedload(HostCity.region)).order_by(HostCity.name)
        ).all(),
    )
    return form


def _receptions_page(form: ReceptionForm):
    """The list and the form; 400 when the form comes back with errors (nothing was stored)."""
    people = receptions.current()
    html = render_template(
        "appointments/receptions.html",
        form=form,
        people=people,
        left_forms={p.id: ReceptionLeftForm(version=p.version) for p in people if p.in_care},
        **_labels(),
    )
    return html, 400 if any(field.errors for field in form) else 200


@airport_bp.route("/accueils", methods=["GET", "POST"])
@requires("airport.receptions")
def receptions_index():
    """The refugees in the service's care: welcome one without a booking, see who is waiting."""
    form = _reception_form()
    page = partial(_receptions_page, form)
    if not submitted(form, page):
        return page()
    reception = receptions.welcome(current_user, form.fields())
    return done(
        _(
            "%(name)s is in the service's care until leaving for %(city)s.",
            name=reception.full_name,
            city=reception.host_city,
        ),
        url_for("airport.receptions_index"),
    )


@airport_bp.post("/accueils/<int:reception_id>/depart")
@requires("airport.receptions")
def reception_left(reception_id: int):
    reception = load_or_abort(AirportReception, reception_id, "airport.receptions")
    form = ReceptionLeftForm()
    if not form.validate_on_submit():
        abort(400)
    refusals_go_to(url_for("airport.receptions_index"))
    receptions.left(current_user, reception, form.version.data)
    return done(
        _(
            "Recorded: %(name)s left for %(city)s.",
            name=reception.full_name,
            city=reception.host_city,
        ),
        url_for("airport.receptions_index"),
    )


def _load_booking(booking_id: int) -> AirportBooking:
    return load_or_abort(AirportBooking, booking_id, "airport.bookings")


def _slip_language() -> str:
    return "en" if request.args.get("langue") == "en" else "fr_CA"


@airport_bp.get("/reservations/<int:booking_id>")
@requires("airport.bookings")
def slip(booking_id: int):
    booking = _load_booking(booking_id)
    language = _slip_language()
    with force_locale(language):
        html = render_template(
            "appointments/slip.html",
            booking=booking,
            point=booking.appointment.service_point,
            type_label=booking.appointment.type.label,
            language=language,
            **_labels(),
        )
    return html


@airport_bp.get("/reservations/<int:booking_id>/rendez-vous.ics")
@requires("airport.bookings")
def slip_ics(booking_id: int):
    booking = _load_booking(booking_id)
    with force_locale(_slip_language()):
        body = ics.booking_calendar_file(booking)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": "attachment; filename=rendez-vous.ics"},
    )


# --- Calendar -------------------------------------------------------------------------------


def _parse_day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _calendar_owner() -> User:
    """The agent whose calendar is shown: oneself, or (supervisor) an agent of the region."""
    wanted = request.args.get("agent")
    if not wanted:
        if current_user.role == Role.AGENT.value:
            return current_user
        agents = operations.agents_of_region(region_ids(current_user))
        if not agents:
            abort(404)
        return agents[0]
    agent_id = parse_id(wanted)
    if agent_id is None:
        abort(404)
    owner = load_or_abort(User, agent_id, "appointments.calendar")
    if owner.role != Role.AGENT.value:
        abort(404)
    return owner


@bp.get("/")
@requires("appointments.calendar")
def calendar():
    owner = _calendar_owner()
    view = "week" if request.args.get("vue") == "semaine" else "day"
    day = _parse_day(request.args.get("date"))
    if request.args.get("date") and day is None:
        flash(_("This date is not valid; today is shown."), "warning")
    return render_template(
        "appointments/calendar.html", **_calendar_page(owner, view, day or local_today())
    )


def _calendar_page(owner: User, view: str, day: date) -> dict:
    """The day's or the week's appointments of ``owner``, and the links around them."""
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    last = first + timedelta(days=6) if view == "week" else day
    step = timedelta(days=7 if view == "week" else 1)
    return {
        "owner": owner,
        "view": view,
        "day": day,
        "first": first,
        "last": last,
        "by_day": _by_day(operations.calendar(owner.id, first, last), first, last),
        "previous_day": day - step,
        "next_day": day + step,
        "today": local_today(),
        "agents": _selectable_agents(),
        **_labels(),
    }


def _by_day(appointments: list[Appointment], first: date, last: date):
    """Each day from ``first`` to ``last`` (local time), with its appointments."""
    by_day: dict[date, list[Appointment]] = {
        first + timedelta(days=n): [] for n in range((last - first).days + 1)
    }
    for appointment in appointments:
        by_day.setdefault(to_local(appointment.starts_at).date(), []).append(appointment)
    return by_day


def _selectable_agents() -> list[User]:
    if scope_for(current_user.role, "appointments.calendar") is Scope.REGION:
        return operations.agents_of_region(region_ids(current_user))
    return []


def _load(appointment_id: int, action: str) -> Appointment:
    return load_or_abort(Appointment, appointment_id, action)


@bp.get("/<int:appointment_id>")
@requires("appointments.read")
def show(appointment_id: int):
    appointment = _load(appointment_id, "appointments.read")
    audit.record(
        current_user, "appointment.viewed", appointment.case, appointment_id=appointment.id
    )
    return render_template("appointments/show.html", **_appointment_page(appointment))


def _appointment_page(appointment: Appointment) -> dict:
    booking = db.session.scalar(
        select(AirportBooking).where(AirportBooking.appointment_id == appointment.id)
    )
    cancel_form = CancelForm(version=appointment.version)
    cancel_form.fill_choices()
    return {
        "appointment": appointment,
        "booking": booking,
        "outcome_form": OutcomeForm(version=appointment.version),
        "cancel_form": cancel_form,
        "started": appointment.starts_at <= utcnow(),
        "next_slots": _after_no_show(appointment),
        "rebook_form": ConfirmForm(),
        "lines": rendered_lines(appointment),
        **_labels(),
    }


NEXT_SLOTS_OFFERED = 5


def _after_no_show(appointment: Appointment) -> list:
    """A missed appointment offers the next free slots of the same agent, type and mode."""
    if appointment.status != "no_show" or appointment.case.is_closed:
        return []
    return find_slots(
        SlotQuery(
            duration=appointment.ends_at - appointment.starts_at,
            mode=appointment.mode,
            language=appointment.interpreter_language,
            agent_id=appointment.case.agent_id,
        ),
        limit=NEXT_SLOTS_OFFERED,
    )


@bp.post("/<int:appointment_id>/nouveau-rendez-vous")
@requires("appointments.book")
def rebook(appointment_id: int):
    """After a no-show: the slot chosen among those offered becomes a new appointment, which the
    person is sent (confirmation and reminder, as they consented)."""
    missed = load_or_abort(Appointment, appointment_id, "appointments.book")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if missed.status != "no_show":
        abort(409)
    refusals_answered_by(partial(_shown_again, appointment_id))
    new = _book_again(missed, SlotRef.parse(request.form.get("slot")))
    return done(
        _("New appointment booked; the person is sent it as they agreed to be contacted."),
        url_for("appointments.show", appointment_id=new.id),
    )


def _book_again(missed: Appointment, slot: SlotRef) -> Appointment:
    """The same type, mode and interpreter as the missed appointment, at ``slot``."""
    new = operations.book_for_case(
        current_user, missed.case, slot, missed.type.code, missed.mode, missed.interpreter_language
    )
    db.session.flush()
    return new


@bp.post("/<int:appointment_id>/resultat")
@requires("appointments.manage")
def outcome(appointment_id: int):
    appointment = _load(appointment_id, "appointments.manage")
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    refusals_answered_by(partial(_shown_again, appointment_id))
    result = request.form.get("outcome", "")
    pilot = bool(form.interpretation_pilot.data)
    operations.record_outcome(current_user, appointment, result, form.version.data, pilot=pilot)
    return done(
        _("Appointment: %(status)s.", status=operations.STATUSES[result]),
        url_for("appointments.show", appointment_id=appointment_id),
    )


def _shown_again(appointment_id: int, error: DomainError):
    flash_error(str(error))
    return show(appointment_id), 400


@bp.route("/<int:appointment_id>/annuler", methods=["GET", "POST"])
@requires("appointments.manage")
def cancel(appointment_id: int):
    appointment = _load(appointment_id, "appointments.manage")
    form = CancelForm(version=appointment.version)
    form.fill_choices()
    page = partial(_cancel_page, appointment, form)
    if not submitted(form, page):
        return page()
    reason, comment = form.reason.data, form.comment.data
    operations.cancel(current_user, appointment, reason, comment, form.version.data)
    return done(
        _("Appointment cancelled; the time is free again."),
        url_for("appointments.show", appointment_id=appointment_id),
    )


def _cancel_page(appointment: Appointment, form: CancelForm):
    html = render_template(
        "appointments/cancel.html", appointment=appointment, form=form, **_labels()
    )
    return html, 400 if form.errors else 200


@bp.route("/<int:appointment_id>/deplacer", methods=["GET", "POST"])
@requires("appointments.manage")
def reschedule(appointment_id: int):
    appointment = _load(appointment_id, "appointments.manage")
    if not appointment.is_open:
        abort(409)
    form = RescheduleForm(version=appointment.version)
    page = partial(_reschedule_page, appointment, form)
    if not (submitted(form, page) and request.form.get("step") == "book"):
        return page(400 if form.errors else 200)
    refusals_answered_by(partial(_slot_refused, page))
    slot = SlotRef.parse(request.form.get("slot"))
    operations.reschedule(current_user, appointment, slot, form.version.data)
    return done(
        _("Appointment moved."), url_for("appointments.show", appointment_id=appointment_id)
    )


def _reschedule_page(appointment: Appointment, form: RescheduleForm, status: int = 200):
    not_before = None if form.not_before.errors else form.not_before.data
    slots = find_slots(_reschedule_query(appointment, not_before), limit=SLOTS_SHOWN)
    return render_template(
        "appointments/reschedule.html",
        appointment=appointment,
        form=form,
        slots=slots,
        **_labels(),
    ), status


def _slot_refused(page, error: DomainError):
    """The slot was taken meanwhile (409), or is not offered: the free slots again."""
    flash_error(str(error))
    return page(409 if isinstance(error, operations.SlotUnavailable) else 400)


def _reschedule_query(appointment: Appointment, not_before: date | None) -> SlotQuery:
    return operations.reschedule_query(appointment, _start_of(not_before))


def _start_of(day: date | None) -> datetime | None:
    if day is None:
        return None
    return operations.local_day_bounds(day, day)[0]


# --- Booking from a case --------------------------------------------------------------------


@bp.route("/dossier/<int:case_id>/reserver", methods=["GET", "POST"])
@requires("appointments.book")
def book(case_id: int):
    case = load_or_abort(Case, case_id, "appointments.book")
    form = CaseBookingForm()
    form.fill_choices(operations.appointment_types())
    if not form.is_submitted():
        return _render_booking(case, form, [], 200)
    if not form.validate():
        return _render_booking(case, form, [], 400)
    if request.form.get("step") != "book":
        return _render_booking(case, form, _case_slots(case, form), 200)
    refusals_answered_by(partial(_booking_refused, case, form))
    _book_from_case(case, form, SlotRef.parse(request.form.get("slot")))
    return done(_("Appointment booked."), url_for("cases.show", case_id=case.id))


def _book_from_case(case: Case, form: CaseBookingForm, slot: SlotRef) -> None:
    person = case.person
    interpreter = person.interpreter_language if person.interpreter_needed else None
    operations.book_for_case(
        current_user, case, slot, form.type_code.data, form.mode.data, interpreter
    )


def _booking_refused(case: Case, form: CaseBookingForm, error: DomainError):
    show_error(form, error, flash_error)
    status = 409 if getattr(error, "conflict", False) else 400
    return _render_booking(case, form, _case_slots(case, form), status)


def _case_slots(case: Case, form: CaseBookingForm):
    try:
        kind = operations.appointment_type(form.type_code.data or "")
    except DomainError:
        return []
    if form.mode.data not in operations.MODES:
        return []
    person = case.person
    return find_slots(
        SlotQuery(
            duration=timedelta(minutes=kind.duration_minutes),
            mode=form.mode.data,
            language=person.interpreter_language if person.interpreter_needed else None,
            agent_id=case.agent_id,
            not_before=_start_of(form.not_before.data),
        ),
        limit=SLOTS_SHOWN,
    )


def _render_booking(case: Case, form: CaseBookingForm, slots, status: int):
    return render_template(
        "appointments/book.html", case=case, form=form, slots=slots, **_labels()
    ), status


# --- Availability ---------------------------------------------------------------------------


def _availability_owner() -> User:
    wanted = request.values.get("agent")
    if not wanted:
        if current_user.role != Role.AGENT.value:
            agents = operations.agents_of_region(region_ids(current_user))
            if not agents:
                abort(404)
            return agents[0]
        return current_user
    agent_id = parse_id(wanted)
    if agent_id is None:
        abort(404)
    owner = load_or_abort(User, agent_id, "availability.manage")
    if owner.role != Role.AGENT.value:
        abort(404)
    return owner


def _region_points(region_id: int) -> list[ServicePoint]:
    return list(
        db.session.scalars(
            select(ServicePoint)
            .where(ServicePoint.region_id == region_id)
            .order_by(ServicePoint.name)
        )
    )


def _window_form(owner: User) -> WindowForm:
    form = WindowForm(prefix="window")
    form.fill_choices(_region_points(owner.region_id))
    if not form.is_submitted():
        form.service_point_id.data = owner.service_point_id
        form.modes.data = ["in_person", "phone", "video"]
    return form


def _exception_form() -> ExceptionForm:
    form = ExceptionForm(prefix="exception")
    form.fill_choices()
    return form


@bp.get("/disponibilites")
@requires("availability.manage")
def availability():
    owner = _availability_owner()
    return _render_availability(owner, _window_form(owner), _exception_form())


def _render_availability(owner, window_form, exception_form, status: int = 200):
    return render_template(
        "appointments/availability.html",
        owner=owner,
        windows=windows.windows_of(owner.id),
        exceptions=windows.exceptions_of(owner.id, since=local_today()),
        window_form=window_form,
        exception_form=exception_form,
        confirm=ConfirmForm(),
        agents=operations.agents_of_region(region_ids(current_user))
        if current_user.role == Role.SUPERVISOR.value
        else [],
        **_labels(),
    ), status


@bp.post("/disponibilites/periodes")
@requires("availability.manage")
def add_window():
    owner = _availability_owner()
    form = _window_form(owner)
    page = partial(_render_availability, owner, form, _exception_form(), 400)
    if not submitted(form, page):
        return page()
    windows.add_window(current_user, owner, form.values())
    return done(_("Availability added."), url_for("appointments.availability", agent=owner.id))


@bp.post("/disponibilites/exceptions")
@requires("availability.manage")
def add_exception():
    owner = _availability_owner()
    form = _exception_form()
    page = partial(_render_availability, owner, _window_form(owner), form, 400)
    if not submitted(form, page):
        return page()
    first, last = form.starts_on.data, form.ends_on.data
    windows.add_exception(current_user, owner, first, last, form.kind.data, form.note.data)
    clashes = windows.appointments_during(owner.id, first, last)
    if clashes:
        message = _("%(count)d booked appointment(s) fall on these days: move them.", count=clashes)
        flash(message, "warning")
    message = _("Absence recorded: no slot is offered on these days.")
    return done(message, url_for("appointments.availability", agent=owner.id))


def _confirmed_removal(item, remove, done_message: str, template: str, name: str):
    """Ask first (GET), remove on the confirmation's POST, then back to the agent's availability."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(template, form=form, **{name: item}, **_labels())
    owner_id = item.agent_id
    remove(current_user, item)
    return done(done_message, url_for("appointments.availability", agent=owner_id))


@bp.route("/disponibilites/periodes/<int:window_id>/supprimer", methods=["GET", "POST"])
@requires("availability.manage")
def remove_window(window_id: int):
    return _confirmed_removal(
        load_or_abort(AvailabilityWindow, window_id, "availability.manage"),
        windows.remove_window,
        _("Availability removed. Booked appointments are kept."),
        "appointments/remove_window.html",
        "window",
    )


@bp.route("/disponibilites/exceptions/<int:exception_id>/supprimer", methods=["GET", "POST"])
@requires("availability.manage")
def remove_exception(exception_id: int):
    return _confirmed_removal(
        load_or_abort(AvailabilityException, exception_id, "availability.manage"),
        windows.remove_exception,
        _("Absence removed."),
        "appointments/remove_exception.html",
        "exception",
    )


# --- Appointment types ----------------------------------------------------------------------


@bp.route("/types", methods=["GET", "POST"])
@requires("appointments.configure")
def types():
    kinds = db.session.scalars(select(AppointmentType).order_by(AppointmentType.position)).all()
    forms = {kind.id: TypeForm(prefix=f"type{kind.id}", obj=kind) for kind in kinds}
    if request.method == "GET":
        return render_template("appointments/types.html", kinds=kinds, forms=forms)
    edited = parse_id(request.form.get("type_id"))
    if edited not in forms:
        abort(400)
    form = forms[edited]
    page = partial(render_template, "appointments/types.html", kinds=kinds, forms=forms)
    if not submitted(form, lambda: (page(), 400)):
        return page(), 400
    kind = db.session.get(AppointmentType, edited)
    operations.update_type(current_user, kind, form.duration_minutes.data, form.version.data)
    return done(_("Duration saved."), url_for("appointments.types"))
