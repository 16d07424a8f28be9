"""Every form of the application, posted with generated values by a user allowed to use it.

The routes come from the URL map (every rule that takes a POST); their ids from the demo data,
with the user the object belongs to (the case's agent, the appointment's, an administrator for
users and rules…). Each post carries a valid CSRF token, so the values reach the forms'
validation and the operations. The answer is 200, 302, 400 or 409, never a 500; a refused
post (400) writes nothing: every table but the audit trail keeps its row count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

import pytest
from flask import current_app, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from casework.api.models import ApiToken
from casework.appointments.models import (
    AirportReception,
    Appointment,
    AvailabilityException,
    AvailabilityWindow,
)
from casework.attachments.models import Attachment
from casework.auth.models import User
from casework.cases.models import Case, CaseTransfer, Consent, HouseholdMember
from casework.core.permissions import POLICY, declared_action
from casework.extensions import db
from casework.messages.models import CHANNELS, KINDS
from casework.plans.models import Plan, PlanAction
from casework.reference.models import HostCity, Occupation, Organisation
from casework.referrals.models import Referral
from casework.reminders.models import FollowUpRule, Notification, Reminder
from tests import helpers

PASSWORD = "Demo-mot-de-passe-2026"
ALLOWED = {200, 302, 400, 409}
FIELD_NAMES: dict[int, dict[str, list[str]]] = {}  # the form fields of each URL, first seen
CLIENTS: dict[int, dict] = {}  # one signed-in test client per user, for one test's world
REMOVALS: dict[int, set] = {}  # the removing routes that succeeded, per world
REMOVING = re.compile(r"remove|delete|withdraw|disable|cancel")
# Posting to these changes the session itself (signing in or out, the language, one's own
# password or second factor): tests/auth covers them; posted here, they would sign the test out.
SESSION_ROUTES = {
    "auth.login",
    "auth.logout",
    "auth.second_factor_code",
    "auth.enrol_at_sign_in",
    "auth.change_password",
    "auth.enrol_second_factor",
    "auth.turn_off_second_factor",
    "auth.renew_recovery_codes",
    "core.set_language",
}
# Not forms: the JSON API (tests/api/test_fuzz.py fuzzes it from its OpenAPI document), the SMS
# gateway's signed callback and the person's opt-out link (tests/messages covers both).
MACHINE_ROUTES = {"messages.sms_webhook", "messages.opt_out"}
# Tables a refused post may still write: the audit trail records the reads of the page shown.
WRITTEN_ON_READ = re.compile(r"audit|access|heartbeat|scheduler|metric")

AWKWARD = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1",
    "99999999999999999999",
    "2026-02-30",
    "1800-01-01",
    "9999-12-31",
    "2026-06-15",
    "2026-06-15T09:45",
    "25:61",
    "09:45",
    "a\r\nb",
    "\x00",
    "514 555-0123",
    "12345",
    "H2X 1Y4",
    "nom@exemple.ca",
    "pas une adresse",
    "y",
    "on",
    "draft",
    "complete",
    "closed",
    "urgent",
    "fr",
    "tlh",
    "CA",
    "ZZ",
    "<script>alert(1)</script>",
    "é" * 300,
    "x" * 20_000,
]
VALUE = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=40))
VALUES = st.one_of(VALUE, st.lists(VALUE, min_size=0, max_size=3))


def _first(statement) -> Any:
    return db.session.execute(statement.limit(1)).first()


def _case_route(rule_args: set[str]) -> tuple[int, dict] | None:
    """A demo case with a row for each id the rule needs, and its agent."""
    needs: dict[str, tuple[Any, Any]] = {
        "consent_id": (Consent.id, Consent.case_id),
        "member_id": (HouseholdMember.id, HouseholdMember.case_id),
        "attachment_id": (Attachment.id, Attachment.case_id),
    }
    statement = select(Case.id, Case.agent_id).where(Case.status != "closed")
    columns = []
    for name in sorted(rule_args - {"case_id", "direction"}):
        if name == "action_id":
            statement = statement.join(Plan, Plan.case_id == Case.id).join(
                PlanAction, PlanAction.plan_id == Plan.id
            )
            columns.append((name, PlanAction.id))
        elif name in needs:
            column, case_column = needs[name]
            statement = statement.join(column.class_, case_column == Case.id)
            columns.append((name, column))
        else:
            return None
    # A case with a plan first: the plan's routes need one (the demo's first case may have none).
    has_no_plan = Case.id.not_in(select(Plan.case_id))
    row = _first(
        statement.add_columns(*(column for _, column in columns)).order_by(has_no_plan, Case.id)
    )
    if row is None:
        return None
    values = {"case_id": row[0], **{name: row[2 + i] for i, (name, _) in enumerate(columns)}}
    if "direction" in rule_args:
        values["direction"] = "monter"
    return row[1], values


def _admin() -> int:
    return db.session.scalar(select(User.id).where(User.role == "admin").order_by(User.id))


def _target_account() -> int:
    found = db.session.scalar(select(User.id).where(User.username == "cible-fuzz"))
    return found or helpers.create_user("agent", region="06", username="cible-fuzz").id


def _owner_route(name: str) -> tuple[int, dict] | None:
    owned: dict[str, Callable[[], Any]] = {
        # In a region with a supervisor: reassigning is theirs, the rest the agent's.
        "reminder_id": lambda: _first(
            select(Reminder.agent_id, Reminder.id)
            .where(Reminder.region_id.in_(select(User.region_id).where(User.role == "supervisor")))
            .order_by(Reminder.id)
        ),
        "appointment_id": lambda: _first(
            select(Appointment.agent_id, Appointment.id).where(Appointment.status == "booked")
        ),
        "window_id": lambda: _first(select(AvailabilityWindow.agent_id, AvailabilityWindow.id)),
        "exception_id": lambda: _first(
            select(AvailabilityException.agent_id, AvailabilityException.id)
        ),
        # An account of its own: resetting or disabling it signs no other test user out.
        "user_id": lambda: (_admin(), _target_account()),
        "rule_id": lambda: (_admin(), _first(select(FollowUpRule.id))[0]),
        "organisation_id": lambda: (_admin(), _first(select(Organisation.id))[0]),
        "occupation_id": lambda: (_admin(), _first(select(Occupation.id))[0]),
        "token_id": lambda: (_admin(), _first(select(ApiToken.id))[0]),
        "notification_id": lambda: _first(
            select(Notification.user_id, Notification.id).order_by(Notification.id)
        ),
        "reception_id": lambda: _first(
            select(AirportReception.welcomed_by_id, AirportReception.id).where(
                AirportReception.left_at.is_(None)
            )
        ),
    }
    if name not in owned:
        return None
    row = owned[name]()
    return (row[0], {name: row[1]}) if row else None


def _role_user(action: str) -> int | None:
    roles = [str(role) for role in POLICY.get(action, {})]
    return db.session.scalar(
        select(User.id).where(User.role.in_(roles), User.active).order_by(User.id)
    )


def _resolve(rule, action: str) -> tuple[int, str] | None:
    """(the user allowed to post, the URL) for a rule, from the demo data."""
    args = set(rule.arguments)
    found: tuple[int, dict] | None
    if "case_id" in args:
        found = _case_route(args)
    elif "referral_id" in args:
        # The agent submits a draft (the referral's other moves are tested with referrals).
        row = _first(select(Referral.agent_id, Referral.id).where(Referral.status == "draft"))
        found = (row[0], {"referral_id": row[1], "to_status": "submitted"}) if row else None
    elif "transfer_id" in args:
        row = _first(select(CaseTransfer.to_agent_id, CaseTransfer.id))
        found = (row[0], {"transfer_id": row[1], "answer": "accepter"}) if row else None
    elif {"language", "name", "channel"} <= args:
        found = (_admin(), {"language": "fr", "name": KINDS[0], "channel": CHANNELS[0]})
    elif args:
        found = _owner_route(next(iter(args)))
    else:
        user = _role_user(action)
        found = (user, {}) if user else None
    if found is None or found[0] is None:
        return None
    owner = db.session.get(User, found[0])
    roles = [str(role) for role in POLICY.get(action, {})]
    if owner.role not in roles:  # a supervisor's action on an agent's reminder: the region's
        found = (
            db.session.scalar(
                select(User.id)
                .where(User.role.in_(roles), User.region_id == owner.region_id, User.active)
                .order_by(User.id)
            ),
            found[1],
        )
    with current_app.test_request_context():
        return found[0], url_for(rule.endpoint, **found[1])


@pytest.fixture
def world(app):
    # Built in its own application context, closed before the requests: a context left open
    # would be shared by the test clients' requests, and with it the signed-in user.
    with app.app_context():
        return _build_world(app)


def _build_world(app):
    from casework.demo import load_demo, load_demo_cases_once
    from casework.demo.accounts import enrol_second_factors

    load_demo(password=PASSWORD)
    enrol_second_factors(list(db.session.scalars(select(User))))  # the roles that require one
    load_demo_cases_once(40)
    _attach_a_document(app)
    _add_a_token_and_a_reception()
    routes, unresolved = [], []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not _is_form(rule):
            continue
        action = declared_action(rule.endpoint)
        resolved = _resolve(rule, action or "")
        if resolved is None:
            unresolved.append(rule.endpoint)
        else:
            routes.append((rule.endpoint, *resolved))
    db.session.commit()
    return sorted(routes), unresolved


def _is_form(rule) -> bool:
    return rule.endpoint not in SESSION_ROUTES | MACHINE_ROUTES and not rule.rule.startswith(
        "/api/"
    )


def _add_a_token_and_a_reception() -> None:
    """What the demo lacks for the routes that name them: an API token, a refugee in the
    airport's care."""
    from casework.api import tokens
    from casework.appointments import receptions
    from casework.core.time import local_today, utcnow

    admin = db.session.get(User, _admin())
    partner = db.session.scalar(select(Organisation).order_by(Organisation.id))
    tokens.create(
        admin, "Fuzz", ["referrals:read"], utcnow() + timedelta(days=30), organisation=partner
    )
    counter = db.session.scalar(select(User).where(User.role == "airport").order_by(User.id))
    city = db.session.scalar(select(HostCity).order_by(HostCity.id))
    receptions.welcome(
        counter,
        receptions.ReceptionFields(
            "Amina", "Diallo", "gar", local_today(), city.region_id, city.name, None
        ),
    )


def _attach_a_document(app) -> None:
    """The demo has no documents: one on the first open case, scanning off (no clamd here),
    and a draft referral (40 demo cases may have none)."""
    import io
    from dataclasses import replace

    from casework.attachments import operations
    from tests.attachments import samples

    case = db.session.scalars(select(Case).where(Case.status != "closed").order_by(Case.id)).first()
    services = replace(operations.services_from(app.config), scanner=None)
    from casework.referrals.models import ReferralEvent

    draft = Referral(
        case_id=case.id,
        organisation_id=db.session.scalar(select(Organisation.id).order_by(Organisation.id)),
        agent_id=case.agent_id,
        region_id=case.region_id,
        purpose="Recherche de logement",
        status="draft",
    )
    draft.events.append(ReferralEvent(actor_id=case.agent_id, to_status="draft"))
    db.session.add(draft)
    operations.upload(
        case.agent,
        case,
        io.BytesIO(samples.pdf("Relevé de notes")),
        "releve.pdf",
        operations.UploadFields(document_type="diploma", description="Relevé"),
        services,
    )


def _counts(app) -> dict[str, int]:
    tables = [t.name for t in db.metadata.sorted_tables if not WRITTEN_ON_READ.search(t.name)]
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(text(f'"{name}"')))
            for name in tables
        }


def test_every_route_that_takes_a_post_is_exercised(app, world):
    routes, unresolved = world
    assert unresolved == []
    posting = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods and _is_form(r)}
    assert {endpoint for endpoint, _, _ in routes} == posting
    assert len(routes) > 50


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_generated_posts_never_fail_and_a_refused_one_writes_nothing(app, world, data):
    routes, _ = world
    endpoint, user_id, url = data.draw(st.sampled_from(routes), label="route")
    clients = CLIENTS.setdefault(id(world), {})
    client = clients.get(user_id)
    if client is None:
        client = app.test_client()
        with app.app_context():
            username = db.session.get(User, user_id).username
        assert helpers.login(client, username, PASSWORD).status_code == 302
        clients[user_id] = client
    shown = client.get(url)
    fields = helpers.form_fields(shown.get_data(as_text=True)) if shown.status_code == 200 else {}
    # The names drawn from are those the route's form had when first seen: an earlier example
    # may change the page (a referral completed shows another form), and Hypothesis needs the
    # same choices to draw the same way.
    names = FIELD_NAMES.setdefault(id(world), {}).setdefault(url, sorted(fields) or ["version"])
    changes = data.draw(
        st.dictionaries(st.sampled_from(names), VALUES, max_size=6)
        | st.dictionaries(st.sampled_from(_field_names()), VALUES, max_size=4),
        label="values",
    )
    posted = {**fields, **changes, "csrf_token": _token(client, shown)}
    before = _counts(app)
    response = client.post(url, data=posted)
    removed = REMOVALS.setdefault(id(world), set())
    if response.status_code == 302 and REMOVING.search(endpoint):
        removed.add(endpoint)
    # A 404 is right only once an earlier example removed the object the URL names.
    gone = response.status_code == 404 and removed
    assert response.status_code in ALLOWED or gone, (endpoint, posted, response.status_code)
    if response.status_code == 400:
        assert _counts(app) == before, (endpoint, posted)


TOKEN = re.compile(
    r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
)


def _token(client, shown) -> str:
    """A valid CSRF token: the page's, or (a POST-only route) the home page's."""
    for page in (shown.get_data(as_text=True), client.get("/").get_data(as_text=True)):
        match = TOKEN.search(page)
        if match:
            return match.group(1) or match.group(2)
    raise AssertionError("no CSRF token")


@lru_cache(maxsize=1)
def _field_names() -> list[str]:
    """Every field name of the application's forms (their classes, defined at import)."""
    from casework.core.forms import BaseForm

    names: set[str] = set()
    pending = list(BaseForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending += form.__subclasses__()
        names.update(
            name for name in dir(form) if hasattr(getattr(form, name, None), "field_class")
        )
    return sorted(names)
