"""What reports add to the features below: the indicators' case sets, so that the caseload
lists the cases behind each figure of the indicators page (its drill-down)."""

from __future__ import annotations

from casework.cases.operations import CASE_SETS, CaseSet
from casework.reports import indicators

for _indicator in indicators.INDICATORS:
    if _indicator.case_ids is not None:  # those waiting for the follow-ups list no case yet
        CASE_SETS.add(CaseSet(_indicator.key, _indicator.label, _indicator.case_ids))
for _key, _function in (
    ("arrival_to_first_appointment", indicators.arrival_to_first_appointment),
    ("arrival_to_plan", indicators.arrival_to_plan),
):
    CASE_SETS.add(CaseSet(_key, indicators.DELAY_LABELS[_key], _function))
