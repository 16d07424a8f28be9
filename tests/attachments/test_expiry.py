"""A document's expiry date feeds the follow-up rules, as a permit's does: the rule « Document
bientôt échu » (seed/follow_up_rules.yaml) falls due before it, moves or goes with the document."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from casework.attachments import operations
from casework.attachments.models import Attachment
from casework.extensions import db
from tests.attachments import samples


def _rule():
    from casework.reminders.models import FollowUpRule

    return db.session.scalar(select(FollowUpRule).where(FollowUpRule.code == "document_expiring"))


def _reminders(documents):
    from casework.reminders.models import Reminder

    with documents.app.app_context():
        rows = db.session.scalars(
            select(Reminder)
            .where(Reminder.case_id == documents.case_id, Reminder.rule_id == _rule().id)
            .order_by(Reminder.id)
        ).all()
        return [(row.subject_type, row.subject_id, row.status, row.due_at) for row in rows]


def test_the_seed_has_the_document_rule(app):
    with app.app_context():
        rule = _rule()
        assert (rule.trigger, rule.offset, rule.unit, rule.enabled) == (
            "document_expiring",
            -60,
            "days",
            True,
        )


def test_an_expiry_date_makes_a_reminder_that_goes_with_the_document(app, documents, monkeypatch):
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.core.time import local_today
    from casework.reminders import operations as reminders

    monkeypatch.setitem(app.config, "SCANNING", "off")
    with app.app_context():
        case = db.session.get(Case, documents.case_id)
        case.status = "active"
        db.session.commit()
        today = local_today()
    permit_ends = today + timedelta(days=80)  # due in 20 days: within the reminders' horizon
    permit, _ = documents.upload(
        samples.pdf(), "permis.pdf", document_type="permit", expires_on=permit_ends
    )
    undated, _ = documents.upload(samples.pdf(), "diplome.pdf")  # no date: no reminder

    # The upload's commit reconciled the case: one reminder, 60 days ahead, at 09:00 local.
    [(subject_type, subject_id, status, due_at)] = _reminders(documents)
    assert (subject_type, subject_id, status) == ("attachment", permit, "pending")
    with app.app_context():
        from casework.core.time import utc_to_local

        local = utc_to_local(due_at)
    assert (local.date(), local.hour, local.minute) == (permit_ends - timedelta(days=60), 9, 0)

    # The same rule, run later by the scheduler, leaves it alone (keyed, idempotent).
    with app.app_context():
        reminders.materialise()
        db.session.commit()
    assert len(_reminders(documents)) == 1

    # Deleting the document cancels its reminder at the deletion's commit.
    with app.app_context():
        attachment = db.session.get(Attachment, permit)
        operations.delete(
            db.session.get(User, documents.agent_id), attachment, "wrong_case", attachment.version
        )
        db.session.commit()
    assert [status for _, _, status, _ in _reminders(documents)] == ["cancelled"]
    assert undated


def test_a_distant_expiry_waits_for_the_horizon(app, documents, monkeypatch):
    from casework.cases.models import Case
    from casework.reminders import operations as reminders

    monkeypatch.setitem(app.config, "SCANNING", "off")
    with app.app_context():
        case = db.session.get(Case, documents.case_id)
        case.status = "active"
        db.session.commit()
    lease_ends = date(2031, 3, 31)
    documents.upload(samples.pdf(), "bail.pdf", document_type="lease", expires_on=lease_ends)
    assert _reminders(documents) == []  # beyond the horizon: not yet
    with app.app_context():
        reminders.materialise(datetime(2031, 1, 15, 12, 0))
        db.session.commit()
    [(_, _, status, due_at)] = _reminders(documents)
    # 09:00 in Montréal on 30 January 2031 (EST, UTC-5): 14:00 UTC.
    assert (status, due_at) == ("pending", datetime(2031, 1, 30, 14, 0))
