"""Permit and CAQ expiry (issue 19): reminders 90 and 30 days before, as data in the seed."""

from datetime import date, datetime

from casework.cases import operations as cases
from casework.reminders import operations
from casework.reminders.subjects import describe
from tests.reminders.conftest import NOW, reminders_of, rule

CODES = ("permit_expiring_90d", "permit_expiring_30d", "caq_expiring_90d", "caq_expiring_30d")


def _values(case, **dates) -> cases.PersonFields:
    person = case.person
    return cases.PersonFields(
        person.given_names,
        person.family_name,
        "student",
        date_of_birth=person.date_of_birth,
        arrival_date=date(2025, 8, 20),
        **dates,
    )


def test_the_seed_has_the_90_and_30_day_rules(ctx):
    assert {code: (rule(code).trigger, rule(code).offset, rule(code).unit) for code in CODES} == {
        "permit_expiring_90d": ("permit_expiring", -90, "days"),
        "permit_expiring_30d": ("permit_expiring", -30, "days"),
        "caq_expiring_90d": ("caq_expiring", -90, "days"),
        "caq_expiring_30d": ("caq_expiring", -30, "days"),
    }


def test_reminders_fall_90_and_30_days_before_each_expiry(case, agent, app):
    cases.update_person(
        agent,
        case,
        _values(case, permit_expires_on=date(2026, 9, 30), caq_expires_on=date(2026, 8, 31)),
        case.person.version,
    )
    app.config["REMINDER_HORIZON_DAYS"] = 400
    try:
        operations.materialise(NOW)
    finally:
        app.config["REMINDER_HORIZON_DAYS"] = 45
    # 09:00 in Montréal (EDT): 13:00 UTC.
    assert [r.due_at for r in reminders_of(case, "permit_expiring_90d")] == [
        datetime(2026, 7, 2, 13)
    ]
    assert [r.due_at for r in reminders_of(case, "permit_expiring_30d")] == [
        datetime(2026, 8, 31, 13)
    ]
    assert [r.due_at for r in reminders_of(case, "caq_expiring_90d")] == [datetime(2026, 6, 2, 13)]
    assert [r.due_at for r in reminders_of(case, "caq_expiring_30d")] == [datetime(2026, 8, 1, 13)]
    reminder = reminders_of(case, "permit_expiring_90d")[0]
    with app.test_request_context():
        assert describe([reminder])[reminder.id].name in ("Échéance du permis", "Permit expiry")


def test_a_new_date_moves_them_and_a_permanent_category_cancels_them(case, agent, app):
    cases.update_person(
        agent, case, _values(case, permit_expires_on=date(2026, 7, 20)), case.person.version
    )
    operations.materialise(NOW)
    (first,) = reminders_of(case, "permit_expiring_30d")
    assert first.due_at == datetime(2026, 6, 20, 13)
    cases.update_person(
        agent, case, _values(case, permit_expires_on=date(2026, 7, 25)), case.person.version
    )
    operations.materialise(NOW)
    pending = [r for r in reminders_of(case, "permit_expiring_30d") if r.status == "pending"]
    assert [r.due_at for r in pending] == [datetime(2026, 6, 25, 13)]
    values = _values(case, permit_expires_on=date(2026, 7, 25))
    values.immigration_category = "economic"  # permanent residence: no permit to expire
    cases.update_person(agent, case, values, case.person.version)
    operations.materialise(NOW)
    assert {r.status for r in reminders_of(case, "permit_expiring_30d")} == {"cancelled"}


def test_changing_the_date_refreshes_the_reminders_at_commit(case, agent):
    """The operation's event reconciles the case as the view's transaction commits."""
    from casework.extensions import db

    cases.update_person(
        agent,
        case,
        _values(case, caq_expires_on=date.today().replace(year=date.today().year + 1)),
        case.person.version,
    )
    db.session.commit()
    assert reminders_of(case, "caq_expiring_90d") == []  # beyond the horizon: not yet
    near = date.fromordinal(date.today().toordinal() + 40)
    cases.update_person(agent, case, _values(case, caq_expires_on=near), case.person.version)
    db.session.commit()
    assert [r.status for r in reminders_of(case, "caq_expiring_30d")] == ["pending"]
