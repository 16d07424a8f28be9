"""A follow-up at 6 months (issue 19, point 1), in headless Chromium with axe-core on every page.

The agent opens a case whose person arrived six months ago, records a follow-up dated in the
future by mistake (the error summary takes the focus), then the right one: housing, French,
employment with its CNP, residence. The case page names it in its timeline and in one short
line per domain, the hub above the fold at 1366 × 768 unchanged; the history shows it in full.
The same pages at 390 px. Screenshots in the artifacts folder.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in

PERSON = {"given": "Aminata", "family": "Diallo-Ferreira"}
TIMELINE = (
    "Suivi à 6 mois : logement stable, français niveau 5, emploi dans son domaine "
    "(CNP 31301), réside à Trois-Rivières"
)


@pytest.fixture(scope="module")
def followup_case(live_server) -> dict:
    """A case opened at the arrival, six months and a week ago, in the agent's caseload."""

    def setup() -> dict:
        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.core.time import utcnow
        from casework.extensions import db

        agent = db.session.get(User, live_server.data["users"]["agente"])
        arrival = date.today() - timedelta(days=190)
        case = cases.open_case(
            agent,
            cases.PersonFields(
                given_names=PERSON["given"],
                family_name=PERSON["family"],
                immigration_category="economic",
                date_of_birth=date(1990, 4, 12),
                languages_spoken=["fr", "pt"],
                arrival_date=arrival,
            ),
            "walk_in",
        )
        case.status = "active"
        case.opened_at = utcnow() - timedelta(days=189)
        db.session.flush()
        return {"case_id": case.id, "number": case.number}

    return live_server.run(setup)


def _inside_the_fold(locator, height: int = 768) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box


def _focused(page) -> str:
    return page.evaluate(
        "() => (document.activeElement.className || '') + ' ' + document.activeElement.id"
    )


def _fill_six_months(page, held_on: date) -> None:
    page.get_by_label("Date du suivi").fill(held_on.isoformat())
    page.get_by_label("Jalon").select_option(label="6 mois après l'arrivée")
    page.get_by_label("Logement", exact=True).select_option(label="Stable")
    page.get_by_label("Inscription à un cours de français").select_option(label="Oui")
    page.get_by_label("Niveau sur l'échelle québécoise (1 à 12)").fill("5")
    page.locator("#domaine-french").get_by_label("Formule du cours").select_option(
        label="En classe, à temps partiel"
    )
    page.get_by_label("Emploi", exact=True).select_option(label="En emploi dans son domaine")
    page.locator("#domaine-employment").get_by_label("Code CNP de l'emploi").fill("31301")
    page.locator("#domaine-employment").get_by_label("Version de la CNP").select_option("2021")
    page.get_by_label("Région de résidence").select_option(label="04 Mauricie")
    page.get_by_label("Municipalité").fill("Trois-Rivières")
    for domain in ("children", "integration", "immigration"):
        page.locator(f"#domaine-{domain}").get_by_label("Non abordé à ce suivi").check()


def test_the_agent_records_a_six_month_follow_up(browser, live_server, followup_case, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    pages = Pages(page, "s-suivi-6-mois", artifacts)
    sign_in(page, "agente")
    case_path = f"/dossiers/{followup_case['case_id']}"
    page.goto(case_path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(PERSON["family"])
    expect(page.locator("#situation")).to_contain_text("Aucun suivi pour l'instant")
    pages.check("dossier-avant")

    # The quick action opens the form; a date in the future is refused, the summary focused.
    page.get_by_role("navigation", name="Actions rapides").get_by_role(
        "link", name="Consigner un suivi"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consigner un suivi")
    pages.check("formulaire")
    _fill_six_months(page, date.today() + timedelta(days=3))
    page.get_by_role("button", name="Consigner le suivi").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("ne peut pas être daté dans le futur")
    assert "error-summary" in _focused(page)
    assert page.title().startswith("Erreur :")
    pages.check("date-future")
    # Each link of the summary takes the focus to its field.
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Date du suivi")).to_be_focused()

    # The right date: what was typed is still there but the date.
    page.get_by_label("Date du suivi").fill(date.today().isoformat())
    expect(page.get_by_label("Municipalité")).to_have_value("Trois-Rivières")
    page.get_by_role("button", name="Consigner le suivi").click()
    expect(page).to_have_url(re.compile(rf"{case_path}/suivis/$"))
    expect(page.locator(".flash--success")).to_contain_text("Suivi consigné.")
    expect(page.locator("main")).to_contain_text("6 mois après l'arrivée")
    expect(page.locator("main")).to_contain_text("CNP 2021 31301")
    expect(page.locator("main")).to_contain_text("hors de la Communauté métropolitaine")
    pages.check("historique")

    # The case page: the timeline names what changed and leads to the history; the section
    # says each domain in a few words; the hub stays above the fold.
    page.goto(case_path)
    situation = page.locator("#situation")
    expect(situation).to_contain_text("Trois-Rivières (hors CMM)")
    expect(situation).to_contain_text("En emploi dans son domaine (31301)")
    section = situation.bounding_box()
    assert section is not None and section["height"] < 260, section
    hub = page.locator(".hub")
    for title in ("La personne", "Prochain rendez-vous", "Prochain suivi"):
        card = hub.locator(".hub-card").filter(has=page.get_by_role("heading", name=title))
        _inside_the_fold(card)
    _inside_the_fold(page.locator(".hub-meta .badge").first)  # the status
    entry = page.get_by_role("link", name=TIMELINE)
    expect(entry).to_be_visible()
    page.screenshot(path=str(artifacts / "dossier-suivi-1366.png"), full_page=True)
    pages.check("dossier-apres")
    entry.click()
    expect(page).to_have_url(re.compile(rf"{case_path}/suivis/#suivi-\d+$"))
    pages.check("historique-depuis-le-suivi")

    # The same pages on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in ((case_path, "dossier-390"), (f"{case_path}/suivis/", "historique-390")):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        pages.check(name)
    page.goto(f"{case_path}/suivis/nouveau")
    page.get_by_label("Date du suivi").fill((date.today() + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Consigner le suivi").click()
    page.wait_for_load_state("load")
    assert "error-summary" in _focused(page)
    pages.check("date-future-390")
    pages.assert_accessible()
    context.close()
