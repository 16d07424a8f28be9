"""The airport console reports every error in one round (issue 17: a government-assisted
refugee used to take three submits: host city, then contact, then consent)."""

from __future__ import annotations

from html import unescape

from tests import helpers
from tests.appointments.test_airport import agent, counter, counts, intake  # noqa: F401


def test_a_refugee_s_missing_host_city_contact_and_consent_in_one_round(
    app,
    client,
    agent,  # noqa: F811
    counter,  # noqa: F811
):
    data = intake(app, immigration_category="gar", phone=None, contact_consent=None)
    before = counts(app)
    response = helpers.post_form(client, "/aeroport/", {**data, "step": "search"})
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    summary = page.split('class="error-summary"')[1].split("</ul>")[0]
    for field, words in (
        ("host_city", "ville d'accueil"),
        ("phone", "courriel"),
        ("contact_consent", "consentement"),
    ):
        assert f'href="#{field}"' in summary
        assert words in summary.lower()
    # A checkbox's message stands next to it too, not only in the summary.
    assert 'id="contact_consent-error"' in page
    assert counts(app) == before


def test_a_bad_region_phone_and_a_line_break_in_one_round(
    app,
    client,
    agent,  # noqa: F811
    counter,  # noqa: F811
):
    data = intake(
        app, destination_region_id="abc", phone="abc", destination_city="Montréal\r\nLaval"
    )
    before = counts(app)
    response = helpers.post_form(client, "/aeroport/", {**data, "step": "search"})
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    for field in ("destination_region_id", "phone", "destination_city"):
        assert f'id="{field}-error"' in page and f'href="#{field}"' in page
    assert "Choisissez une des options de la liste." in page
    assert counts(app) == before
