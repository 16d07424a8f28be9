from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

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
from casework.reference.seed import SeedError, load_reference_data

SEED = Path(__file__).resolve().parents[2] / "seed"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_17_regions_with_official_codes(ctx):
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    assert sorted(regions) == [f"{n:02d}" for n in range(1, 18)]
    assert regions["06"].name == "Montréal"
    assert regions["03"].name == "Capitale-Nationale"
    assert regions["11"].parts == ["Gaspésie", "Îles-de-la-Madeleine"]


def test_every_region_has_a_service_point_and_there_are_directorates(ctx):
    covered = set(db.session.scalars(select(ServicePoint.region_id).distinct()))
    assert covered == set(db.session.scalars(select(Region.id)))
    directorates = db.session.scalar(
        select(func.count()).select_from(ServicePoint).where(ServicePoint.kind == "directorate")
    )
    assert directorates == 6
    assert (
        db.session.scalar(select(ServicePoint).where(ServicePoint.code == "AEROPORT-YUL"))
        is not None
    )


def test_five_domains_each_with_at_least_six_needs(ctx):
    domains = db.session.scalars(select(Domain).order_by(Domain.position)).all()
    assert [d.code for d in domains] == [
        "settlement",
        "francisation",
        "community",
        "employment",
        "immigration",
    ]
    for domain in domains:
        assert len(domain.needs) >= 6, domain.code
    settlement = {n.code for n in domains[0].needs}
    assert {"housing", "bank_account"} <= settlement or len(settlement) >= 6


def test_organisations_from_the_document_with_volets_and_illustrative_values_apart(ctx):
    organisations = {o.code: o for o in db.session.scalars(select(Organisation))}
    for code in (
        "promis",
        "cfiq",
        "alpa",
        "carrefour_ble",
        "qualifications_quebec",
        "sito",
        "ciel",
        "cjep",
    ):
        assert code in organisations
    promis = organisations["promis"]
    assert [r.code for r in promis.regions] == ["06"] and promis.kind == "pasi_partner"
    assert [v.number for v in promis.volets] == [1]
    assert promis.is_illustrative("capacity") and promis.is_illustrative("languages")
    assert not promis.is_illustrative("volets")
    assert count(PasiVolet) == 5


def test_occupations_and_host_cities(ctx):
    codes = set(db.session.scalars(select(Occupation.cnp)))
    assert codes == {"4032", "3012", "5241", "7237", "2281", "7201", "2143", "7312", "7242"}
    cities = {c.name: c.region.code for c in db.session.scalars(select(HostCity))}
    assert len(cities) == 13 and cities["Gatineau"] == "07" and cities["Rimouski"] == "01"


def test_reloading_changes_nothing_and_duplicates_nothing(app, ctx):
    before = {
        model: count(model)
        for model in (Region, ServicePoint, Domain, Need, Organisation, Occupation, HostCity)
    }
    report = load_reference_data(app.config["SEED_DIR"])
    assert all(changed == 0 for _total, changed in report.values()), report
    assert {model: count(model) for model in before} == before


def test_edited_seed_value_is_updated_in_place(app, ctx, tmp_path):
    for path in SEED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    regions_file = tmp_path / "regions.yaml"
    document = yaml.safe_load(regions_file.read_text(encoding="utf-8"))
    document["regions"][0]["name_en"] = "Lower St. Lawrence"
    regions_file.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    report = load_reference_data(tmp_path)
    assert report["regions"] == (17, 1)
    assert (
        db.session.scalar(select(Region.name_en).where(Region.code == "01")) == "Lower St. Lawrence"
    )


def test_occupation_priority_edited_by_an_admin_survives_a_reload(app, ctx):
    occupation = db.session.scalar(select(Occupation).where(Occupation.cnp == "4032"))
    occupation.priority = 42
    db.session.commit()
    load_reference_data(app.config["SEED_DIR"])
    assert db.session.scalar(select(Occupation.priority).where(Occupation.cnp == "4032")) == 42


def test_inconsistent_seed_is_a_clear_error(ctx, tmp_path):
    for path in SEED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "host_cities.yaml").write_text(
        "host_cities:\n  - name: Atlantide\n    region: '42'\n", encoding="utf-8"
    )
    with pytest.raises(SeedError, match="42"):
        load_reference_data(tmp_path)
    assert db.session.scalar(select(HostCity).where(HostCity.name == "Atlantide")) is None


def test_seed_files_mark_demo_values_apart():
    organisations = yaml.safe_load((SEED / "organisations.yaml").read_text(encoding="utf-8"))[
        "organisations"
    ]
    for organisation in organisations:
        for field in ("capacity", "languages"):
            assert field not in organisation, (
                f"{organisation['code']}: {field} must sit under demo:"
            )
        for field in ("volets", "domains", "cities_served"):
            assert not (field in organisation and field in organisation.get("demo", {})), (
                organisation["code"]
            )


def test_reloading_never_overwrites_an_organisation_edited_in_the_ui(app, ctx):
    promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
    promis.capacity, promis.languages = 999, ["fr"]
    promis.volets = []
    db.session.commit()
    report = load_reference_data(app.config["SEED_DIR"])
    assert report["organisations"][1] == 0
    promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
    assert (promis.capacity, promis.languages, promis.volets) == (999, ["fr"], [])


def test_a_new_organisation_in_the_seed_is_added(app, ctx, tmp_path):
    for path in SEED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    document = yaml.safe_load((tmp_path / "organisations.yaml").read_text(encoding="utf-8"))
    document["organisations"].append(
        {
            "code": "nouvel_organisme",
            "name": "Nouvel organisme",
            "regions": ["05"],
            "kind": "community",
            "demo": {"capacity": 10},
        }
    )
    (tmp_path / "organisations.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    report = load_reference_data(tmp_path)
    assert report["organisations"][1] == 1
    added = db.session.scalar(select(Organisation).where(Organisation.code == "nouvel_organisme"))
    assert added.capacity == 10 and added.is_illustrative("capacity")


def test_cities_served_come_from_the_document_and_default_to_the_whole_region(ctx):
    organisations = {o.code: o for o in db.session.scalars(select(Organisation))}
    assert organisations["sito"].cities_served == ["Gatineau"]
    assert {"Chelsea", "Cantley", "Val-des-Monts"} <= set(organisations["ciel"].cities_served)
    assert {"Papineauville", "Thurso"} <= set(organisations["cjep"].cities_served)
    assert not {"Gatineau"} & set(organisations["ciel"].cities_served)
    for code in ("sito", "ciel", "cjep"):
        assert not organisations[code].is_illustrative("cities_served")
    # The document has this one serve businesses of two regions, not one city.
    assert organisations["sded"].cities_served == []
    assert organisations["promis"].cities_served == []


def test_reloading_keeps_cities_served_edited_in_the_ui(app, ctx):
    sito = db.session.scalar(select(Organisation).where(Organisation.code == "sito"))
    sito.cities_served = ["Gatineau", "Chelsea"]
    db.session.commit()
    report = load_reference_data(app.config["SEED_DIR"])
    assert report["organisations"][1] == 0
    assert db.session.scalar(
        select(Organisation.cities_served).where(Organisation.code == "sito")
    ) == ["Gatineau", "Chelsea"]


def test_illustrative_cities_served_in_a_new_organisation_are_marked(app, ctx, tmp_path):
    for path in SEED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    document = yaml.safe_load((tmp_path / "organisations.yaml").read_text(encoding="utf-8"))
    document["organisations"].append(
        {
            "code": "organisme_local",
            "name": "Organisme local",
            "regions": ["05"],
            "kind": "community",
            "demo": {"cities_served": ["Magog"]},
        }
    )
    (tmp_path / "organisations.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    load_reference_data(tmp_path)
    added = db.session.scalar(select(Organisation).where(Organisation.code == "organisme_local"))
    assert added.cities_served == ["Magog"] and added.is_illustrative("cities_served")
