"""The agent hears of a returned referral: the advisor returns it with a comment, the agent sees
the count in the header, opens the notification, lands on the referral and reads the comment;
then chooses her e-mail preferences and marks everything read. axe-core on every page, at
1366 px and at 390 px (a phone: no sideways scroll)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in, sign_out

COMMENT = "Précisez le besoin : logement temporaire ou permanent?"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _submitted_referral(live_server) -> dict:
    """A case of the agent and a referral to PROMIS awaiting the advisor's review, through the
    service layer; the agent's earlier notifications are read, so the count starts at 0."""

    def setup() -> dict:
        from datetime import date

        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.extensions import db
        from casework.notifications import operations as notifications
        from casework.reference.models import Region
        from tests.helpers import consented_referral

        agent = db.session.get(User, live_server.data["users"]["agente"])
        montreal = db.session.query(Region).filter_by(code="06").one()
        case = cases.open_case(
            agent,
            cases.PersonFields(
                given_names="Nadia",
                family_name="Haddad",
                immigration_category="economic",
                date_of_birth=date(1988, 9, 2),
                languages_spoken=["fr"],
                preferred_language="fr",
                phone="514 555-0142",
                destination_region_id=montreal.id,
                destination_city="Montréal",
            ),
            "walk_in",
        )
        db.session.commit()
        referral_id = consented_referral(agent.id, case.id, status="submitted")
        notifications.mark_all_read(agent)
        return {"referral_id": referral_id, "number": case.number, "case_id": case.id}

    return live_server.run(setup)


def _transfer_away(live_server, case_id: int) -> None:
    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case
    from casework.extensions import db
    from tests.helpers import create_user, give_consent

    agent = db.session.get(User, live_server.data["users"]["agente"])
    colleague = db.session.get(User, create_user("agent", region="03").id)
    give_consent(agent.id, case_id, "transfer_region")  # another region (issue 18)
    transfer = cases.request_transfer(agent, db.session.get(Case, case_id), colleague, "Départ")
    cases.answer_transfer(colleague, transfer, accept=True)


def _fits_a_phone(page, pages: Pages, name: str) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pages.check(f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_agent_is_told_of_a_returned_referral_and_reads_the_comment(
    browser, live_server, artifacts
):
    story = _submitted_referral(live_server)
    referral = f"/references/{story['referral_id']}"
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    pages = Pages(page, "e-notifications", artifacts)

    # The advisor returns the referral with a comment.
    sign_in(page, "conseiller")
    page.goto(referral)
    page.locator("#comment-returned").fill(COMMENT)
    page.get_by_role("button", name="Retourner à l'agente ou l'agent").click()
    expect(page.locator(".flash--success")).to_be_visible()
    sign_out(page)

    # The agent sees one unread notification in the header, on any page.
    sign_in(page, "agente")
    header = page.locator(".site-header").get_by_role("link", name=re.compile("^Notifications"))
    expect(header).to_have_text(re.compile(r"Notifications\s*1\s*non lue"))
    pages.check("accueil-compteur")

    # The list: what happened, who did it, the comment; a link to the referral.
    header.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    item = page.locator(".notification").filter(has_text=story["number"])
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Référence à PROMIS retournée par")
    expect(item).to_contain_text(COMMENT)
    pages.check("liste")
    _fits_a_phone(page, pages, "liste")

    # Opening it leads to the referral, where the comment is; the count is back to none.
    item.get_by_role("link", name=re.compile("^Référence à PROMIS retournée")).click()
    page.wait_for_url(f"**{referral}")
    expect(page.get_by_text(COMMENT).first).to_be_visible()
    expect(header).to_have_text("Notifications")
    pages.check("reference-retournee")

    # Preferences: accepted referrals never by e-mail.
    page.goto("/notifications/")
    page.get_by_role("link", name="Préférences de courriel").click()
    pages.check("preferences")
    _fits_a_phone(page, pages, "preferences")
    page.get_by_role("group", name="Un organisme accepte une référence").get_by_label(
        "Jamais par courriel"
    ).check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash--success")).to_have_text("Préférences enregistrées.")
    expect(
        page.get_by_role("group", name="Un organisme accepte une référence").get_by_label(
            "Jamais par courriel"
        )
    ).to_be_checked()
    pages.check("preferences-enregistrees")

    # The case goes to another agent: the notification's link now explains the refusal (403).
    live_server.run(_transfer_away, live_server, story["case_id"])
    page.goto("/notifications/")
    page.locator(".notification").filter(has_text=story["number"]).get_by_role(
        "link", name=re.compile("^Référence à PROMIS retournée")
    ).click()
    expect(page.get_by_role("heading", name="Vous ne pouvez plus ouvrir ceci")).to_be_visible()
    expect(page.get_by_text(COMMENT)).to_have_count(0)
    pages.check("plus-acces")
    _fits_a_phone(page, pages, "plus-acces")
    pages.assert_accessible()
    context.close()
