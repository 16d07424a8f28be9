"""No database lock is held while the dispatcher talks to a mail server (issue 14, point 1).

A server accepts the connection and then hangs past the client's timeout; meanwhile agents write
journal notes through the web application. On SQLite a write transaction kept open across the
hang would make them wait for the lock and fail with « database is locked »."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from casework.core.time import utcnow
from casework.extensions import db
from casework.reminders import tasks
from casework.reminders.mail import SmtpMailer
from tests.helpers import note_path, signed_in, write_notes
from tests.mailsink import HangingServer

pytestmark = pytest.mark.no_transaction
NOTES = 100
WRITERS = 4
# Longer than SQLite's busy timeout (5 s): a writer waiting for a lock held across the whole
# hang gives up; one that never meets such a lock is not slowed down at all.
HANG_SECONDS = 6
EMAILS = 3


def queue_emails(app, user_id: int, count: int) -> None:
    from casework.reminders.models import OutboundEmail

    with app.app_context():
        now = utcnow()
        for number in range(count):
            email = OutboundEmail(
                key=f"hang:{user_id}:{number}",
                user_id=user_id,
                kind="reminder",
                subject="Rappel",
                body="Corps",
                next_attempt_at=now,
                created_at=now,
            )
            db.session.add(email)
        db.session.commit()


def test_a_hung_mail_server_never_blocks_agents_writing(app, committed, caplog, monkeypatch):
    from casework.cases.models import Interaction

    caplog.set_level(logging.INFO)
    # As in production: an error is a 500 page, not an exception raised into the test.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    clients = [signed_in(app, committed.agent) for _ in range(WRITERS)]
    server = HangingServer().start()
    queue_emails(app, committed.agent.id, EMAILS)
    mailer = SmtpMailer(
        host="127.0.0.1", port=server.port, sender="casework@exemple.ca", timeout=HANG_SECONDS
    )
    stop = threading.Event()

    def dispatcher() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    tasks.send_emails(mailer=mailer)
                finally:
                    db.session.remove()
            stop.wait(0.2)

    sending = threading.Thread(target=dispatcher)
    sending.start()
    try:
        assert server.first.wait(10), "the dispatcher never reached the mail server"
        started = time.monotonic()
        results: list = []
        path = note_path(app, committed.case.id)
        writers = [
            threading.Thread(target=write_notes, args=(client, path, NOTES // WRITERS, results))
            for client in clients
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(120)
    finally:
        stop.set()
        sending.join(60)
        server.stop()
    statuses = [status for _at, status, _summary in results]
    failures = [status for status in statuses if status >= 500]
    locked = sum(
        1
        for record in caplog.records
        if record.exc_info and "database is locked" in str(record.exc_info[1])
    )
    logging.getLogger(__name__).warning(
        "hang: %d requests, %d × 5xx, %d « database is locked », %d hung connections",
        len(statuses),
        len(failures),
        locked,
        len(server.accepted),
    )
    assert (len(failures), locked) == (0, 0)
    assert sorted(statuses) == [200] * NOTES + [302] * NOTES
    # The notes were written while the dispatcher waited on the hung server.
    during_hang = [at for at, _status, _summary in results if at - started < HANG_SECONDS - 1]
    assert during_hang, "no note was acknowledged during the hang"
    with app.app_context():
        written = db.session.scalar(
            select(func.count(Interaction.id)).where(Interaction.case_id == committed.case.id)
        )
    assert written == NOTES
