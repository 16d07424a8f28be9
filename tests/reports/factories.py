"""Activity for the reports: cases with needs, a held appointment, a finalised plan and a
referral that went through submitted → sent → accepted, written straight into the tables
(the lifecycles themselves are tested in their own features), then the dashboard's aggregates
of the case recounted."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from casework.appointments.models import Appointment, AppointmentType
from casework.assessments.models import AssessedNeed, Assessment
from casework.cases.models import Case
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.plans.models import Plan
from casework.reference.models import Need, Organisation
from casework.referrals.models import Referral, ReferralEvent
from casework.reports import aggregates
from tests import helpers


def add_activity(case_id: int, now: datetime | None = None, organisation: str = "promis") -> None:
    """Arrived 30 days ago, first appointment held 20 days ago, plan finalised 10 days ago, a
    referral submitted 9 days ago, sent 8 days ago and accepted 6 days ago; a high need in the
    first domain; follow-up overdue."""
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    case.status = "active"
    case.next_follow_up_on = date.today() - timedelta(days=3)
    # A day of Québec's calendar, as the delays are counted (a UTC date is tomorrow's from 19:00).
    case.person.arrival_date = utc_to_local(now - timedelta(days=30)).date()
    need = db.session.scalars(select(Need).order_by(Need.domain_id, Need.position)).first()
    assessment = Assessment(case_id=case.id, number=1, status="completed", completed_at=now)
    assessment.needs.append(AssessedNeed(need_id=need.id, level="high"))
    db.session.add(assessment)
    kind = db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)).first()
    held = now - timedelta(days=20)
    db.session.add(
        Appointment(
            case_id=case.id,
            agent_id=case.agent_id,
            region_id=case.region_id,
            service_point_id=case.service_point_id,
            type_id=kind.id,
            mode="in_person",
            starts_at=held,
            ends_at=held + timedelta(hours=1),
            status="done",
            channel="agent",
            booked_by_id=case.agent_id,
        )
    )
    db.session.add(
        Plan(case_id=case.id, number=1, status="final", finalised_at=now - timedelta(days=10))
    )
    org = db.session.scalar(select(Organisation).where(Organisation.code == organisation))
    referral = Referral(
        case_id=case.id,
        organisation_id=org.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        status="accepted",
        purpose="Aide à l'installation",
    )
    for days, frm, to in (
        (9, "draft", "submitted"),
        (8, "approved", "sent"),
        (6, "sent", "accepted"),
    ):
        referral.events.append(
            ReferralEvent(occurred_at=now - timedelta(days=days), from_status=frm, to_status=to)
        )
    db.session.add(referral)
    db.session.flush()
    # Written straight into the tables, past the operations and their events: the dashboard's
    # aggregates are recounted for this case as the listeners would have.
    aggregates.refresh_cases([case.id])
    aggregates.refresh_referrals([referral.id])
    db.session.commit()


def busy_agent(make_user, count: int, region: str = "06", **case_fields) -> tuple:
    """An agent of ``region`` with ``count`` cases, each with the activity above."""
    agent = make_user(role="agent", region=region)
    case_ids = []
    for _ in range(count):
        record = helpers.create_case(agent.id, **case_fields)
        add_activity(record.id)
        case_ids.append(record.id)
    return agent, case_ids
