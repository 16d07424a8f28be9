"""Load ``seed/*.yaml`` into the reference tables, idempotently.

Rows are matched by their natural key (code, number, CNP code, name); a field is written only
when its value differs, so a second load changes nothing. Values under a ``demo:`` mapping are
illustrative and are recorded as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from casework.core.events import ExtensionPoint
from casework.extensions import db
from casework.reference.models import (
    Domain,
    HostCity,
    Need,
    Occupation,
    Organisation,
    PasiVolet,
    Region,
    ServicePoint,
)

Report = dict[str, tuple[int, int]]


class SeedError(ValueError):
    """A seed file is missing or inconsistent; the message names the file and the item."""


def read_seed(seed_dir: str | Path, name: str, key: str) -> list[dict[str, Any]]:
    path = Path(seed_dir) / name
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: {error}") from error
    items = document.get(key)
    if not isinstance(items, list):
        raise SeedError(f"{path}: a list under « {key} » is expected")
    return items


class Upserter:
    """Insert-or-update by natural key (one or more columns), counting rows that changed."""

    def __init__(self, model: type, *key_fields: str):
        self.model = model
        self.key_fields = key_fields
        self.rows = {self._key_of(row): row for row in db.session.scalars(select(model))}
        self.total = 0
        self.changed_keys: set[Any] = set()

    def _key_of(self, row: Any) -> Any:
        values = tuple(getattr(row, name) for name in self.key_fields)
        return values[0] if len(values) == 1 else values

    def put(self, key: Any, create_only: bool = False, **values: Any) -> Any:
        """Insert the row, or bring it in line with the seed (``create_only``: leave it alone)."""
        self.total += 1
        row = self.rows.get(key)
        if row is not None and create_only:
            return row
        if row is None:
            keys = key if isinstance(key, tuple) else (key,)
            row = self.model(**dict(zip(self.key_fields, keys, strict=True)), **values)
            db.session.add(row)
            self.rows[key] = row
            self.changed_keys.add(key)
            return row
        differing = {name: value for name, value in values.items() if getattr(row, name) != value}
        for name, value in differing.items():
            setattr(row, name, value)
        if differing:
            self.changed_keys.add(key)
        return row

    @property
    def report(self) -> tuple[int, int]:
        return self.total, len(self.changed_keys)


def _lookup(rows: dict[Any, Any], value: Any, what: str, item: Any) -> Any:
    if value not in rows:
        raise SeedError(f"{what} « {value} » inconnu(e) (élément {item!r})")
    return rows[value]


def load_regions(seed_dir: Path) -> Upserter:
    upsert = Upserter(Region, "code")
    for item in read_seed(seed_dir, "regions.yaml", "regions"):
        upsert.put(
            str(item["code"]),
            name=item["name"],
            name_en=item.get("name_en"),
            parts=list(item.get("parts", [])),
        )
    return upsert


def load_service_points(seed_dir: Path, regions: dict[str, Region]) -> Upserter:
    upsert = Upserter(ServicePoint, "code")
    for item in read_seed(seed_dir, "service_points.yaml", "service_points"):
        region = _lookup(regions, str(item["region"]), "région", item["code"])
        upsert.put(
            item["code"],
            name=item["name"],
            kind=item["kind"],
            city=item.get("city"),
            region=region,
            illustrative=bool(item.get("demo", True)),
            address=item.get("address"),
            phone=item.get("phone"),
            directions=item.get("directions"),
            directions_en=item.get("directions_en"),
        )
    return upsert


def load_domains(seed_dir: Path) -> tuple[Upserter, Upserter]:
    domains = Upserter(Domain, "code")
    needs = Upserter(Need, "domain_id", "code")
    for position, item in enumerate(read_seed(seed_dir, "domains.yaml", "domains"), start=1):
        domain = domains.put(
            item["code"],
            position=position,
            name=item["name"],
            name_en=item.get("name_en"),
            description=item.get("description"),
            description_en=item.get("description_en"),
        )
        db.session.flush()
        for need_position, need in enumerate(item.get("needs", []), start=1):
            needs.put(
                (domain.id, need["code"]),
                position=need_position,
                label_fr=need["label"],
                label_en=need.get("label_en"),
            )
    return domains, needs


def load_volets(seed_dir: Path) -> Upserter:
    upsert = Upserter(PasiVolet, "number")
    for item in read_seed(seed_dir, "pasi_volets.yaml", "volets"):
        upsert.put(
            int(item["number"]),
            name=item["name"],
            name_en=item.get("name_en"),
            description=item.get("description"),
        )
    return upsert


def load_organisations(
    seed_dir: Path,
    regions: dict[str, Region],
    volets: dict[int, PasiVolet],
    domains: dict[str, Domain],
) -> Upserter:
    # The seed is only the initial directory: advisors and admins maintain it in the UI
    # afterwards, so an organisation that exists is never overwritten by a reload.
    upsert = Upserter(Organisation, "code")
    for item in read_seed(seed_dir, "organisations.yaml", "organisations"):
        demo = item.get("demo") or {}
        merged = {**item, **demo}
        code = item["code"]
        if code in upsert.rows:
            upsert.put(code, create_only=True)
            continue
        row = upsert.put(
            code,
            name=item["name"],
            full_name=item.get("full_name"),
            kind=item["kind"],
            region=_lookup(regions, str(item["region"]), "région", code)
            if item.get("region")
            else None,
            cities_served=list(merged.get("cities_served", [])),
            languages=list(merged.get("languages", [])),
            capacity=merged.get("capacity"),
            document_note=item.get("document_note"),
            illustrative_fields=sorted(demo),
        )
        row.volets = [_lookup(volets, int(n), "volet", code) for n in merged.get("volets", [])]
        row.domains = [_lookup(domains, d, "domaine", code) for d in merged.get("domains", [])]
    return upsert


def load_occupations(seed_dir: Path) -> Upserter:
    upsert = Upserter(Occupation, "cnp")
    existing = set(upsert.rows)
    for item in read_seed(seed_dir, "occupations.yaml", "occupations"):
        cnp = str(item["cnp"])
        values = {"title": item["title"], "title_en": item.get("title_en")}
        if cnp not in existing:
            # The priority is editable by an administrator afterwards: set it only once.
            values["priority"] = int(item.get("priority", 100))
        upsert.put(cnp, **values)
    return upsert


def load_host_cities(seed_dir: Path, regions: dict[str, Region]) -> Upserter:
    upsert = Upserter(HostCity, "name")
    for item in read_seed(seed_dir, "host_cities.yaml", "host_cities"):
        upsert.put(
            item["name"], region=_lookup(regions, str(item["region"]), "région", item["name"])
        )
    return upsert


@dataclass(frozen=True)
class SeedLoader:
    """A feature's own seed file, loaded after the reference data in the same transaction.
    ``load(seed_dir)`` returns (rows in the file, rows added or changed)."""

    name: str  # the key in the report, e.g. "follow_up_rules"
    label: str  # what `casework init` prints while loading it
    load: Callable[[Path], tuple[int, int]]


# Features built on the reference data add their loaders (appointment types, follow-up rules)
# in their listeners.py, so this package need not know them.
SEED_LOADERS: ExtensionPoint[SeedLoader] = ExtensionPoint(
    "reference.seed_loaders", "seed files of the features built on the reference data"
)


def load_reference_data(
    seed_dir: str | Path, progress: Callable[[str], None] | None = None
) -> Report:
    """Load every seed file in dependency order, in one transaction."""
    seed_dir = Path(seed_dir)
    step = progress or (lambda _label: None)
    try:
        step("régions")
        regions = load_regions(seed_dir)
        db.session.flush()
        step("points de service")
        points = load_service_points(seed_dir, regions.rows)
        step("domaines et besoins")
        domains, needs = load_domains(seed_dir)
        step("volets du PASI")
        volets = load_volets(seed_dir)
        db.session.flush()
        step("organismes")
        organisations = load_organisations(seed_dir, regions.rows, volets.rows, domains.rows)
        step("professions en demande")
        occupations = load_occupations(seed_dir)
        step("villes d'accueil")
        cities = load_host_cities(seed_dir, regions.rows)
        features = {}
        for loader in SEED_LOADERS:
            step(loader.label)
            features[loader.name] = loader.load(seed_dir)
        db.session.commit()
    except (KeyError, TypeError) as error:
        db.session.rollback()
        raise SeedError(f"champ manquant ou invalide dans seed/: {error}") from error
    except SeedError:
        db.session.rollback()
        raise
    return {
        "regions": regions.report,
        "service_points": points.report,
        "domains": domains.report,
        "needs": needs.report,
        "pasi_volets": volets.report,
        "organisations": organisations.report,
        "occupations": occupations.report,
        "host_cities": cities.report,
        **features,
    }
