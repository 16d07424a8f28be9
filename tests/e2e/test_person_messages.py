"""Airport booking, then the person's confirmation: the counter books in Chromium, the
scheduler's sender runs (as the scheduler process would), and the e-mail is in an SMTP sink
with a calendar file that icalendar reads (issue 20)."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from casework.core.time import local_today
from casework.messages.outbox import send_messages
from casework.reminders.mail import SmtpMailer
from tests.e2e.conftest import Pages, new_context, sign_in
from tests.mailsink import SmtpSink

EMAIL = "nadia.benali@exemple.ca"


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def test_airport_booking_sends_the_person_a_confirmation_with_a_calendar_file(
    browser, live_server, artifacts, sink
):
    context = new_context(browser, live_server)
    page = context.new_page()
    pages = Pages(page, "messages-aeroport", artifacts)
    sign_in(page, "accueil")
    page.goto("/aeroport/")
    page.get_by_label("Prénoms").fill("Nadia")
    page.get_by_label("Nom de famille").fill("Benali")
    page.get_by_label("Date de naissance").fill("1991-07-14")
    page.get_by_label("Date d'arrivée").fill(local_today().isoformat())
    page.get_by_label("Vol").select_option("international")
    page.get_by_label("Catégorie d'immigration").select_option("economic")
    page.get_by_label("Région de destination").select_option(label="06 Montréal")
    page.get_by_label("Ville de destination").fill("Montréal")
    page.get_by_label("Langue préférée").select_option("en")
    page.get_by_label("Courriel").fill(EMAIL)
    page.get_by_label("La personne accepte d'être contactée par le service").check()
    page.get_by_role("button", name="Chercher les premiers créneaux").click()
    expect(page.get_by_role("radio").first).to_be_checked()
    page.get_by_role("button", name="Réserver le créneau choisi").click()
    page.wait_for_url(re.compile(r"/aeroport/reservations/\d+$"))
    pages.check("confirmation")

    mailer = SmtpMailer(host="127.0.0.1", port=sink.port, sender="casework@exemple.ca", timeout=5)
    counts = live_server.run(send_messages, mailer=mailer)
    assert counts.get("sent") == 1, counts
    [(recipients, message)] = sink.inbox.messages
    assert recipients == [EMAIL]
    assert message["Subject"] == "Your Accompagnement Québec appointment is confirmed"
    text = message.get_body(("plain",)).get_content()
    assert "Message in English." in text and "/messages/desabonnement/" in text
    assert "economic" not in text.lower()  # no category in a message
    [attachment] = [
        p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    calendar = Calendar.from_ical(attachment.get_content())
    event = next(iter(calendar.walk("VEVENT")))
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["UID"]).startswith("appointment-")
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert "Benali" not in attachment.get_content()
    # The slip's own calendar file is the same event: adding both leaves one in the calendar.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"\.ics")).click()
    with open(download_info.value.path(), encoding="utf-8") as handle:
        slip = Calendar.from_ical(handle.read())
    assert next(iter(slip.walk("VEVENT")))["UID"] == event["UID"]
    pages.assert_accessible()
    context.close()
