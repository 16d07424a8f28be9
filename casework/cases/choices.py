"""Closed lists of the case domain, with their labels (codes are stored, labels are shown)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Languages and countries live with the reference data (organisations speak languages too);
# the case file's forms and pages reach them through this module.
from casework.reference.languages import (  # noqa: F401
    COMMON_COUNTRIES,
    COMMON_LANGUAGES,
    country_choices,
    country_name,
    is_country,
    is_language,
    language_choices,
    language_name,
)

GENDERS = {
    "woman": _l("Woman"),
    "man": _l("Man"),
    "non_binary": _l("Non-binary"),
    "other": _l("Another identity"),
    "undisclosed": _l("Prefers not to say"),
}
IMMIGRATION_CATEGORIES = {
    # Québec's economic category: skilled workers (PRTQ, PEQ) and business immigration.
    "economic": _l("Economic immigration (PRTQ, PEQ, business immigration)"),
    "family": _l("Family reunification"),
    "gar": _l("Government-assisted refugee"),
    # Québec's term is « parrainage collectif » (collective sponsorship).
    "psr": _l("Refugee under collective sponsorship"),
    "asylum": _l("Asylum seeker"),
    "temporary_worker": _l("Temporary worker"),
    "student": _l("International student"),
    "other": _l("Other"),
}
# Categories whose stay has an end date: their permit (and, for students, their CAQ) expiry
# dates are recorded and reminded before they fall.
TEMPORARY_CATEGORIES = ("temporary_worker", "student")
# The ministry's attestation of democratic and Québec values is a condition of permanent
# selection in the economic programs (plan, l. 887–902).
VALUES_ATTESTATION_CATEGORIES = ("economic",)
# Highest education level completed. ILLUSTRATIVE list written for casework: the ministry's
# plan gives none; check it against the Ministère's intake form before use.
EDUCATION_LEVELS = {
    "none": _l("No schooling completed"),
    "primary": _l("Primary school"),
    "secondary": _l("Secondary school (or vocational training)"),
    "college": _l("College (CEGEP or equivalent)"),
    "bachelor": _l("Bachelor's degree"),
    "master": _l("Master's degree"),
    "doctorate": _l("Doctorate"),
}
# The person's situation in the labour market, at intake and at each follow-up (one list for
# both, so that they compare). The plan asks whether immigrants find work matching their
# skills (employment in or outside their field) and whether requalification leads to jobs.
EMPLOYMENT_STATUSES = {
    "employed_in_field": _l("Employed in their field"),
    "employed_outside_field": _l("Employed outside their field"),
    "requalification": _l("In requalification"),
    "looking_for_work": _l("Looking for work"),
    "studying": _l("Studying"),
    "not_in_labour_force": _l("Not in the labour force"),
}
FRENCH_LEVELS = {
    "none": _l("None"),
    "beginner": _l("Beginner"),
    "intermediate": _l("Intermediate"),
    "advanced": _l("Advanced"),
    "fluent": _l("Fluent"),
}
ORIGINS = {
    "airport": _l("Airport booking"),
    "walk_in": _l("Walk-in"),
    "partner": _l("Partner referral"),
    "abroad": _l("From abroad"),
}
STATUSES = {
    "new": _l("New"),
    "active": _l("Active"),
    "on_hold": _l("On hold"),
    "closed": _l("Closed"),
}
OPEN_STATUS = "open"  # the caseload's filter for every case not closed (the dashboard's total)
PRIORITIES = {"normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
CLOSING_REASONS = {
    "goals_met": _l("Goals of the plan met"),
    "moved": _l("Moved out of Québec"),
    "declined": _l("Person declined the service"),
    "no_contact": _l("No contact possible"),
    "other": _l("Other reason"),
}
RELATIONSHIPS = {
    "spouse": _l("Spouse or partner"),
    "child": _l("Child"),
    "parent": _l("Parent"),
    "other": _l("Other relative"),
}
INTERACTION_KINDS = {
    "note": _l("Note"),
    "phone": _l("Phone call"),
    "meeting": _l("Meeting"),
    "email": _l("E-mail"),
}
MODES = {"in_person": _l("In person"), "phone": _l("Phone"), "video": _l("Video")}
CONSENT_PURPOSES = {
    "share_partner": _l("Share with a partner organisation"),
    "share_mtess": _l("Share with MTESS (requalification)"),
    # The file, or the person's profile and project, going to another region (its agent or its
    # regional immigration advisor).
    "transfer_region": _l("Transfer to another region"),
    "contact_phone": _l("Contact by phone"),
    "contact_email": _l("Contact by e-mail"),
    "contact_sms": _l("Contact by SMS"),
}
CONSENT_METHODS = {
    "verbal": _l("Verbal, noted by the agent"),
    "signed": _l("Signed form"),
    "electronic": _l("Electronic"),
}
