"""What reports add to the features they read (imported by ``app.register_listeners``;
``casework events`` lists it all).

- The dashboard's and the indicators' aggregates kept in step with the data: each listener
  recounts the rows of the case or referral that changed (``reports/aggregates.py``), in the
  transaction of the change, so the aggregates commit or roll back with it.
- The caseload lists the cases behind each figure that is not one of its ordinary filters: a
  dashboard delay's people, a reminder's no-shows, each figure of the indicators page.
"""

from __future__ import annotations

from casework.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    AppointmentRescheduled,
)
from casework.assessments.events import AssessmentChanged
from casework.cases.events import CasesAnonymised, CaseStatusChanged, CaseTransferred
from casework.cases.operations import CASELOAD_COHORTS
from casework.core.events import listens_to
from casework.followups.events import FollowUpRecorded
from casework.plans.events import PlanFinalised
from casework.referrals.events import ReferralStatusChanged
from casework.reports import aggregates, indicators, operations


@listens_to(
    AssessmentChanged,
    CaseStatusChanged,
    CaseTransferred,
    AppointmentBooked,
    AppointmentRescheduled,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    PlanFinalised,
)
def recount_case(event) -> None:
    """Open needs (assessment, closing, reopening, region) and the first appointment held and
    plan finalised (appointments, plans) of the case."""
    aggregates.refresh_cases([event.case_id])


@listens_to(CasesAnonymised)
def recount_anonymised(event: CasesAnonymised) -> None:
    """Retention deleted the cases' plans (plans' listener, registered before this one): their
    first plan finalised is recounted, which the indicators' delays read too."""
    aggregates.refresh_cases(event.case_ids)


@listens_to(CaseTransferred)
def follow_the_case(event: CaseTransferred) -> None:
    """Its referrals moved to the case's new region (referrals' listener, registered before
    this one): their cohort rows follow."""
    aggregates.refresh_referrals_of_case(event.case_id)


@listens_to(FollowUpRecorded)
def recount_situations(event: FollowUpRecorded) -> None:
    """A follow-up's situations may now be the ones that stand at its milestone (the
    indicators')."""
    aggregates.refresh_follow_ups([event.case_id])


@listens_to(ReferralStatusChanged)
def recount_referral(event: ReferralStatusChanged) -> None:
    """A referral submitted for review (again) may start the funnel's cohort; a later step
    (sent, answered, completed) is a stage its cohort row counts. Submitted or sent, it may
    leave its draft for the first time (the indicators' cohorts)."""
    if event.status in operations.FUNNEL_STAGES:
        aggregates.refresh_referrals([event.referral_id])


for cohort in operations.caseload_cohorts():
    CASELOAD_COHORTS.add(cohort)
for cohort in indicators.caseload_cohorts():
    CASELOAD_COHORTS.add(cohort)
