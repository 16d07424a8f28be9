"""What action plans do when a case changes (imported by ``app.register_listeners``;
``casework events`` lists it all)."""

from __future__ import annotations

from casework.cases.events import CasesAnonymised
from casework.core.events import listens_to
from casework.plans import operations


@listens_to(CasesAnonymised)
def delete_plans(event: CasesAnonymised) -> dict[str, int]:
    return operations.delete_plans_of(event.case_ids)
