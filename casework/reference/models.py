"""Reference data loaded from ``seed/``; natural keys (codes) make reloading idempotent."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.text import place_key
from casework.extensions import db


def _localised(french: str, english: str | None) -> str:
    locale = get_locale()
    if locale is not None and locale.language == "en" and english:
        return english
    return french


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))
    parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The remote-interpretation pilot's regions (mesures 4.5.2, 7.6.3, 13.1.2).
    interpretation_pilot: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def label(self) -> str:
        return f"{self.code} {self.display_name}"


# Each region is covered by exactly one of the ministry's regional directorates (l. 319); the
# primary key on the region says « at most one », the seed loader checks « at least one ».
directorate_regions = Table(
    "directorate_regions",
    db.metadata,
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "directorate_id",
        Integer,
        ForeignKey("service_points.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
)


class ServicePoint(db.Model):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # directorate | service_point
    city: Mapped[str | None] = mapped_column(String(80))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    illustrative: Mapped[bool] = mapped_column(default=True)
    # What the person is told on the slip and the printed plan: where, whom to call, how to get
    # there (seed/service_points.yaml says which values are illustrative).
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    directions: Mapped[str | None] = mapped_column(Text)
    directions_en: Mapped[str | None] = mapped_column(Text)

    region: Mapped[Region] = relationship()
    # The regions a directorate covers (empty for a service point).
    regions_covered: Mapped[list[Region]] = relationship(
        secondary=directorate_regions, order_by=Region.code
    )

    def directions_in(self, english: bool) -> str | None:
        return (self.directions_en if english else None) or self.directions

    @property
    def is_directorate(self) -> bool:
        return self.kind == "directorate"

    @property
    def covered_region_ids(self) -> list[int]:
        """A directorate's regions (its own region when the seed gives none)."""
        return [region.id for region in self.regions_covered] or [self.region_id]


class Domain(db.Model):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    # The kinds of organisation a need of this domain may be referred to (seed/domains.yaml).
    organisation_kinds: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    needs: Mapped[list[Need]] = relationship(
        back_populates="domain", order_by="Need.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return _localised(self.name, self.name_en)


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (UniqueConstraint("domain_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    label_fr: Mapped[str] = mapped_column("label", String(160))
    label_en: Mapped[str | None] = mapped_column(String(160))

    domain: Mapped[Domain] = relationship(back_populates="needs")

    @property
    def label(self) -> str:
        return _localised(self.label_fr, self.label_en)


class PasiVolet(db.Model):
    __tablename__ = "pasi_volets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)

    @property
    def label(self) -> str:
        return _localised(self.name, self.name_en)


organisation_volets = Table(
    "organisation_volets",
    db.metadata,
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("volet_id", Integer, ForeignKey("pasi_volets.id", ondelete="CASCADE"), primary_key=True),
)

# The regions an organisation serves; none means the whole province (MTESS, Qualifications
# Québec). ``cities_served`` narrows them to municipalities where the document does.
organisation_regions = Table(
    "organisation_regions",
    db.metadata,
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

organisation_domains = Table(
    "organisation_domains",
    db.metadata,
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    full_name: Mapped[str | None] = mapped_column(String(240))
    # pasi_partner | government | regionalisation | employer_recruitment | economic_development
    # | other: the kinds a need may be referred to are in seed/plan_rules.yaml (allowed_kinds).
    kind: Mapped[str] = mapped_column(String(20))
    # Cities (or MRC) within its regions the organisation serves; empty means the whole regions.
    cities_served: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int | None] = mapped_column()
    document_note: Mapped[str | None] = mapped_column(Text)
    # Which of the fields above are illustrative demo values rather than facts from the source.
    illustrative_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A member of the regionalisation network the document names (suggested for the
    # regionalisation actions wherever the person settles).
    regionalisation: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
    # Maintained in the UI by the region's advisors and by admins.
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    services_offered: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
    audit_type = "organisation"

    regions: Mapped[list[Region]] = relationship(
        secondary=organisation_regions, order_by=Region.code
    )
    volets: Mapped[list[PasiVolet]] = relationship(
        secondary=organisation_volets, order_by=PasiVolet.number
    )
    domains: Mapped[list[Domain]] = relationship(
        secondary=organisation_domains, order_by=Domain.position
    )

    @property
    def organisation_id(self) -> int:
        return self.id

    @property
    def region_ids(self) -> list[int]:
        """The regions served; empty for a province-wide body."""
        return [region.id for region in self.regions]

    @property
    def province_wide(self) -> bool:
        return not self.regions

    def serves_region(self, region_id: int | None) -> bool:
        return self.province_wide or region_id in self.region_ids

    @property
    def regions_label(self) -> str:
        return ", ".join(region.label for region in self.regions)

    def is_illustrative(self, field: str) -> bool:
        return field in (self.illustrative_fields or [])

    def serves_city(self, city: str | None) -> bool | None:
        """Whether the organisation serves ``city``; None when it serves its whole region or
        the city is unknown (nothing to say either way)."""
        if not self.cities_served or not place_key(city):
            return None
        return place_key(city) in {place_key(name) for name in self.cities_served}


class Occupation(db.Model):
    """In-demand occupation for requalification (a CNP code, with its classification's version
    and, where known, its CNP 2021 code). Administrators edit the list and rank it; the seed
    leaves it unranked (the document lists it « notamment »)."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cnp: Mapped[str] = mapped_column(String(8), unique=True)
    cnp_version: Mapped[str] = mapped_column(String(4), default="2016", server_default="2016")
    cnp_2021: Mapped[str | None] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    # 1 = first; None = on the list, unranked.
    priority: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
    audit_type = "occupation"

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.title_en)

    @property
    def codes(self) -> list[str]:
        """Its codes in every version the list knows (a target may be given in either)."""
        return [code for code in (self.cnp, self.cnp_2021) if code]

    @property
    def label(self) -> str:
        return f"{' / '.join(self.codes)} {self.display_title}"


class HostCity(db.Model):
    """City that receives government-assisted refugees."""

    __tablename__ = "host_cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)

    region: Mapped[Region] = relationship()


class ReferenceRevision(db.Model):
    """One row whose ``value`` changes whenever regions, service points or host cities do
    (reference/revision.py): lists kept in memory are kept for one value."""

    __tablename__ = "reference_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
