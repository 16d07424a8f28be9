"""Three journeys through the French UI in headless Chromium, with axe-core on every page.

(a) Airport staff book a first appointment for a new arrival and print the slip; then the same
    booking with the keyboard only. (b) The agent opens the case from the calendar, completes the
    needs assessment with an interpreter, builds and finalises the plan, records consent, refers
    to a PASI partner and to MTESS for requalification, and prints the plan. (c) The advisor
    approves, the agent sends, the partner organisation accepts and completes, and the agent's
    reminder appears and is handled. Bad input: a refused form keeps what was typed and shows the
    messages; after signing out, the back button shows no personal data.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from casework.core.time import local_today
from tests.e2e.conftest import PASSWORD, Pages, new_context, sign_in, sign_out

ARRIVAL = {"given": "Amina", "family": "Diallo-Keïta", "phone": "514 555-0101"}
TODAY = local_today().isoformat()


@pytest.fixture
def context(browser, live_server):
    context = new_context(browser, live_server)
    # The slip's « Imprimer » button calls window.print(): count the calls instead of
    # opening a print dialog, which a headless browser does not have.
    context.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    yield context
    context.close()


def fill_arrival(page, given: str, family: str, phone: str) -> None:
    page.get_by_label("Prénoms").fill(given)
    page.get_by_label("Nom de famille").fill(family)
    page.get_by_label("Date de naissance").fill("1994-02-03")
    page.get_by_label("Date d'arrivée").fill(TODAY)
    page.get_by_label("Vol").select_option("international")
    page.get_by_label("Catégorie d'immigration").select_option("economic")
    page.get_by_label("Région de destination").select_option(label="06 Montréal")
    page.get_by_label("Ville de destination").fill("Montréal")
    page.get_by_label("Langue préférée").select_option("fr")
    page.get_by_label("Téléphone").fill(phone)
    page.get_by_label("La personne accepte d'être contactée par le service").check()


# --- (a) Airport -----------------------------------------------------------------------------


def test_airport_books_a_first_appointment_and_prints_the_slip(context, live_server, artifacts):
    page = context.new_page()
    pages = Pages(page, "a-aeroport", artifacts)
    sign_in(page, "accueil")
    page.goto("/airport/")
    expect(page.get_by_role("heading", name="Poste d'accueil à l'aéroport")).to_be_visible()
    pages.check("console")

    # Bad input: no consent and no phone. The messages show, what was typed stays.
    page.get_by_label("Prénoms").fill(ARRIVAL["given"])
    page.get_by_label("Nom de famille").fill(ARRIVAL["family"])
    page.get_by_label("Date d'arrivée").fill(TODAY)
    page.get_by_role("button", name="Chercher les premiers créneaux").click()
    expect(page.locator(".error-message").first).to_be_visible()
    expect(page.get_by_label("Prénoms")).to_have_value(ARRIVAL["given"])
    expect(page.get_by_label("Nom de famille")).to_have_value(ARRIVAL["family"])
    expect(page.get_by_label("Date d'arrivée")).to_have_value(TODAY)
    pages.check("erreurs")

    fill_arrival(page, **ARRIVAL)
    page.get_by_role("button", name="Chercher les premiers créneaux").click()
    slots = page.get_by_role("radio")
    expect(slots.first).to_be_checked()
    pages.check("creneaux")
    slots.nth(1).check()
    chosen = page.locator("label[for='slot-2'] strong").inner_text()
    page.get_by_role("button", name="Réserver le créneau choisi").click()

    page.wait_for_url(re.compile(r"/airport/reservations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre premier rendez-vous Accompagnement Québec"
    )
    expect(page.get_by_text(f"{ARRIVAL['given']} {ARRIVAL['family']}")).to_be_visible()
    expect(page.get_by_text(chosen)).to_be_visible()
    pages.check("confirmation")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__printed") == 1

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ajouter à un calendrier (.ics)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    body = Path_text(download.path())
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body
    assert ARRIVAL["family"] not in body
    pages.assert_accessible()


def Path_text(path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus (reading where the focus is, never clicking)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def date_keys(iso: str) -> str:
    """What to type into a date field: headless Chromium lays its segments out as
    month/day/year whatever the page's language, and moves on after each complete segment."""
    year, month, day = iso.split("-")
    return f"{month}{day}{year}"


def test_airport_booking_with_the_keyboard_only(browser, live_server, artifacts):
    # No axe here, so the context keeps the application's Content-Security-Policy: the
    # journey also checks that no page breaks it (the print button's script is 'self').
    context = new_context(browser, live_server, axe=False)
    context.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text)
        if "Content Security Policy" in message.text or message.type == "error"
        else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}")
        if response.status >= 400 and response.request.method == "GET"
        else None,
    )
    pages = Pages(page, "a-aeroport-clavier", artifacts, axe=False)
    keyboard = page.keyboard

    page.goto("/connexion")
    tab_to(page, "#username")
    keyboard.type("accueil")
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    page.wait_for_url(lambda url: "/connexion" not in url)

    page.goto("/airport/")
    pages.check("console")
    steps = [
        ("#given_names", "Yusuf"),
        ("#family_name", "Okonkwo"),
        ("#date_of_birth", date_keys("1987-06-11")),
        ("#arrival_date", date_keys(TODAY)),
        ("#flight_type", "Int"),
        ("#immigration_category", "Imm"),
        ("#destination_region_id", "06"),
        ("#destination_city", "Montréal"),
        ("#phone", "438 555-0199"),
    ]
    for selector, text in steps:
        tab_to(page, selector)
        keyboard.type(text)
    tab_to(page, "#contact_consent")
    keyboard.press("Space")
    tab_to(page, "button[value=search]")
    keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.locator("#slot-1")).to_be_checked()
    expect(page.locator("#given_names")).to_have_value("Yusuf")
    expect(page.locator("#arrival_date")).to_have_value(TODAY)
    expect(page.locator("#destination_region_id option:checked")).to_have_text("06 Montréal")
    pages.check("creneaux")

    tab_to(page, "#slot-1")
    keyboard.press("ArrowDown")
    expect(page.locator("#slot-2")).to_be_checked()
    tab_to(page, "button[value=book]")
    keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/airport/reservations/\d+$"))
    expect(page.get_by_text("Yusuf Okonkwo")).to_be_visible()
    pages.check("confirmation")
    tab_to(page, "[data-print]")
    keyboard.press("Enter")
    assert page.evaluate("window.__printed") == 1
    assert not problems, problems
    context.close()
