"""Issue 22, expected arrivals, in headless Chromium with axe-core: the ministry's system posts
two persons through the API (over HTTP, with its token and an Idempotency-Key, the first one
twice); the airport staff find them on « Arrivées attendues », open one, complete the console
prefilled from it and book: the case is opened and the arrival leaves the list. On a laptop
(1366 px) and a phone (390 px), without sideways scrolling."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in


def _ministry_token(user_id: int) -> str:
    from casework.api import tokens
    from casework.auth.models import User
    from casework.core.time import utcnow
    from casework.extensions import db

    holder = db.session.get(User, user_id)
    issued = tokens.create(
        holder,
        "ministère (parcours)",
        ["arrivals:write"],
        utcnow() + timedelta(days=1),
        user=holder,
    )
    return issued.secret


def _arrival_state(family_name: str) -> tuple[str, int | None]:
    from sqlalchemy import select

    from casework.appointments.models import ExpectedArrival
    from casework.extensions import db

    arrival = db.session.scalar(
        select(ExpectedArrival).where(ExpectedArrival.family_name == family_name)
    )
    return arrival.status, arrival.case_id


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_airport_turns_an_expected_arrival_into_a_case_and_a_booking(
    browser, live_server, artifacts, width, height
):
    secret = live_server.run(_ministry_token, live_server.data["users"]["accueil"])
    context = new_context(browser, live_server)
    soon = datetime.now(UTC) + timedelta(hours=3)
    family = f"Nkurunziza-{width}"
    # Another person at each width: the console would otherwise suspect a duplicate file.
    born = "1991-07-14" if width > 800 else "1987-03-09"
    people = [
        {"given_names": "Aline", "family_name": family, "arrives_at": soon},
        {
            "given_names": "Tomás",
            "family_name": f"Ortega-{width}",
            "arrives_at": soon + timedelta(days=1),
        },
    ]
    for index, person in enumerate(people):
        body = {
            **person,
            "arrives_at": person["arrives_at"].isoformat(timespec="seconds"),
            "date_of_birth": born,
            "flight_number": "AF 344",
            "immigration_category": "economic",
            "destination_region": "06",
            "destination_city": "Montréal",
        }
        headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": f"j-{width}-{index}"}
        first = context.request.post("/api/v1/arrivals", data=body, headers=headers)
        assert first.status == 201, first.text()
        if index == 0:  # the ministry's system retries: the same answer, no second arrival
            again = context.request.post("/api/v1/arrivals", data=body, headers=headers)
            assert again.status == 201 and again.json() == first.json()

    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    pages = Pages(page, f"arrivees-{width}", artifacts)
    sign_in(page, "accueil")
    page.goto("/aeroport/")
    page.get_by_role("link", name="Arrivées attendues").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arrivées attendues")
    cards = page.locator(".arrival").filter(has_text=family)
    expect(cards).to_have_count(1)
    expect(page.locator(".arrival").filter(has_text=f"Ortega-{width}")).to_have_count(1)
    pages.check("liste")
    shutil.copy(pages.folder / f"arrivees-{width}-01-liste.png", f"/tmp/i22-arrivals-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    cards.get_by_role("link", name=re.compile("Ouvrir le dossier et réserver")).click()
    expect(page.get_by_label("Prénoms")).to_have_value("Aline")
    expect(page.get_by_label("Nom de famille")).to_have_value(family)
    expect(page.get_by_label("Date de naissance")).to_have_value(born)
    expect(page.get_by_text("Rempli à partir de l'arrivée attendue")).to_be_visible()
    pages.check("console-remplie")
    page.get_by_label("Langue préférée").select_option("fr")
    page.get_by_label("Téléphone", exact=True).fill("514 555-0142")
    page.get_by_label("La personne accepte d'être contactée par le service").check()
    page.get_by_role("button", name="Chercher les premiers créneaux").click()
    expect(page.get_by_role("radio").first).to_be_checked()
    page.get_by_role("button", name="Réserver le créneau choisi").click()
    page.wait_for_url(re.compile(r"/aeroport/reservations/\d+$"))
    expect(page.get_by_text(f"Aline {family}")).to_be_visible()
    pages.check("reservation")

    status, case_id = live_server.run(_arrival_state, family)
    assert status == "received" and case_id is not None
    page.goto("/aeroport/arrivees-attendues")
    expect(page.locator(".arrival").filter(has_text=family)).to_have_count(0)
    expect(page.locator(".arrival").filter(has_text=f"Ortega-{width}")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    pages.assert_accessible()
