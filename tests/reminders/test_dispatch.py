"""The dispatcher delivers each due reminder once, whatever happens around it."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from casework.extensions import db
from casework.reminders import tasks
from casework.reminders.models import Notification, OutboundEmail, Reminder
from tests.reminders.conftest import NOW, add_reminder


def notifications_for(reminder: Reminder) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.reminder_id == reminder.id)
    )


def emails_for(reminder: Reminder) -> list[OutboundEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboundEmail).where(OutboundEmail.reminder_id == reminder.id))
    )


def test_a_due_reminder_is_delivered_once_however_often_the_dispatcher_runs(case, mailer):
    reminder = add_reminder(case, NOW - timedelta(minutes=1))
    later = add_reminder(case, NOW + timedelta(hours=1))
    for _ in range(3):
        tasks.dispatch(NOW, with_email=True)
        tasks.send_emails(NOW, mailer)
    db.session.refresh(reminder)
    assert (reminder.status, reminder.deliveries) == ("sent", 1)
    assert notifications_for(reminder) == 1
    assert len(mailer.sent) == 1
    assert notifications_for(later) == 0


def test_down_for_two_hours_then_every_missed_reminder_is_delivered_once(case, mailer):
    missed = [add_reminder(case, NOW + timedelta(minutes=m)) for m in range(0, 120, 10)]
    restart = NOW + timedelta(hours=2)
    counts = tasks.dispatch(restart, with_email=True)
    tasks.send_emails(restart, mailer)
    tasks.dispatch(restart + timedelta(seconds=30), with_email=True)
    tasks.send_emails(restart + timedelta(seconds=30), mailer)
    assert counts == {"delivered": len(missed)}
    assert [notifications_for(r) for r in missed] == [1] * len(missed)
    assert len(mailer.sent) == len({key for _to, _subject, key in mailer.sent}) == len(missed)


@pytest.mark.parametrize(
    ("local_day", "utc_fire"),
    [
        ("2026-03-07", datetime(2026, 3, 7, 14, 0)),
        ("2026-03-09", datetime(2026, 3, 9, 13, 0)),
        ("2026-10-31", datetime(2026, 10, 31, 13, 0)),
        ("2026-11-02", datetime(2026, 11, 2, 14, 0)),
    ],
)
def test_a_nine_oclock_reminder_fires_at_nine_local_across_dst(case, local_day, utc_fire):
    from datetime import date, time

    from casework.reminders.rules import falls_at

    due = falls_at(date.fromisoformat(local_day), 0, "days", time(9, 0))
    reminder = add_reminder(case, due)
    assert tasks.dispatch(utc_fire - timedelta(seconds=1), with_email=False) == {}
    assert tasks.dispatch(utc_fire, with_email=False) == {"delivered": 1}
    db.session.refresh(reminder)
    assert reminder.delivered_at == utc_fire


def test_a_clock_jumping_back_or_ahead_sends_nothing_twice(case):
    first = add_reminder(case, NOW)
    second = add_reminder(case, NOW + timedelta(hours=3))
    tasks.dispatch(NOW, with_email=False)
    tasks.dispatch(NOW - timedelta(hours=1), with_email=False)  # the clock went back
    assert tasks.dispatch(NOW + timedelta(days=2), with_email=False) == {"delivered": 1}
    tasks.dispatch(NOW, with_email=False)  # and back again
    assert (notifications_for(first), notifications_for(second)) == (1, 1)


def test_a_reminder_whose_case_was_deleted_or_closed_is_cancelled_not_sent(case, agent, make_case):
    from casework.cases.models import Case

    gone = add_reminder(case, NOW)
    other = db.session.get(Case, make_case(agent).id)
    closed = add_reminder(other, NOW)
    db.session.execute(update(Reminder).where(Reminder.id == gone.id).values(case_id=None))
    other.status = "closed"
    db.session.flush()
    assert tasks.dispatch(NOW, with_email=True) == {"cancelled": 2}
    db.session.expire_all()
    assert (gone.status, gone.last_error) == ("cancelled", "case_gone")
    assert (closed.status, closed.last_error) == ("cancelled", "case_closed")
    assert notifications_for(gone) + notifications_for(closed) == 0


def test_a_dispatcher_killed_mid_batch_leaves_nothing_half_done(case, monkeypatch):
    reminders = [add_reminder(case, NOW - timedelta(minutes=m)) for m in range(5)]
    db.session.commit()
    real = tasks._deliver
    calls = {"n": 0}

    def dying(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process is stopped in the middle of its batch
        return real(*args)

    monkeypatch.setattr(tasks, "_deliver", dying)
    with pytest.raises(KeyboardInterrupt):
        tasks.dispatch(NOW, with_email=False)
    db.session.rollback()
    assert sum(notifications_for(r) for r in reminders) == 0
    monkeypatch.setattr(tasks, "_deliver", real)
    assert tasks.dispatch(NOW, with_email=False) == {"delivered": 5}
    assert [notifications_for(r) for r in reminders] == [1] * 5


def test_a_snoozed_reminder_comes_back_once_as_a_second_delivery(case, agent):
    from datetime import date

    from casework.reminders import operations

    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=False)
    operations.snooze(agent, reminder, date(2026, 6, 17), reminder.version, today=date(2026, 6, 15))
    db.session.flush()
    assert tasks.dispatch(NOW + timedelta(days=1), with_email=False) == {}
    assert tasks.dispatch(NOW + timedelta(days=2), with_email=False) == {"delivered": 1}
    tasks.dispatch(NOW + timedelta(days=3), with_email=False)
    db.session.refresh(reminder)
    assert (reminder.status, reminder.deliveries) == ("sent", 2)
    assert notifications_for(reminder) == 2


# --- E-mail -------------------------------------------------------------------------------------


def test_retry_of_a_failed_reminder_sends_its_email_once_more(case, agent, mailer):
    from casework.reminders import operations

    mailer.always_fail = True
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    db.session.execute(update(OutboundEmail).values(expires_at=NOW))  # its lifetime is over
    tasks.send_emails(NOW, mailer)
    db.session.refresh(reminder)
    assert reminder.status == "failed"
    mailer.always_fail = False
    operations.retry(agent, reminder, reminder.version, now=NOW)
    tasks.send_emails(NOW, mailer)
    tasks.send_emails(NOW + timedelta(minutes=1), mailer)
    assert len(mailer.sent) == 1
    db.session.refresh(reminder)
    assert reminder.status == "sent"


def test_the_email_names_no_one(case, mailer):
    add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    (email,) = db.session.scalars(select(OutboundEmail)).all()
    assert case.number in email.body
    assert case.person.family_name not in email.body
    assert "Rappel" in email.subject
    assert "— English —" in email.body
