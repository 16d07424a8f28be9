"""Domain events and extension points (core/events.py): in-process, synchronous, in the caller's
transaction; and the wiring every application has (``casework events``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.core import events
from casework.core.audit import AuditEvent, record
from casework.core.events import Event, ExtensionPoint, emit, listens_to, wiring
from casework.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SomethingHappened(Event):
    thing_id: int


@pytest.fixture
def scratch_listeners():
    """Listeners a test registers are gone after it: the registry is the application's."""
    before = {kind: list(listeners) for kind, listeners in events._listeners.items()}
    yield
    events._listeners.clear()
    events._listeners.update(before)


def test_listeners_run_at_once_in_registration_order_and_report(scratch_listeners):
    heard = []

    @listens_to(SomethingHappened)
    def first(event):
        heard.append(("first", event.thing_id))
        return {"first": 1}

    @listens_to(SomethingHappened)
    def second(event):
        heard.append(("second", event.thing_id))

    listens_to(SomethingHappened)(first)  # a module imported twice registers once

    assert emit(SomethingHappened(thing_id=7)) == [{"first": 1}]
    assert heard == [("first", 7), ("second", 7)]


def test_an_event_nobody_listens_to_is_harmless():
    assert emit(SomethingHappened(thing_id=1)) == []


def test_only_events_can_be_listened_to():
    with pytest.raises(TypeError):
        listens_to(str)


def test_listeners_write_in_the_callers_transaction(ctx, scratch_listeners):
    @listens_to(SomethingHappened)
    def write_a_trace(event):
        record(None, "test.listener", target_type="thing", target_id=event.thing_id)

    emit(SomethingHappened(thing_id=4242))
    db.session.flush()
    traces = select(AuditEvent).where(AuditEvent.action == "test.listener")
    assert db.session.scalar(traces) is not None
    db.session.rollback()  # the change that emitted the event is abandoned: so is the trace
    assert db.session.scalar(traces) is None


def test_a_failing_listener_fails_the_change(scratch_listeners):
    @listens_to(SomethingHappened)
    def refuse(_event):
        raise ValueError("no")

    with pytest.raises(ValueError):
        emit(SomethingHappened(thing_id=1))


def test_extension_points_keep_one_of_each_in_order():
    point: ExtensionPoint[str] = ExtensionPoint("test.point", "a test")
    try:
        point.add("a")
        point.add("b")
        point.add("a")
        assert list(point) == ["a", "b"]
    finally:
        del ExtensionPoint.all["test.point"]


# The application's own wiring: what the layers rely on.
EXPECTED = {
    ("event", "cases.events.CaseTransferred", "appointments.listeners.hand_over_upcoming"),
    ("event", "cases.events.CaseTransferred", "referrals.listeners.follow_the_case"),
    ("event", "cases.events.CaseStatusChanged", "reminders.listeners.case_status_changed"),
    ("event", "cases.events.CasesAnonymised", "plans.listeners.delete_plans"),
    ("event", "cases.events.CasesAnonymised", "reminders.listeners.cancel_open"),
    ("event", "appointments.events.AppointmentBooked", "reminders.listeners.appointment_changed"),
    (
        "event",
        "plans.events.PlanActionStatusChanged",
        "reminders.listeners.plan_action_followed",
    ),
    ("event", "referrals.events.ReferralStatusChanged", "reminders.listeners.referral_moved"),
    (
        "extension",
        "reference.seed_loaders",
        "appointments.seed.load_appointment_types (appointment_types)",
    ),
    (
        "extension",
        "reference.seed_loaders",
        "reminders.rules.load_follow_up_rules (follow_up_rules)",
    ),
    (
        "extension",
        "cases.page_sections",
        "appointments.listeners.case_glance (appointments)",
    ),
    ("extension", "cases.page_sections", "reminders.listeners.case_glance (follow_up)"),
    ("extension", "cases.page_sections", "plans.listeners.case_glance (plan)"),
    ("extension", "cases.page_sections", "referrals.listeners.case_glance (referrals)"),
    (
        "extension",
        "cases.timeline_sources",
        "cases.timeline.interaction_entries (note)",
    ),
    (
        "extension",
        "cases.timeline_sources",
        "reminders.listeners.timeline_entries (reminder)",
    ),
    (
        "extension",
        "cases.caseload_needs_in_domain",
        "assessments.operations.has_open_needs_in",
    ),
    (
        "extension",
        "plans.action_places",
        "referrals.operations.referred_organisations",
    ),
}


def test_every_application_has_the_features_listeners(app):
    lines = {(line.kind, line.target, line.listener) for line in wiring()}
    assert lines >= EXPECTED


def test_the_events_command_lists_who_listens_to_what(app):
    from casework.cli import cli

    with app.app_context():
        result = CliRunner().invoke(cli, ["events"])
    assert result.exit_code == 0, result.output
    assert "cases.events.CaseTransferred" in result.output
    assert "referrals.listeners.follow_the_case" in result.output
    assert "reference.seed_loaders" in result.output


def test_every_command_is_also_a_flask_command():
    """`flask --app casework.app <command>` finds the commands through entry points (the
    application does not import the command line): each must be declared."""
    from casework.cli import cli

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "flask.commands"
    ]
    assert set(declared) == set(cli.commands)
    for name, target in declared.items():
        module, _, attribute = target.partition(":")
        assert module == "casework.cli"
        assert getattr(sys.modules[module], attribute) is cli.commands[name]


@pytest.mark.no_transaction
def test_flask_runs_the_commands_of_the_application(tmp_path):
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(tmp_path)}
    env.pop("CASEWORK_DATABASE_URL", None)
    env.pop("CASEWORK_TEST_DATABASE_URL", None)
    flask = str(Path(sys.executable).with_name("flask"))
    result = subprocess.run(
        [flask, "--app", "casework.app", "events"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "reminders.listeners.case_status_changed" in result.stdout
