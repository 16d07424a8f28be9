"""The referral page's sections from the features built on referrals (the documents shared with
it…): each adds a ``ReferralSection`` in its listeners.py, and the referral page renders them
after the referral's own information, for staff and for the organisation's users alike (a
section shows only what its reader may see)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup

from casework.core.events import ExtensionPoint
from casework.referrals.models import Referral


@dataclass(frozen=True)
class ReferralSection:
    name: str
    template: str  # rendered with ``referral`` and what ``context(referral)`` returns
    context: Callable[[Referral], dict[str, Any]]


REFERRAL_PAGE_SECTIONS: ExtensionPoint[ReferralSection] = ExtensionPoint(
    "referrals.page_sections", "sections of the referral page shown by the features built on it"
)


def rendered_sections(referral: Referral) -> list[Markup]:
    return [
        Markup(render_template(section.template, referral=referral, **section.context(referral)))
        for section in REFERRAL_PAGE_SECTIONS
    ]
