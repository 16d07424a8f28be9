"""Two web nodes and two schedulers on one PostgreSQL (issue 14, point 7), as
docs/deployment.md lays them out: real ``casework serve`` and ``casework scheduler`` processes.

Reminders are created, delivered and e-mailed exactly once between the two schedulers; two
agents booking the same slot at the same instant, one through each web node, get one
appointment between them; a session opened on one node is valid on the other (stateless nodes).
"""

from __future__ import annotations

import http.cookiejar
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from casework.core.time import utcnow
from casework.extensions import db
from tests import helpers
from tests.conftest import forget_scheduler_runs, remove_committed
from tests.core.test_cli import CASEWORK
from tests.mailsink import SmtpSink, free_port
from tests.reminders.test_crash import scheduler_environment, wait_for

pytestmark = [pytest.mark.no_transaction, pytest.mark.postgres_only]
FORGOTTEN = 10


class Browser:
    """One person's browser against one node: cookies kept, no redirect followed."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None) -> None:
        self.base = base
        self.jar = jar or http.cookiejar.CookieJar()

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), Stay
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, values: dict, page: str | None = None) -> tuple[int, str]:
        if page is None:
            page = self.request(path)[1]
        return self.request(path, {**values, "csrf_token": helpers.csrf_from(page)})

    def sign_in(self, username: str, password: str) -> None:
        status, _page = self.post_form("/connexion", {"username": username, "password": password})
        assert status == 302


def start(command: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [CASEWORK, *command],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def agent_with_cases(app, committed):
    """An agent open every day, with two cases to book for and ten nobody contacted for 70
    days (the reconciler asks for a reminder for each)."""
    from casework.cases.models import Case
    from tests.appointments.factories import open_every_day

    with app.app_context():
        open_every_day(committed.agent.id)
        booking = [helpers.create_case(committed.agent.id) for _ in range(2)]
        forgotten = [helpers.create_case(committed.agent.id) for _ in range(FORGOTTEN)]
        db.session.execute(
            update(Case)
            .where(Case.id.in_([case.id for case in forgotten]))
            .values(status="active", opened_at=utcnow() - timedelta(days=70))
        )
        db.session.commit()
        db.session.remove()
    yield booking
    from casework.appointments.models import Appointment, AvailabilityWindow

    with app.app_context():
        db.session.execute(delete(Appointment).where(Appointment.agent_id == committed.agent.id))
        db.session.execute(
            delete(AvailabilityWindow).where(AvailabilityWindow.agent_id == committed.agent.id)
        )
        db.session.commit()
        db.session.remove()
    for case in booking + forgotten:
        remove_committed(app, case)
    forget_scheduler_runs(app)


def first_slot(browser: Browser, path: str) -> tuple[dict, str, str]:
    page = browser.request(path)[1]
    fields = helpers.form_fields(page)
    kind = re.search(r'<select[^>]*name="type_code".*?<option[^>]*value="([^"]+)"', page, re.S)
    fields.update({"type_code": kind.group(1), "mode": "in_person", "step": "search"})
    status, page = browser.post_form(path, fields, page)
    assert status == 200
    slot = re.search(r'name="slot" id="slot-1" value="([^"]+)"', page).group(1)
    return fields, slot, page


def test_two_web_nodes_and_two_schedulers_on_one_postgresql(
    app, committed, agent_with_cases, tmp_path
):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several nodes share one PostgreSQL")
    from casework.appointments.models import Appointment
    from casework.reminders.models import Notification, OutboundEmail, Reminder

    sink = SmtpSink().start()
    env = {**scheduler_environment(app, tmp_path, sink.port), "CASEWORK_SECRET_KEY": "x" * 64}
    ports = [free_port(), free_port()]
    logs = [(tmp_path / f"node-{n}.log").open("w") for n in range(4)]
    processes = [
        start(["serve", "--port", str(port)], env, log)
        for port, log in zip(ports, logs[:2], strict=True)
    ] + [start(["scheduler", "--skip", "backup"], env, log) for log in logs[2:]]
    try:
        assert wait_for(lambda: all(healthy(port) for port in ports), timeout=60, step=0.5)
        nodes = [Browser(f"http://127.0.0.1:{port}") for port in ports]
        nodes[0].sign_in(committed.agent.username, committed.agent.password)
        # Stateless nodes: the session opened on the first is good on the second.
        nodes[1].jar = nodes[0].jar
        nodes[1].opener = Browser(nodes[1].base, nodes[0].jar).opener
        assert nodes[1].request("/dossiers/")[0] == 200

        paths = []
        with app.test_request_context():
            from flask import url_for

            paths = [url_for("appointments.book", case_id=case.id) for case in agent_with_cases]
        forms = [first_slot(node, path) for node, path in zip(nodes, paths, strict=True)]
        assert forms[0][1] == forms[1][1]  # both see the same first free slot
        barrier = threading.Barrier(2)
        outcomes: list[int] = []

        def book(node: Browser, path: str, fields: dict, slot: str, page: str) -> None:
            values = {**fields, "step": "book", "slot": slot}
            token = helpers.csrf_from(page)
            barrier.wait(30)
            outcomes.append(node.request(path, {**values, "csrf_token": token})[0])

        threads = [
            threading.Thread(target=book, args=(node, path, *form))
            for node, path, form in zip(nodes, paths, forms, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(outcomes) == [302, 409], outcomes

        def delivered() -> int:
            with app.app_context():
                count = db.session.scalar(
                    select(func.count(OutboundEmail.id)).where(
                        OutboundEmail.user_id == committed.agent.id,
                        OutboundEmail.kind == "reminder",
                        OutboundEmail.status == "sent",
                    )
                )
                db.session.remove()
            return count

        assert wait_for(lambda: delivered() >= FORGOTTEN, timeout=60, step=0.5), delivered()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        sink.stop()
    with app.app_context():
        mine = select(Reminder.id).where(Reminder.agent_id == committed.agent.id)
        reminders = db.session.execute(
            select(Reminder.key, Reminder.deliveries).where(Reminder.id.in_(mine))
        ).all()
        notifications = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.reminder_id.in_(mine))
        )
        appointments = db.session.scalar(
            select(func.count(Appointment.id)).where(Appointment.agent_id == committed.agent.id)
        )
        db.session.remove()
    keys = [key for key, _deliveries in reminders]
    assert len(keys) == len(set(keys))
    no_contact = [key for key in keys if key.startswith("no_contact_60d:")]
    assert len(no_contact) == FORGOTTEN  # created once, by one of the two reconcilers
    assert all(deliveries == 1 for key, deliveries in reminders if key in no_contact)
    assert notifications >= FORGOTTEN
    received = sink.inbox.message_ids()
    assert len(received) == len(set(received))  # each e-mail once, whichever node sent it
    assert len(received) >= FORGOTTEN
    assert appointments == 1
    output = "\n".join((tmp_path / f"node-{n}.log").read_text() for n in range(4))
    assert "Traceback" not in output, output[-3000:]
