"""What happens to referrals, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.events import Event


@dataclass(frozen=True)
class ReferralStatusChanged(Event):
    """A referral moved along its lifecycle (approved, sent, accepted, completed…)."""

    case_id: int
    referral_id: int
    previous: str
    status: str
    # The transition's row (``ReferralEvent``): who, when, the comment. It names the fact once,
    # so a listener that records it (notifications) does so once, even if it is replayed.
    transition_id: int
