"""Issue 18: the reference data follows the action plan (directorates, regions served, kinds)
and `casework init` refuses seed files that break its rules, loading nothing."""

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from casework.extensions import db
from casework.reference.lookup import territory
from casework.reference.models import Domain, Need, Organisation, Region, ServicePoint
from casework.reference.seed import SeedError, load_reference_data

SEED = Path(__file__).resolve().parents[2] / "seed"


def region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def organisation(code: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def test_every_region_is_covered_by_exactly_one_of_six_directorates(ctx):
    directorates = db.session.scalars(
        select(ServicePoint).where(ServicePoint.kind == "directorate")
    ).all()
    assert len(directorates) == 6
    covered = [r.code for d in directorates for r in d.regions_covered]
    assert sorted(covered) == [f"{n:02d}" for n in range(1, 18)]
    mcq = next(d for d in directorates if d.code == "DR-MCQ")
    assert [r.code for r in mcq.regions_covered] == ["04", "17"]


def test_a_region_s_territory_is_its_directorate_s(ctx):
    assert territory(region("17").id) == sorted([region("04").id, region("17").id])
    assert territory(region("04").id) == territory(region("17").id)
    assert territory(region("05").id) == [region("05").id]


def test_organisations_serve_the_regions_the_document_gives(ctx):
    assert [r.code for r in organisation("sded").regions] == ["04", "17"]
    assert [r.code for r in organisation("quebec_international").regions] == ["03", "12"]
    assert organisation("mtess").province_wide
    assert organisation("sded").serves_region(region("04").id)
    assert not organisation("sded").serves_region(region("05").id)


def test_the_regionalisation_network_is_the_one_the_document_names(ctx):
    network = set(db.session.scalars(select(Organisation.code).where(Organisation.regionalisation)))
    assert network == {
        "promis",
        "cfiq",
        "alpa",
        "carrefour_ble",
        "pivot_lanaudiere",
        "pivot_laurentides",
        "sito",
        "ciel",
        "cjep",
    }


def test_named_partners_are_added_and_placeholders_are_marked(ctx):
    rattmaq = organisation("rattmaq")
    assert rattmaq.kind == "community" and rattmaq.province_wide
    assert "agricoles" in rattmaq.full_name
    for code, city in (("rpce_lanaudiere", "Joliette"), ("rpce_laurentides", "Saint-Jérôme")):
        partner = organisation(code)
        assert [v.number for v in partner.volets] == [3] and partner.cities_served == [city]
    placeholder = organisation("placeholder_01")
    assert placeholder.is_illustrative("placeholder") and "fictif" in placeholder.name
    assert placeholder.is_illustrative("regions") and placeholder.is_illustrative("volets")
    assert organisation("placeholder_06") is None  # Montréal has the document's partners


def test_recruitment_bodies_are_allowed_for_employment_only(ctx):
    for code in ("quebec_international", "sded", "monteregie_economique", "interconnexion_laval"):
        kind = organisation(code).kind
        assert kind in ("economic_development", "employer_recruitment")
        allowed = {
            d.code for d in db.session.scalars(select(Domain)) if kind in d.organisation_kinds
        }
        assert allowed == {"employment"}


def test_new_needs_each_have_a_plan_rule(app, ctx):
    from casework.plans.rules import load_rules

    book = load_rules(app.config["SEED_DIR"])
    added = {
        ("settlement", "family_doctor"),
        ("settlement", "psychosocial_support"),
        ("settlement", "family_allowances"),
        ("settlement", "first_tax_return"),
        ("settlement", "legal_aid"),
        ("settlement", "last_resort_assistance"),
        ("settlement", "food_security"),
        ("immigration", "asylum_hearing"),
        ("immigration", "asylum_work_permit"),
    }
    needs = {
        (domain, code)
        for domain, code in db.session.execute(
            select(Domain.code, Need.code).join(Need.domain)
        ).all()
    }
    assert added <= needs
    assert all(book.for_need(*pair) is not None for pair in needs), "every need has a rule"


def test_objectif_integration_is_a_need_of_one_domain_only(ctx):
    domains = {
        domain
        for domain, label in db.session.execute(
            select(Domain.code, Need.label_fr).join(Need.domain)
        ).all()
        if "Objectif Intégration" in label
    }
    assert domains == {"community"}


def test_policy_timings_say_they_are_not_from_the_document():
    assert "POLICY CHOICE" in (SEED / "plan_rules.yaml").read_text(encoding="utf-8")
    assert "POLICY CHOICES" in (SEED / "follow_up_rules.yaml").read_text(encoding="utf-8")


# --- Bad seed files: refused with the file, the line and the rule; nothing loaded ----------


def copy_seed(tmp_path: Path) -> Path:
    for path in SEED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def replace_in(path: Path, old: str, new: str) -> int:
    """Edit the file's text (keeps its lines); returns the line of the change."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def assert_refused_loading_nothing(app, tmp_path: Path, file: str, line: int, rule: str):
    before = db.session.scalar(select(Region.name_en).where(Region.code == "01"))
    replace_in(tmp_path / "regions.yaml", "name_en: Bas-Saint-Laurent", "name_en: Changed")
    with pytest.raises(SeedError) as refused:
        load_reference_data(tmp_path)
    message = str(refused.value)
    assert f"{file}:{line}:" in message and rule in message, message
    db.session.expire_all()
    assert db.session.scalar(select(Region.name_en).where(Region.code == "01")) == before


def test_a_region_covered_by_two_directorates_is_refused(app, ctx, tmp_path):
    copy_seed(tmp_path)
    line = replace_in(
        tmp_path / "service_points.yaml", 'covers: ["04", "17"]', 'covers: ["04", "17", "05"]'
    )
    assert_refused_loading_nothing(
        app, tmp_path, "service_points.yaml", line - 4, "couverte par deux directions"
    )


def test_a_region_covered_by_no_directorate_is_refused(app, ctx, tmp_path):
    copy_seed(tmp_path)
    replace_in(tmp_path / "service_points.yaml", 'covers: ["16"]', "covers: []")
    with pytest.raises(SeedError, match=r"service_points\.yaml:\d+: .*16.*aucune direction"):
        load_reference_data(tmp_path)
    text = (tmp_path / "service_points.yaml").read_text(encoding="utf-8")
    first = text[: text.index("  - code: DR-MTL\n")].count("\n") + 1  # the list's first item
    assert_refused_loading_nothing(
        app, tmp_path, "service_points.yaml", first, "couverte(s) par aucune direction"
    )


def test_an_organisation_kind_not_allowed_for_a_need_is_refused(app, ctx, tmp_path):
    copy_seed(tmp_path)
    path = tmp_path / "organisations.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: sded\n")
    replace_in(
        path, "    domains: [employment]\n    # l. 1244", "    domains: [settlement]\n    # l. 1244"
    )
    line = text[:start].count("\n") + 1
    assert_refused_loading_nothing(
        app, tmp_path, "organisations.yaml", line, "economic_development n'est pas permis"
    )
    assert organisation("sded").domains[0].code == "employment"


def test_an_unknown_region_code_in_an_organisation_s_regions_is_refused(app, ctx, tmp_path):
    copy_seed(tmp_path)
    path = tmp_path / "organisations.yaml"
    line = replace_in(path, 'regions: ["17", "04"]', 'regions: ["17", "42"]')
    text = path.read_text(encoding="utf-8")
    item_line = text[: text.index("  - code: sded\n")].count("\n") + 1
    assert line > item_line
    assert_refused_loading_nothing(
        app, tmp_path, "organisations.yaml", item_line, "code de région inconnu « 42 »"
    )


# Each rule broken in the seed: (file, old text, new text, the item whose line is named, rule).
BROKEN = {
    "region_covered_twice": (
        "service_points.yaml",
        'covers: ["04", "17"]',
        'covers: ["04", "17", "05"]',
        "  - code: DR-MCQ\n",
        "la région 05 est couverte par deux directions régionales",
    ),
    "region_covered_by_none": (
        "service_points.yaml",
        'covers: ["16"]',
        "covers: []",
        "  - code: DR-MTL\n",
        "région(s) 16 couverte(s) par aucune direction régionale",
    ),
    "kind_not_allowed": (
        "organisations.yaml",
        "    domains: [employment]\n    # l. 1244",
        "    domains: [settlement]\n    # l. 1244",
        "  - code: sded\n",
        "un organisme de type economic_development n'est pas permis",
    ),
    "unknown_region": (
        "organisations.yaml",
        'regions: ["17", "04"]',
        'regions: ["99"]',
        "  - code: sded\n",
        "code de région inconnu « 99 »",
    ),
}


@pytest.mark.no_transaction
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_cli_init_names_the_file_line_and_rule(tmp_path, broken):
    """`casework init` with a bad seed: one line naming the file, the line and the rule; the
    database keeps no reference data (a fresh SQLite database, in its own process)."""
    import sqlite3

    from tests.core.test_cli import run

    file, old, new, item, rule = BROKEN[broken]
    (tmp_path / "seed").mkdir()
    seed = copy_seed(tmp_path / "seed")
    replace_in(seed / file, old, new)
    text = (seed / file).read_text(encoding="utf-8")
    item_line = text[: text.index(item)].count("\n") + 1
    result = run(tmp_path, "init", CASEWORK_SEED_DIR=str(seed))
    assert result.returncode != 0
    assert f"{file}:{item_line}:" in result.stderr and rule in result.stderr, result.stderr
    with sqlite3.connect(tmp_path / "casework.sqlite3") as connection:
        for table in ("regions", "service_points", "organisations", "occupations"):
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_the_shipped_seed_has_no_broken_rule():
    documents = {
        name: yaml.safe_load((SEED / name).read_text(encoding="utf-8"))
        for name in ("organisations.yaml", "domains.yaml")
    }
    kinds = {d["code"]: set(d["organisation_kinds"]) for d in documents["domains.yaml"]["domains"]}
    for item in documents["organisations.yaml"]["organisations"]:
        for domain in item.get("domains", []) + item.get("demo", {}).get("domains", []):
            assert item["kind"] in kinds[domain], item["code"]


def test_the_words_are_quebec_s(app):
    """Point 9: « parrainage collectif », not « parrainé par le secteur privé »; the economic
    category names business immigration too, in French and in English."""
    from flask_babel import force_locale

    from casework.cases.choices import IMMIGRATION_CATEGORIES

    with app.test_request_context():
        with force_locale("fr_CA"):
            french = {code: str(label) for code, label in IMMIGRATION_CATEGORIES.items()}
        with force_locale("en"):
            english = {code: str(label) for code, label in IMMIGRATION_CATEGORIES.items()}
    assert "parrainage collectif" in french["psr"]
    assert "gens d'affaires" in french["economic"] and "PRTQ" in french["economic"]
    assert "business immigration" in english["economic"]
    package = Path(__file__).resolve().parents[2] / "casework"
    for path in [*package.rglob("*.po"), *package.rglob("*.html"), *SEED.rglob("*.yaml")]:
        text = path.read_text(encoding="utf-8").lower()
        assert "secteur privé" not in text and "privately sponsored" not in text, path
