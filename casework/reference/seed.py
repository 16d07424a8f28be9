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
from flask_babel import lazy_gettext as _l
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
    """A seed file is missing or inconsistent; the message names the file, the line and the
    rule broken."""


class Item(dict):
    """A mapping read from a seed file, which remembers its file and line for the errors."""

    path: Path | None = None
    line: int = 0

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else "seed"


class _LineLoader(yaml.SafeLoader):
    """YAML's safe loader, keeping each mapping's line."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> Item:
    item = Item(loader.construct_mapping(node, deep=True))
    item.path = loader.seed_path
    item.line = node.start_mark.line + 1
    return item


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_document(seed_dir: str | Path, name: str) -> dict[str, Any]:
    path = Path(seed_dir) / name
    try:
        loader = _LineLoader(path.read_text(encoding="utf-8"))
        loader.seed_path = path
        try:
            document = loader.get_single_data() or {}
        finally:
            loader.dispose()
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: {error}") from error
    if not isinstance(document, dict):
        raise SeedError(f"{path}: a mapping is expected")
    return document


def read_seed(seed_dir: str | Path, name: str, key: str) -> list[dict[str, Any]]:
    path = Path(seed_dir) / name
    items = read_document(seed_dir, name).get(key)
    if not isinstance(items, list):
        raise SeedError(f"{path}: a list under « {key} » is expected")
    return items


def refuse(item: Any, rule: str) -> SeedError:
    """The error for an item that breaks a rule: « file:line: rule »."""
    where = item.where() if isinstance(item, Item) else "seed"
    return SeedError(f"{where}: {rule}")


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
        code = item.get("code", item.get("name")) if isinstance(item, dict) else item
        raise refuse(item, f"{what} « {value} » inconnu(e) (élément {code!r})")
    return rows[value]


def load_regions(seed_dir: Path) -> Upserter:
    upsert = Upserter(Region, "code")
    for item in read_seed(seed_dir, "regions.yaml", "regions"):
        upsert.put(
            str(item["code"]),
            name=item["name"],
            name_en=item.get("name_en"),
            parts=list(item.get("parts", [])),
            interpretation_pilot=bool(item.get("remote_interpretation_pilot", False)),
        )
    return upsert


def load_service_points(seed_dir: Path, regions: dict[str, Region]) -> Upserter:
    upsert = Upserter(ServicePoint, "code")
    items = read_seed(seed_dir, "service_points.yaml", "service_points")
    coverage = _directorate_coverage(items, regions)
    for item in items:
        region = _lookup(regions, str(item["region"]), "région", item)
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
            regions_covered=coverage.get(item["code"], []),
        )
    return upsert


def _directorate_coverage(
    items: list[dict[str, Any]], regions: dict[str, Region]
) -> dict[str, list[Region]]:
    """Each directorate's regions; every region is covered by exactly one (l. 319)."""
    covered_by: dict[str, str] = {}
    coverage: dict[str, list[Region]] = {}
    for item in items:
        if item.get("kind") != "directorate":
            if item.get("covers"):
                raise refuse(item, f"« {item['code']} » n'est pas une direction régionale")
            continue
        codes = [str(code) for code in item.get("covers") or []]
        for code in codes:
            _lookup(regions, code, "région", item)
            if code in covered_by:
                raise refuse(
                    item,
                    f"la région {code} est couverte par deux directions régionales "
                    f"({covered_by[code]} et {item['code']}) : chaque région l'est par une seule",
                )
            covered_by[code] = item["code"]
        coverage[item["code"]] = sorted((regions[code] for code in codes), key=lambda r: r.code)
    missing = sorted(set(regions) - set(covered_by))
    if missing and items:
        raise refuse(
            items[0],
            f"région(s) {', '.join(missing)} couverte(s) par aucune direction régionale : "
            "chaque région l'est par une seule (champ covers)",
        )
    return coverage


def load_domains(seed_dir: Path) -> tuple[Upserter, Upserter]:
    domains = Upserter(Domain, "code")
    needs = Upserter(Need, "domain_id", "code")
    for position, item in enumerate(read_seed(seed_dir, "domains.yaml", "domains"), start=1):
        kinds = item.get("organisation_kinds")
        if not isinstance(kinds, list) or not kinds:
            raise refuse(item, f"domaine « {item['code']} » : organisation_kinds est requis")
        unknown = sorted(set(kinds) - set(ORGANISATION_KINDS))
        if unknown:
            raise refuse(item, f"type(s) d'organisme inconnu(s) : {', '.join(unknown)}")
        domain = domains.put(
            item["code"],
            position=position,
            name=item["name"],
            name_en=item.get("name_en"),
            description=item.get("description"),
            description_en=item.get("description_en"),
            organisation_kinds=list(kinds),
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
    # afterwards, so an organisation that exists is never overwritten by a reload. Every item
    # is checked first, so a file that breaks a rule loads nothing.
    document = read_document(seed_dir, "organisations.yaml")
    items = document.get("organisations")
    if not isinstance(items, list):
        raise SeedError(f"{Path(seed_dir) / 'organisations.yaml'}: a list under « organisations »")
    items = items + _placeholders(document.get("placeholders"), regions)
    for item in items:
        _check_organisation(item, regions, domains)
    upsert = Upserter(Organisation, "code")
    for item in items:
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
            regions=[regions[str(c)] for c in sorted(str(c) for c in merged.get("regions", []))],
            regionalisation=bool(item.get("regionalisation", False)),
            cities_served=list(merged.get("cities_served", [])),
            languages=list(merged.get("languages", [])),
            capacity=merged.get("capacity"),
            document_note=item.get("document_note"),
            illustrative_fields=sorted(demo),
        )
        row.volets = [_lookup(volets, int(n), "volet", item) for n in merged.get("volets", [])]
        row.domains = [domains[d] for d in merged.get("domains", [])]
    return upsert


# The kinds of organisation (seed/organisations.yaml explains each), and their names.
KIND_LABELS = {
    "pasi_partner": _l("PASI partner"),
    "community": _l("Community organisation"),
    "government": _l("Government body"),
    "skills_recognition": _l("Skills recognition"),
    "economic_development": _l("Economic development"),
    "employer_recruitment": _l("Employer recruitment"),
}
ORGANISATION_KINDS = tuple(KIND_LABELS)


def _check_organisation(item: dict, regions: dict[str, Region], domains: dict[str, Domain]) -> None:
    """The rules of an organisation item: known regions and kind; its kind allowed for each of
    its domains (seed/domains.yaml, organisation_kinds)."""
    if "region" in item:
        raise refuse(item, f"« {item['code']} » : « region » est remplacé par la liste « regions »")
    merged = {**item, **(item.get("demo") or {})}
    if not isinstance(merged.get("regions"), list):
        raise refuse(
            item, f"« {item['code']} » : la liste « regions » est requise ([] : tout le Québec)"
        )
    for code in merged["regions"]:
        if str(code) not in regions:
            raise refuse(item, f"« {item['code']} » : code de région inconnu « {code} »")
    if item.get("kind") not in ORGANISATION_KINDS:
        raise refuse(item, f"« {item['code']} » : type d'organisme inconnu « {item.get('kind')} »")
    for code in merged.get("domains", []):
        domain = _lookup(domains, code, "domaine", item)
        if item["kind"] not in domain.organisation_kinds:
            raise refuse(
                item,
                f"« {item['code']} » : un organisme de type {item['kind']} n'est pas permis "
                f"pour les besoins du domaine {code} (organisation_kinds de domains.yaml)",
            )


def _placeholders(spec: dict | None, regions: dict[str, Region]) -> list[dict[str, Any]]:
    """One illustrative stand-in per region named, every field illustrative (see the file)."""
    if not spec:
        return []
    entries = []
    for code in spec.get("regions", []):
        region = _lookup(regions, str(code), "région", spec)
        entry = Item(
            code=f"placeholder_{code}",
            name=f"Organisme partenaire PASI de la région (fictif) — {region.name}",
            kind=spec["kind"],
            document_note="Entrée fictive : le document ne nomme aucun partenaire du PASI pour "
            "les besoins d'installation de cette région. À remplacer par le partenaire réel.",
            demo={
                "regions": [str(code)],
                "volets": list(spec.get("volets", [])),
                "domains": list(spec.get("domains", [])),
                "languages": list(spec.get("languages", [])),
                "capacity": spec.get("capacity"),
                "placeholder": True,
            },
        )
        entry.path, entry.line = spec.path, spec.line
        entries.append(entry)
    return entries


def load_occupations(seed_dir: Path) -> Upserter:
    # Administrators edit the list in the application (audited): an occupation that exists is
    # never overwritten by a reload; the seed adds the ones it does not have, unranked.
    upsert = Upserter(Occupation, "cnp")
    for item in read_seed(seed_dir, "occupations.yaml", "occupations"):
        upsert.put(
            str(item["cnp"]),
            create_only=True,
            cnp_version=str(item.get("cnp_version", "2016")),
            cnp_2021=str(item["cnp_2021"]) if item.get("cnp_2021") else None,
            title=item["title"],
            title_en=item.get("title_en"),
            priority=int(item["priority"]) if item.get("priority") else None,
        )
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
