"""What reports add to the features they read (imported by ``app.register_listeners``;
``casework events`` lists it all): the caseload lists the cases behind each figure that is not
one of its ordinary filters — a dashboard delay's people, a reminder's no-shows, each figure of
the indicators page."""

from __future__ import annotations

from casework.cases.operations import CASELOAD_COHORTS
from casework.reports import indicators, operations

for cohort in operations.caseload_cohorts():
    CASELOAD_COHORTS.add(cohort)
for cohort in indicators.caseload_cohorts():
    CASELOAD_COHORTS.add(cohort)
