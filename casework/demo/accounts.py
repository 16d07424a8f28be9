"""Demo accounts: the documented ones and an illustrative staff roster (seed/demo/accounts.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from casework.auth import operations
from casework.auth.models import User
from casework.auth.passwords import check_password_policy, generate_temporary_password
from casework.demo.tables import read_tables, shaped
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
    phone: str | None = None  # illustrative (555-01xx numbers are reserved for fiction)


HOME_AGENT = "agente"  # the documented agent whose working day the demo prepares


def documented_accounts(seed_dir: str | None = None) -> tuple[DemoAccount, ...]:
    """The accounts README.md lists (seed/demo/accounts.yaml, ``documented``)."""
    items = read_tables("accounts", seed_dir)["documented"]
    return tuple(shaped(DemoAccount, item) for item in items)


def roster(seed_dir: str | None = None) -> tuple[DemoAccount, ...]:
    """More staff, so that lists, filters and pagination have something to show."""
    return tuple(shaped(DemoAccount, item) for item in read_tables("accounts", seed_dir)["roster"])


def demo_agents(seed_dir: str | None = None) -> tuple[str, ...]:
    """Usernames of the demo's agents, documented ones first: they receive the demo cases."""
    accounts = documented_accounts(seed_dir) + roster(seed_dir)
    return tuple(account.username for account in accounts if account.role == "agent")


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
            select(Organisation)
            .where(
                Organisation.regions.any(Region.id == region.id),
                Organisation.kind == "pasi_partner",
            )
            .order_by(Organisation.code)
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
        phone=account.phone,
        role=account.role,
        region_id=region.id,
        service_point_id=point.id if point else None,
        organisation_id=organisation.id if organisation else None,
    )
    user, _ = operations.create_user(None, fields, password=password)
    return user


def enrol_second_factors(accounts: list[User]) -> dict[str, str]:
    """The documented accounts whose role requires a second factor get one, with a new secret
    each run, so that a person trying the demo can add it to an authenticator application; the
    secrets are returned to be printed once."""
    from casework.auth import second_factor

    secrets = {
        user.username: second_factor.enrol_without_confirmation(user)
        for user in accounts
        if second_factor.is_required(user)
    }
    db.session.commit()
    return secrets


def load_demo(
    password: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[User], str]:
    """Create the demo accounts and roster; returns the documented accounts and the password."""
    password = password or generate_temporary_password()
    check_password_policy(password)
    step = progress or (lambda _label: None)
    documented, staff = documented_accounts(), roster()
    step("comptes de démonstration")
    accounts = [ensure_account(account, password) for account in documented]
    step("équipe de démonstration")
    for account in staff:
        ensure_account(account, password)
    db.session.commit()
    return accounts, password
