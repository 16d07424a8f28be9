"""Staff roles. Lives in core because the permissions policy is written in terms of roles."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    AGENT = "agent"
    ADVISOR = "advisor"
    AIRPORT = "airport"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.AGENT: _l("Integration agent"),
    Role.ADVISOR: _l("Regional immigration advisor"),
    Role.AIRPORT: _l("Airport reception staff"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.PARTNER: _l("Partner organisation"),
    Role.ADMIN: _l("Administrator"),
}

# Roles whose users belong to a service point (the others belong to an organisation or to none).
ROLES_WITH_SERVICE_POINT = frozenset({Role.AGENT, Role.ADVISOR, Role.AIRPORT, Role.SUPERVISOR})
ROLES_WITH_ORGANISATION = frozenset({Role.PARTNER})
