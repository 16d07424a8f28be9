"""What reports add to the features they read (imported by ``app.register_listeners``;
``casework events`` lists it all): the caseload lists the cases behind each dashboard figure
that is not one of its ordinary filters (a delay's people, a reminder's no-shows)."""

from __future__ import annotations

from casework.cases.operations import CASELOAD_COHORTS
from casework.reports import operations

for cohort in operations.caseload_cohorts():
    CASELOAD_COHORTS.add(cohort)
