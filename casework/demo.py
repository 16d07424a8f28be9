"""Demo data: the documented demo accounts and an illustrative staff roster.

Every name here is invented (illustrative demo values), not a real person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from casework.auth import operations
from casework.auth.models import User
from casework.auth.passwords import check_password_policy, generate_temporary_password
from casework.extensions import db
from casework.reference.models import Organisation, Region, ServicePoint


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    region: str
    service_point: str | None = (
        None  # a code, or None for "the region's directorate or first point"
    )
    organisation: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin", "Administratrice Démo", "admin", "06"),
    DemoAccount("agente", "Amélie Tremblay", "agent", "06"),
    DemoAccount("agent2", "Karim Benali", "agent", "03"),
    DemoAccount("conseiller", "Jean-François Gagnon", "advisor", "06"),
    DemoAccount("accueil", "Nadia Pierre-Louis", "airport", "06", service_point="AEROPORT-YUL"),
    DemoAccount("partenaire", "Sofía Ramírez", "partner", "06", organisation="promis"),
    DemoAccount("superviseur", "Marc-André Côté", "supervisor", "06"),
)

# A roster so that lists, filters and pagination have something to show (illustrative names).
DEMO_ROSTER = (
    DemoAccount("agent.estrie", "Léa Bouchard", "agent", "05"),
    DemoAccount("agent.outaouais", "Mamadou Diallo", "agent", "07"),
    DemoAccount("agent.mauricie", "Isabelle Lavoie", "agent", "04"),
    DemoAccount("agent.laval", "Thi Lan Nguyen", "agent", "13"),
    DemoAccount("agent.monteregie", "Olivier Roy", "agent", "16"),
    DemoAccount("agent.lanaudiere", "Fatima Zahra El Amrani", "agent", "14"),
    DemoAccount("agent.chaudiere", "Simon Pelletier", "agent", "12"),
    DemoAccount("agent.mtl2", "Ana Lucía Torres", "agent", "06"),
    DemoAccount("conseil.capitale", "Geneviève Morin", "advisor", "03"),
    DemoAccount("conseil.estrie", "Patrick O'Neill", "advisor", "05"),
    DemoAccount("conseil.outaouais", "Chantal Bélanger", "advisor", "07"),
    DemoAccount("accueil2", "Yves-Daniel Joseph", "airport", "06", service_point="AEROPORT-YUL"),
    DemoAccount("superv.capitale", "Hélène Fortin", "supervisor", "03"),
    DemoAccount("partenaire.sana", "Ravi Sharma", "partner", "05", organisation="sanc"),
)


def _region(code: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise ValueError(f"région {code} absente : lancez « casework init » d'abord")
    return region


def _service_point(account: DemoAccount, region: Region) -> ServicePoint | None:
    if account.role in ("partner", "admin"):
        return None
    statement = select(ServicePoint).where(ServicePoint.region_id == region.id)
    if account.service_point:
        statement = select(ServicePoint).where(ServicePoint.code == account.service_point)
    else:
        # The region's directorate when it has one, else its first service point.
        statement = statement.where(ServicePoint.code != "AEROPORT-YUL").order_by(
            (ServicePoint.kind != "directorate"), ServicePoint.code
        )
    return db.session.scalars(statement.limit(1)).first()


def _organisation(account: DemoAccount, region: Region) -> Organisation | None:
    if account.role != "partner":
        return None
    found = db.session.scalar(select(Organisation).where(Organisation.code == account.organisation))
    return (
        found
        or db.session.scalars(
            select(Organisation).where(
                Organisation.region_id == region.id, Organisation.kind == "pasi_partner"
            )
        ).first()
    )


DEMO_EMAIL_DOMAIN = "demo.casework.invalid"


def ensure_account(account: DemoAccount, password: str) -> User:
    """Create the account, or reset it to the demo password when a demo run created it.

    An account of the same name that a demo run did not create is a real one: refuse rather
    than give it a password printed on a terminal.
    """
    existing = operations.find_user(account.username)
    if existing is not None:
        if not (existing.email or "").endswith(f"@{DEMO_EMAIL_DOMAIN}"):
            raise ValueError(
                f"le compte « {account.username} » existe et n'est pas un compte de démonstration ; "
                "utilisez une base de données distincte pour la démonstration"
            )
        operations.set_password(None, existing, password)
        existing.active = True
        return existing
    region = _region(account.region)
    point = _service_point(account, region)
    organisation = _organisation(account, region)
    fields = operations.AccountFields(
        username=account.username,
        full_name=account.full_name,
        email=f"{account.username}@{DEMO_EMAIL_DOMAIN}",
        role=account.role,
        region_id=region.id,
        service_point_id=point.id if point else None,
        organisation_id=organisation.id if organisation else None,
    )
    user, _ = operations.create_user(None, fields, password=password)
    return user


def load_demo(
    password: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[User], str]:
    """Create the demo accounts and roster; returns the documented accounts and the password."""
    password = password or generate_temporary_password()
    check_password_policy(password)
    step = progress or (lambda _label: None)
    step("comptes de démonstration")
    accounts = [ensure_account(account, password) for account in DEMO_ACCOUNTS]
    step("équipe de démonstration")
    for account in DEMO_ROSTER:
        ensure_account(account, password)
    db.session.commit()
    return accounts, password


def load_demo_cases_once(count: int, progress: Callable[[str], None] | None = None) -> int | None:
    """Create ``count`` illustrative cases when the database has none; None when it has some."""
    from casework.cases.models import Case
    from casework.demo_appointments import load_demo_appointments
    from casework.demo_cases import load_demo_cases
    from casework.demo_plans import load_demo_plans, load_demo_referrals
    from casework.demo_reminders import load_demo_reminders

    if db.session.scalar(select(Case.id).limit(1)) is not None:
        return None
    created = load_demo_cases(count, progress=progress)
    load_demo_plans(progress=progress)
    load_demo_referrals(progress=progress)
    load_demo_appointments(progress=progress)
    load_demo_reminders(progress=progress)
    return created
