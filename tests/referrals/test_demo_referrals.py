from sqlalchemy import func, select

from casework.extensions import db
from casework.reference.models import Organisation, Region
from casework.referrals.models import Referral


def test_demo_has_referrals_in_every_state_for_conseiller_and_partenaire(ctx):
    from casework.demo import load_demo, load_demo_cases_once

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(120)
    statuses = set(db.session.scalars(select(Referral.status).distinct()))
    assert statuses == {
        "draft",
        "submitted",
        "returned",
        "approved",
        "sent",
        "accepted",
        "declined",
        "completed",
        "not_completed",
    }
    montreal_waiting = db.session.scalar(
        select(func.count(Referral.id))
        .join(Region, Region.id == Referral.region_id)
        .where(Region.code == "06", Referral.status == "submitted")
    )
    assert montreal_waiting >= 3
    promis_open = db.session.scalar(
        select(func.count(Referral.id))
        .join(Organisation)
        .where(Organisation.code == "promis", Referral.status.in_(("sent", "accepted")))
    )
    assert promis_open >= 1


def test_demo_referrals_carry_the_agents_note_on_a_share_of_them(ctx):
    """The note field (migration 0026) is not left empty in the demo: about the share the demo's
    tables give have one, in French, matching the service referred to."""
    from casework.demo import load_demo, load_demo_cases_once
    from casework.demo.plans import PlanTables
    from casework.plans.models import PlanAction

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(120)
    tables = PlanTables.read()
    rows = db.session.execute(
        select(Referral.note, PlanAction.service).join(
            PlanAction, PlanAction.id == Referral.plan_action_id
        )
    ).all()
    noted = [(note, service) for note, service in rows if note]
    assert rows and 0.3 * len(rows) <= len(noted) < len(rows)
    assert all(note in tables.notes[service] for note, service in noted)
    assert len({note for note, _service in noted}) >= 5
