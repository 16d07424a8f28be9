"""Issue 18, point 7, in headless Chromium with axe-core: airport staff welcome a refugee under
collective sponsorship without a booking, then record the departure for the sponsors' city, on
a laptop (1366 px) and on a phone (390 px); a refused form keeps what was typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casework.core.time import local_today
from tests.e2e.conftest import Pages, new_context, sign_in


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_airport_welcomes_a_sponsored_refugee_until_departure(
    browser, live_server, artifacts, width, height
):
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    pages = Pages(page, f"accueil-{width}", artifacts)
    sign_in(page, "accueil")
    page.goto("/aeroport/")
    page.get_by_role("link", name="Personnes réfugiées prises en charge").click()
    pages.check("liste")
    family = f"Haddad-{width}"
    page.get_by_label("Prénoms").fill("Yusuf")
    page.get_by_label("Nom de famille").fill(family)
    page.get_by_label("Catégorie d'immigration").select_option("psr")
    page.get_by_label("Date d'arrivée").fill(local_today().isoformat())
    page.get_by_label("Région de destination").select_option(label="05 Estrie")
    page.get_by_role("button", name="Consigner l'accueil").click()
    expect(page.locator(".error-message").first).to_contain_text("personnes garantes")
    expect(page.get_by_label("Nom de famille")).to_have_value(family)
    pages.check("refus")
    page.get_by_label("Ville des personnes garantes (parrainage collectif)").fill("Magog")
    page.get_by_role("button", name="Consigner l'accueil").click()
    expect(page.get_by_role("row", name=f"Yusuf {family}")).to_be_visible()
    pages.check("prise-en-charge")
    page.get_by_role("row", name=f"Yusuf {family}").get_by_role("button").click()
    expect(page.get_by_role("row", name=f"Yusuf {family}")).to_contain_text("Partie le")
    pages.check("partie")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    pages.assert_accessible()
