"""The airport console on a phone (390 px): the service points follow the region, the search
lands on the slots with the first one focused, nothing scrolls sideways, axe finds nothing
serious; the slip gives the service point's address, phone and directions."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in
from tests.e2e.test_journeys import TODAY

PHONE = {"width": 390, "height": 844}


def _sideways(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_airport_console_on_a_phone_lands_on_the_slots(browser, live_server, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    pages = Pages(page, "d-aeroport-telephone", artifacts)
    try:
        sign_in(page, "accueil")
        page.goto("/aeroport/")
        assert _sideways(page) <= 0
        pages.check("console")

        # The service points follow the region chosen, before any search (the script).
        points = page.get_by_label("Point de service")
        every = points.locator("option").count()
        page.get_by_label("Région de destination").select_option(label="06 Montréal")
        in_montreal = points.locator("option").count()
        assert 1 < in_montreal < every
        expect(points.locator("option", has_text="(06)").first).to_be_attached()
        assert points.locator("option", has_text="(13)").count() == 0

        page.get_by_label("Prénoms").fill("Youssef")
        page.get_by_label("Nom de famille").fill("Benali")
        page.get_by_label("Date d'arrivée").fill(TODAY)
        page.get_by_label("Vol").select_option("international")
        page.get_by_label("Catégorie d'immigration").select_option("economic")
        page.get_by_label("Téléphone", exact=True).fill("514 555-0142")
        page.get_by_label("La personne accepte d'être contactée par le service").check()
        page.get_by_role("button", name="Chercher les premiers créneaux").click()

        # The page lands on the slots, the first one focused and in view.
        expect(page).to_have_url(re.compile(r"/aeroport/#creneaux$"))
        first = page.locator("#slot-1")
        expect(first).to_be_focused()
        expect(first).to_be_in_viewport()
        assert page.evaluate("scrollY") > 0
        assert _sideways(page) <= 0
        pages.check("creneaux")

        page.get_by_role("button", name="Réserver le créneau choisi").click()
        page.wait_for_url(re.compile(r"/aeroport/reservations/\d+$"))
        expect(page.get_by_text("Pour s'y rendre")).to_be_visible()
        expect(page.get_by_text(re.compile(r"555-01\d\d")).first).to_be_visible()
        assert not re.search(r"\b\d{1,2}:\d{2}\b", page.locator("main").inner_text())
        assert _sideways(page) <= 0
        pages.check("fiche")
        pages.assert_accessible()
    finally:
        context.close()
