"""The agent's hub and the header search (issue 16, points 1, 3 and 4), in headless Chromium
with axe-core on every page.

The agent presses « / » anywhere, finds the person by a name typed without accents, lands on
the case page, and sees above the fold at 1366 × 768 who the person is, the next appointment and
follow-up, the plan's progress with the overdue action named, the referral and its state, the
consents and the quick actions; opens the full details; filters the timeline to the reminders
and unfolds a day; reads the same page at 390 px without sideways scrolling; then tries bad
searches. The screenshots of the case page at both widths (in the artifacts folder) are the
ones in docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in

PERSON = {"given": "Hélène", "family": "Bérubé-Nakamura"}
OVERDUE_ACTION = "Trouver un logement permanent"
FUTURE_ACTION = "S'inscrire au cours de francisation à temps complet"


@pytest.fixture(scope="module")
def hub_case(live_server) -> dict:
    """A case in progress, through the service layer where it has one: notes, a consent, a
    final plan with one action overdue and others ahead, a referral sent to PROMIS, and the
    reminders the reconciler makes of them."""

    def setup() -> dict:
        from sqlalchemy import select

        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.core.time import utc_to_local, utcnow
        from casework.extensions import db
        from casework.plans.models import Plan, PlanAction
        from casework.reference.models import Organisation
        from casework.referrals.models import Referral, ReferralEvent
        from casework.reminders.operations import materialise

        agent = db.session.get(User, live_server.data["users"]["agente"])
        case = cases.open_case(
            agent,
            cases.PersonFields(
                given_names=PERSON["given"],
                family_name=PERSON["family"],
                immigration_category="economic",
                date_of_birth=date(1987, 9, 2),
                languages_spoken=["ja", "fr"],
                phone="514 555-0142",
                email="helene.berube@exemple.ca",
            ),
            "walk_in",
        )
        case.status = "active"
        case.opened_at = utcnow() - timedelta(days=30)
        db.session.flush()
        today = date.today()
        local_now = utc_to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
        for days, summary in ((9, "Premier appel : la famille est arrivée."), (2, "Rappel fait.")):
            cases.add_interaction(
                agent,
                case,
                cases.InteractionFields(
                    kind="phone",
                    occurred_at=local_now - timedelta(days=days),
                    duration_minutes=20,
                    mode="phone",
                    interpreter_language=None,
                    interpreter_remote=False,
                    summary=summary,
                ),
            )
        cases.record_consent(agent, case, "share_partner", today, "signed")
        plan = Plan(case_id=case.id, number=1, status="final", finalised_at=utcnow())
        labels = [
            (OVERDUE_ACTION, today - timedelta(days=3)),
            (FUTURE_ACTION, today + timedelta(days=6)),
            ("Ouvrir un compte bancaire", today + timedelta(days=6)),
            ("Demander la carte d'assurance maladie", today + timedelta(days=13)),
        ]
        for position, (label, due) in enumerate(labels):
            plan.actions.append(
                PlanAction(
                    position=position,
                    objective="S'installer",
                    label=label,
                    service="none",
                    due_on=due,
                )
            )
        db.session.add(plan)
        promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
        referral = Referral(
            case_id=case.id,
            organisation_id=promis.id,
            agent_id=agent.id,
            region_id=case.region_id,
            purpose="Recherche de logement",
            status="sent",
        )
        referral.events.append(ReferralEvent(actor_id=agent.id, to_status="sent"))
        db.session.add(referral)
        db.session.flush()
        materialise(case_ids=[case.id])
        return {"case_id": case.id, "number": case.number}

    return live_server.run(setup)


def _inside_the_fold(page, locator, height: int = 768) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box


def test_agent_finds_the_person_and_reads_the_hub(browser, live_server, hub_case, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    pages = Pages(page, "h-carrefour", artifacts)
    sign_in(page, "agente")

    # « / » from the home page focuses the header's search; a name without accents finds her.
    page.locator("main").click()
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name=re.compile("Rechercher un dossier"))
    expect(search).to_be_focused()
    search.fill("helene berube")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/dossiers/$"))
    pages.check("resultats")
    page.get_by_role("link", name=re.compile(hub_case["number"])).first.click()
    expect(page).to_have_url(re.compile(rf"/dossiers/{hub_case['case_id']}$"))

    # Above the fold: the person, the next appointment and follow-up, the plan, the referral,
    # the consent, the quick actions.
    hub = page.locator(".hub")
    for title in (
        "La personne",
        "Prochain rendez-vous",
        "Prochain suivi",
        "Plan d'action",
        "Références",
        "Consentements en vigueur",
    ):
        card = hub.locator(".hub-card").filter(has=page.get_by_role("heading", name=title))
        expect(card).to_be_visible()
        _inside_the_fold(page, card)
    plan_card = hub.locator(".hub-card").filter(
        has=page.get_by_role("heading", name="Plan d'action")
    )
    expect(plan_card).to_contain_text("Actions faites : 0 sur 4")
    expect(plan_card.get_by_role("link", name=OVERDUE_ACTION)).to_be_visible()
    expect(hub).to_contain_text("PROMIS")
    expect(hub).to_contain_text("Envoyée")
    follow_up = hub.locator(".hub-card").filter(
        has=page.get_by_role("heading", name="Prochain suivi")
    )
    expect(follow_up).not_to_contain_text("Aucun suivi prévu")
    expect(follow_up).to_contain_text(OVERDUE_ACTION)
    actions = page.get_by_role("navigation", name="Actions rapides")
    for label in (
        "Ajouter une note",
        "Réserver un rendez-vous",
        "Orienter vers un organisme",
        "Enregistrer un consentement",
    ):
        expect(actions.get_by_role("link", name=label)).to_be_visible()
        _inside_the_fold(page, actions.get_by_role("link", name=label))
    page.screenshot(path=str(artifacts / "dossier-carrefour-1366.png"), full_page=True)
    pages.check("dossier")

    # The full details, one click away.
    page.get_by_text("Tous les renseignements sur la personne, et le ménage").click()
    expect(page.locator("dl.summary")).to_contain_text("helene.berube@exemple.ca")
    expect(page.get_by_role("heading", name="Ménage")).to_be_visible()

    # The timeline: coming up apart from history; the future is never late; a day's reminders
    # fold into one line that names each action.
    upcoming = page.locator("#a-venir + ol.timeline")
    expect(upcoming).to_contain_text("rappels")
    expect(upcoming).not_to_contain_text("en retard")
    page.get_by_role("navigation", name="Afficher dans le suivi").get_by_role(
        "link", name=re.compile("^Rappels")
    ).click()
    expect(page).to_have_url(re.compile(r"type=reminder"))
    group = upcoming.locator("details.timeline__group").first
    group.locator("summary").click()
    expect(group.get_by_role("link", name=re.compile(re.escape(FUTURE_ACTION)))).to_be_visible()
    expect(page.locator("#historique + ol.timeline")).not_to_contain_text("Premier appel")
    pages.check("suivi-rappels")

    # The reminders list names the person and the action.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Rappels")
    ).click()
    page.get_by_role("link", name=re.compile("^En retard")).click()
    row = page.locator("tbody tr").filter(has_text=OVERDUE_ACTION)
    expect(row).to_contain_text(f"{PERSON['given']} {PERSON['family']}")
    expect(row).to_contain_text("en retard de")
    pages.check("rappels")

    # Bad searches get a message, never an error page.
    for query, message in (("a", "Tapez au moins deux lettres"), ("?!--", "Rien à chercher")):
        page.keyboard.press("/")
        search.fill(query)
        search.press("Enter")
        expect(page.locator(".flash--error")).to_contain_text(message)
    pages.check("recherche-refusee")
    pages.assert_accessible()
    context.close()


def test_the_hub_on_a_phone(browser, live_server, hub_case, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    pages = Pages(page, "h-carrefour-390", artifacts)
    sign_in(page, "agente")
    page.goto(f"/dossiers/{hub_case['case_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PERSON["family"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path=str(artifacts / "dossier-carrefour-390.png"), full_page=True)
    pages.check("dossier")
    pages.assert_accessible()
    context.close()
