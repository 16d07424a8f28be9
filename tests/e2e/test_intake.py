"""Intake that can be followed (issue 19), in headless Chromium with axe-core: the new-case
form keeps « Parcours et statut » folded; the permit and CAQ dates show for a student and hide
for a permanent category; bad input gives its French errors; a household member is recorded as
a person; no sideways scroll at 390 px."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_path_and_status_then_a_member_as_a_person(browser, live_server, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    pages = Pages(page, "intake", artifacts)
    sign_in(page, "agente")
    page.goto("/dossiers/nouveau")
    section = page.locator("details", has_text="Parcours et statut")
    expect(section).not_to_have_attribute("open", "")
    pages.check("new-folded")
    page.get_by_label("Catégorie d'immigration").select_option("student")
    section.locator("summary").click()
    expect(page.get_by_label("Échéance du CAQ")).to_be_visible()
    page.get_by_label("Catégorie d'immigration").select_option("economic")
    expect(page.get_by_label("Échéance du CAQ")).to_be_hidden()
    page.get_by_label("Catégorie d'immigration").select_option("student")
    page.get_by_label("Prénoms").fill("Amina")
    page.get_by_label("Nom de famille").fill("Diallo-Essai")
    page.get_by_label("Comment la personne est arrivée au service").select_option("walk_in")
    page.get_by_label("Arrivée au Québec").fill("2026-09-01")
    page.get_by_label("Échéance du CAQ").fill("2026-08-01")
    page.get_by_label("Profession dans le pays d'origine (code CNP)").fill("1234")
    page.get_by_label("Version de la CNP").select_option("2016")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(
        page.get_by_text("Ce code ne figure pas parmi les professions CNP 2016")
    ).not_to_have_count(0)
    expect(
        page.get_by_text("La date d'échéance ne peut pas être avant la date d'arrivée.")
    ).not_to_have_count(0)
    pages.check("new-errors")
    page.get_by_label("Échéance du CAQ").fill("2027-08-31")
    page.get_by_label("Profession dans le pays d'origine (code CNP)").fill("3012")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_url("**/dossiers/*")
    expect(page.get_by_text("CAQ valide jusqu'au")).not_to_have_count(0)
    pages.check("case")
    page.goto(page.url + "/menage")
    page.get_by_label("Lien avec la personne").select_option("spouse")
    page.get_by_label("Prénoms").fill("Moussa")
    page.get_by_label("Date de naissance").fill("1990-02-03")
    page.get_by_label("Niveau de français selon l'échelle québécoise (1 à 12)").fill("4")
    pages.check("member")
    page.get_by_role("button", name="Ajouter").click()
    page.locator("details#personne").evaluate("details => { details.open = true; }")
    expect(page.get_by_text("français : niveau 4 sur 12")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(page)
    page.goto("/dossiers/nouveau")
    _no_sideways_scroll(page)
    pages.check("new-390")
    assert pages.violations == []
    context.close()
