"""What each role does next, as cards on the home page.

A card without an endpoint is a feature of a later release, shown as « à venir ».
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from casework.core.roles import Role


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    endpoint: str | None = None

    @property
    def coming_soon(self) -> bool:
        return self.endpoint is None


REGION_CASES = Card(
    _l("Cases of my region"),
    _l("Read the case files of your region: person, household, needs and timeline."),
    "cases.index",
)
REFERENCE = Card(
    _l("Reference data"),
    _l(
        "Regions, service points, partner organisations, the need catalogue and in-demand occupations."
    ),
    "reference.index",
)
DASHBOARD = Card(
    _l("Regional dashboard"),
    _l("Caseloads per agent, open needs by domain, referral funnel, time to service."),
    "reports.dashboard",
)
INDICATORS = Card(
    _l("Action plan indicators"),
    _l(
        "The ministry's action plan measures by region and period: airport, accompaniment, francisation, requalification, the interpretation pilot."
    ),
    "reports.indicators_page",
)
PASSWORD = Card(_l("My password"), _l("Change your password."), "auth.change_password")

CARDS: dict[Role, list[Card]] = {
    Role.AGENT: [
        Card(
            _l("My caseload"),
            _l("Open a case for a person, follow your active cases and what is due."),
            "cases.index",
        ),
        Card(
            _l("Open a case"),
            _l(
                "Check that the person has no file yet, then record who they are and assess needs in the five domains."
            ),
            "cases.create",
        ),
        Card(
            _l("My reminders"),
            _l(
                "Follow-ups due today and overdue: appointments, referrals, plan actions, consents."
            ),
            "reminders.index",
        ),
        Card(
            _l("Transfers"),
            _l("Cases other agents want to hand over to you."),
            "transfers.index",
        ),
        Card(
            _l("Referrals"),
            _l(
                "Refer people to partner organisations and to MTESS from their action plan (the plan itself is on each case)."
            ),
            "referrals.index",
        ),
        Card(
            _l("My calendar"),
            _l("Your appointments, including those booked by the airport team."),
            "appointments.calendar",
        ),
        Card(
            _l("My availability"),
            _l("The weekly periods when people can be booked with you, and your absences."),
            "appointments.availability",
        ),
        REFERENCE,
    ],
    Role.ADVISOR: [
        Card(
            _l("Referrals to review"),
            _l(
                "Review the referrals of your region and follow the partner organisations' answers."
            ),
            "referrals.index",
        ),
        Card(
            _l("Regional network"),
            _l("Partner organisations of your region and their capacity."),
            "referrals.loads",
        ),
        DASHBOARD,
        INDICATORS,
        REGION_CASES,
        REFERENCE,
    ],
    Role.AIRPORT: [
        Card(
            _l("Airport console"),
            _l("Book a first Accompagnement Québec appointment for a newcomer and print the slip."),
            "airport.console",
        ),
        Card(
            _l("Opening hours"),
            _l("International arrivals 11:00–24:00, domestic arrivals 07:00–23:00, every day."),
            "airport.console",
        ),
        REFERENCE,
    ],
    Role.SUPERVISOR: [
        DASHBOARD,
        INDICATORS,
        Card(
            _l("Reminders of my region"),
            _l("The agents' follow-ups, those escalated to you, and who handles what."),
            "reminders.index",
        ),
        REGION_CASES,
        Card(
            _l("Agents' calendars"),
            _l("Appointments and availability of the agents of your region."),
            "appointments.calendar",
        ),
        REFERENCE,
    ],
    Role.PARTNER: [
        Card(
            _l("Referrals received"),
            _l(
                "Accept or decline the referrals sent to your organisation, then report the outcome."
            ),
            "referrals.index",
        ),
        Card(
            _l("Our organisation"),
            _l("The services, languages and capacity the agents see for your organisation."),
            "reference.organisations",
        ),
    ],
    Role.ADMIN: [
        Card(
            _l("User accounts"),
            _l(
                "Create, change and disable accounts; assign role, region, service point or organisation."
            ),
            "users.index",
        ),
        Card(_l("Audit trail"), _l("Who did what, and when."), "audit.index"),
        DASHBOARD,
        INDICATORS,
        Card(
            _l("Appointment types"),
            _l("The duration of a first interview and of a follow-up meeting."),
            "appointments.types",
        ),
        Card(
            _l("Message templates"),
            _l("The confirmations and reminders sent to persons, by e-mail and SMS."),
            "messages.templates",
        ),
        REFERENCE,
    ],
}


def cards_for(role: Role) -> list[Card]:
    return [*CARDS.get(role, []), PASSWORD]
