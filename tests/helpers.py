"""Factories and HTTP helpers shared by the tests."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace

from flask import url_for
from sqlalchemy import create_engine, inspect, select

DEFAULT_PASSWORD = "Un-mot-de-passe-solide-42"
_sequence = itertools.count(1)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    password: str
    role: str
    region_id: int


def create_user(
    role: str = "agent",
    region: str = "06",
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    organisation: str | None = None,
    must_change_password: bool = False,
    active: bool = True,
    second_factor: bool = True,
) -> UserRecord:
    """Create and commit a user (inside an app context)."""
    from casework.auth.models import User
    from casework.auth.passwords import hash_password
    from casework.extensions import db
    from casework.reference.models import Organisation, Region, ServicePoint

    region_row = db.session.scalar(select(Region).where(Region.code == region))
    point = None
    if role in ("agent", "advisor", "airport", "supervisor"):
        point = db.session.scalars(
            select(ServicePoint)
            .where(ServicePoint.region_id == region_row.id)
            .order_by(ServicePoint.code)
        ).first()
    org = None
    if role == "partner":
        statement = select(Organisation).order_by(Organisation.code)
        if organisation:
            statement = statement.where(Organisation.code == organisation)
        org = db.session.scalars(statement).first()
    name = username or f"{role}{next(_sequence)}"
    user = User(
        username=name,
        full_name=f"Test {name.title()}",
        role=role,
        region_id=region_row.id,
        service_point_id=point.id if point else None,
        organisation_id=org.id if org else None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        active=active,
    )
    db.session.add(user)
    db.session.commit()
    if second_factor and role in MANDATORY_SECOND_FACTOR:
        enrol_second_factor(user.id)
    return UserRecord(user.id, user.username, password, role, region_row.id)


# Roles that sign in with a code (casework.auth.second_factor.MANDATORY_ROLES): test accounts of
# these roles get a second factor with a known secret, and ``login`` types its code.
MANDATORY_SECOND_FACTOR = ("admin", "supervisor", "advisor")
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_second_factor(user_id: int, secret: str = TEST_TOTP_SECRET) -> None:
    from casework.auth.models import SecondFactor
    from casework.core.time import utcnow
    from casework.extensions import db

    db.session.add(SecondFactor(user_id=user_id, secret=secret, confirmed_at=utcnow()))
    db.session.commit()


def next_code(app, username: str) -> str:
    """A code the server will accept now: the current step's, or a later one (within the
    tolerated window) when a sign-in in this same 30 seconds used it. A fourth sign-in of the
    same account within 30 seconds moves the account's last step back, as 30 seconds passing
    would: tests sign in more often than people."""
    import time

    import pyotp
    from sqlalchemy import update

    from casework.auth.models import SecondFactor, User
    from casework.auth.second_factor import STEP_SECONDS, TOLERATED_STEPS
    from casework.extensions import db

    with app.app_context():
        user_id, secret, last = db.session.execute(
            select(User.id, SecondFactor.secret, SecondFactor.last_step)
            .join(SecondFactor, SecondFactor.user_id == User.id)
            .where(User.username == username)
        ).one()
        current = int(time.time()) // STEP_SECONDS
        step = current if last is None else max(current, last + 1)
        if step > current + TOLERATED_STEPS:
            db.session.execute(
                update(SecondFactor).where(SecondFactor.user_id == user_id).values(last_step=None)
            )
            db.session.commit()
            step = current
    return pyotp.TOTP(secret).generate_otp(step)


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html) or CSRF_META.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client, path: str = "/") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


CODE_PATH = "/connexion/code"


def login(client, username: str, password: str, next_path: str | None = None):
    """Sign in as a person would; when the account has a second factor, type its code too.
    Returns the last response (a redirect to where the person was going, when it worked)."""
    token = csrf_token(client, "/connexion")
    url = "/connexion" + (f"?next={next_path}" if next_path else "")
    response = client.post(
        url, data={"username": username, "password": password, "csrf_token": token}
    )
    if response.status_code == 302 and response.location.endswith(CODE_PATH):
        code = next_code(client.application, username)
        response = client.post(
            CODE_PATH, data={"code": code, "csrf_token": csrf_token(client, CODE_PATH)}
        )
    return response


def post_form(client, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST with a valid CSRF token taken from ``token_from`` (default: the same path)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@dataclass(frozen=True)
class CaseRecord:
    id: int
    number: str
    person_id: int
    agent_id: int


def create_case(agent_id: int, **person) -> CaseRecord:
    """Open and commit a case for a person through the service layer (inside an app context)."""
    from datetime import date

    from casework.auth.models import User
    from casework.cases import operations
    from casework.extensions import db

    values = {
        "given_names": "Hélène",
        "family_name": f"Nguyễn-{next(_sequence)}",
        "immigration_category": "economic",
        "date_of_birth": date(1988, 5, 17),
        **person,
    }
    origin = values.pop("origin", "walk_in")
    case = operations.open_case(
        db.session.get(User, agent_id), operations.PersonFields(**values), origin
    )
    db.session.commit()
    return CaseRecord(case.id, case.number, case.person_id, case.agent_id)


def give_consent(agent_id: int, case_id: int, purpose: str) -> None:
    """The person's signed consent for ``purpose``, recorded today (inside an app context)."""
    from datetime import date

    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case
    from casework.extensions import db

    cases.record_consent(
        db.session.get(User, agent_id),
        db.session.get(Case, case_id),
        purpose,
        date.today(),
        "signed",
    )
    db.session.commit()


def consented_referral(agent_id: int, case_id: int, status: str = "sent") -> int:
    """A referral of the case to PROMIS put straight in ``status`` (its lifecycle is tested with
    referrals), the person's consent to share with a partner in force; its id (inside an app
    context)."""
    from datetime import date

    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case
    from casework.extensions import db
    from casework.reference.models import Organisation
    from casework.referrals.models import Referral, ReferralEvent

    agent, case = db.session.get(User, agent_id), db.session.get(Case, case_id)
    cases.record_consent(agent, case, "share_partner", date.today(), "signed")
    promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
    referral = Referral(
        case_id=case.id,
        organisation_id=promis.id,
        agent_id=agent.id,
        region_id=case.region_id,
        purpose="Recherche de logement",
        status=status,
    )
    referral.events.append(ReferralEvent(actor_id=agent.id, to_status=status))
    db.session.add(referral)
    db.session.commit()
    return referral.id


class _FormReader(HTMLParser):
    """Collect what a browser would submit for the first form with method=post."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, str | list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._in_form = False
        self._done = False
        # Checkboxes sharing a name are one multiple choice (a list); a lone one is a flag.
        self._boxes: dict[str, list[str]] = {}
        self._box_count: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("method") == "post" and not self._done:
            if self.form_id is not None:
                self._in_form = attributes.get("id") == self.form_id
            else:
                self._in_form = "action" not in attributes or attributes.get("class") == "form"
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind == "checkbox":
                self._box_count[name] = self._box_count.get(name, 0) + 1
                if "checked" in attributes:
                    self._boxes.setdefault(name, []).append(attributes.get("value", "y"))
                if self._box_count[name] > 1:
                    self.fields[name] = list(self._boxes.get(name, []))
                elif "checked" in attributes:
                    self.fields[name] = attributes.get("value", "y")
            elif kind == "radio":
                if "checked" in attributes:
                    self.fields[name] = attributes.get("value", "y")
            elif kind != "submit":
                self.fields[name] = attributes.get("value", "")
        elif tag == "select" and name:
            self._select, self._multiple = name, "multiple" in attributes
            self.fields.setdefault(name, [] if self._multiple else "")
        elif tag == "option" and self._select and "selected" in attributes:
            value = attributes.get("value", "")
            if self._multiple:
                self.fields[self._select].append(value)
            else:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += (
                data.lstrip("\r\n") if not self.fields[self._textarea] else data
            )


def form_fields(html: str, form_id: str | None = None) -> dict:
    """What the browser would submit for the form ``form_id`` (default: the page's main form)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields


# --- Journal notes written through the web application, as agents write them ------------------


def local_now():
    from casework.core.time import utc_to_local, utcnow

    return utc_to_local(utcnow())


def note_path(app, case_id: int) -> str:
    with app.test_request_context():
        return url_for("cases.add_interaction", case_id=case_id)


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username, user.password).status_code == 302
    return client


def write_notes(
    client, path: str, count: int, results: list, label: str = "Note", until=None
) -> None:
    """Each note as a person writes it: the form page, then the POST. Every answer is recorded
    as (when, status, summary of the note posted or None for the form page); ``until`` (an
    event) stops before ``count`` notes."""
    for number in range(count):
        if until is not None and until.is_set():
            return
        form = answer(client.get, path)
        results.append((time.monotonic(), form.status_code, None))
        if form.status_code != 200:
            continue
        summary = f"{label} {number}"
        response = answer(
            client.post,
            path,
            data={
                "kind": "note",
                "occurred_at": local_now().strftime("%Y-%m-%dT%H:%M"),
                "summary": summary,
                "csrf_token": csrf_from(form.text),
            },
        )
        results.append((time.monotonic(), response.status_code, summary))


def answer(method, *args, **kwargs):
    """What the WSGI server would send: an exception the error page itself could not render
    (the user loader hit the lock again) is a bare 500 there."""
    try:
        return method(*args, **kwargs)
    except Exception:
        return SimpleNamespace(status_code=500, text="")


def table_names(url: str) -> set[str]:
    """The tables of the database at ``url``, read on a connection of its own (migration tests)."""
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
