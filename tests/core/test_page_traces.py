"""A page's audit rows are written by one INSERT when its unit of work commits (issue 23): the
same rows as before, none from work that rolled back, and the write lock held only for them."""

from sqlalchemy import func, select

from casework.core import audit
from casework.core.audit import AuditEvent
from casework.extensions import db


def _rows(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_a_page_writes_its_read_in_one_statement_after_it_rendered(
    app, client, login, make_case, count_queries
):
    agent = login(role="agent")
    case = make_case(agent)
    client.get("/compte/mot-de-passe")  # the session's last-seen time: written once a minute
    with count_queries() as counter:
        response = client.get("/dossiers/")
    assert response.status_code == 200
    writes = [sql for sql in counter.statements if not sql.startswith(("SELECT", "BEGIN"))]
    inserts = [sql for sql in writes if sql.startswith("INSERT")]
    assert len(inserts) == 1 and "audit_events" in inserts[0], writes
    # Nothing is read after the row is written: the write lock is held for the INSERT alone.
    after = counter.statements[counter.statements.index(inserts[0]) + 1 :]
    assert not any(sql.startswith("SELECT") for sql in after), after
    listed = _rows(app)[-1]
    assert (listed.action, listed.actor_id, listed.actor_role) == (
        "cases.listed",
        agent.id,
        "agent",
    )
    assert listed.details == {"case_ids": [case.id]}
    assert listed.remote_addr == "127.0.0.1" and listed.outcome == "ok"
    assert listed.occurred_at is not None


def test_reads_recorded_by_work_that_rolls_back_are_not_written(app):
    with app.test_request_context("/dossiers/", method="GET"):
        audit.record(None, "cases.listed", target_type="case", case_ids=[1])
        db.session.rollback()
        db.session.commit()
        audit.record(None, "cases.listed", target_type="case", case_ids=[2])
        db.session.close()  # a close fires no rollback event: the rows still go
        db.session.commit()
        audit.record(None, "cases.listed", target_type="case", case_ids=[3])
        db.session.commit()
    assert [row.details for row in _rows(app)] == [{"case_ids": [3]}]


def test_a_savepoint_rolled_back_keeps_the_reads_recorded_before_it(app):
    with app.test_request_context("/dossiers/", method="GET"):
        audit.record(None, "cases.listed", target_type="case", case_ids=[1])
        savepoint = db.session.begin_nested()
        audit.record(None, "cases.listed", target_type="case", case_ids=[2])
        savepoint.rollback()
        db.session.commit()
    assert [row.details for row in _rows(app)] == [{"case_ids": [1]}]


def test_a_change_still_adds_its_rows_to_the_session(app):
    """Outside a page (a form's POST, a job) the rows are flushed with the change, as before:
    what the change reads next (autoflush) includes them."""
    with app.test_request_context("/dossiers/1", method="POST"):
        audit.record(None, "case.updated", target_type="case", target_id=1)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        db.session.rollback()
    assert _rows(app) == []


def test_a_flush_after_the_read_keeps_it(app, make_user):
    """A flush's inner transaction is not the page's: its end keeps the rows (a page that
    flushes, or a job inside ``reads_first`` whose query autoflushes)."""
    from casework.auth.models import User
    from casework.core.db import reads_first

    user = make_user(role="agent")
    with app.test_request_context("/dossiers/", method="GET"):
        audit.record(None, "cases.listed", target_type="case", case_ids=[1])
        db.session.get(User, user.id).phone = "5145550000"
        db.session.flush()
        db.session.commit()
    with app.app_context(), reads_first():
        audit.record(None, "cases.listed", target_type="case", case_ids=[2])
        db.session.get(User, user.id).phone = "5145550001"
        db.session.scalar(select(func.count()).select_from(User))  # autoflush
        db.session.commit()
    assert [row.details for row in _rows(app)] == [{"case_ids": [1]}, {"case_ids": [2]}]


def test_a_savepoint_that_fails_keeps_the_reads_recorded_before_it(app, make_user):
    """A savepoint's release is not the commit: the rows are not written inside it, where a
    refused change would take them with it."""
    from sqlalchemy.exc import IntegrityError

    from casework.auth.models import User

    user = make_user(role="agent")
    with app.test_request_context("/dossiers/", method="GET"):
        audit.record(None, "cases.listed", target_type="case", case_ids=[1])
        existing = db.session.get(User, user.id)
        try:
            with db.session.begin_nested():
                db.session.add(
                    User(
                        username=existing.username,
                        role="agent",
                        password_hash="x",
                        full_name="Doublon",
                        region_id=existing.region_id,
                    )
                )
        except IntegrityError:
            pass
        with db.session.begin_nested():
            pass  # a savepoint released: still not the page's commit
        db.session.commit()
    assert [row.details for row in _rows(app)] == [{"case_ids": [1]}]
