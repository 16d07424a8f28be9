"""Journeys of issue 16 in headless Chromium, with axe-core on every page (points 5 to 8).

(e) The advisor, from the home page's queue count, reads a referral with what it takes to
    decide (need and level, consent, why this organisation, the agent's note) and returns it;
    the agent reads the comment, changes the note and submits it again in one step.
(f) The partner lands on the referrals to handle, and the referral names the languages, the
    urgency and the agent to call.
(g) The supervisor opens the dashboard from the header menu and drills down from a figure to
    the cases it counts; the dashboard fits at 1366 px and at 390 px.

The data of each journey is written through the service layer, as the agent would have made it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in, sign_out

NAV = "Navigation principale"


@pytest.fixture
def context(browser, live_server):
    context = new_context(browser, live_server)
    yield context
    context.close()


def _case_with_plan(live_server, given: str, family: str, **person) -> dict:
    """A case of « agente » whose finalised plan has a housing need assessed « high »."""

    def setup():
        from sqlalchemy import select

        from casework.assessments import operations as assessments
        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.extensions import db
        from casework.plans import operations as plans
        from casework.reference.models import Domain, Need, Region

        agent = db.session.get(User, live_server.data["users"]["agente"])
        agent.phone = "514 555-0142 poste 2104"
        montreal = db.session.query(Region).filter_by(code="06").one()
        case = cases.open_case(
            agent,
            cases.PersonFields(
                given_names=given,
                family_name=family,
                immigration_category="economic",
                destination_region_id=montreal.id,
                destination_city="Montréal",
                **person,
            ),
            "walk_in",
        )
        db.session.flush()
        housing = db.session.scalar(
            select(Need.id).join(Domain).where(Domain.code == "settlement", Need.code == "housing")
        )
        draft = assessments.start(agent, case)
        assessments.save(
            agent,
            draft,
            assessments.AssessmentValues(
                interview_date=date.today(), interview_mode="phone", levels={housing: "high"}
            ),
            draft.version,
            complete=True,
        )
        plan, _ = plans.generate(agent, case)
        db.session.flush()
        plans.finalise(agent, case, plan, plan.version)
        action = next(a for a in plan.actions if a.service == "pasi_partner")
        return {"case_id": case.id, "action_id": action.id, "agent_id": agent.id}

    return live_server.run(setup)


def _referral(live_server, made: dict, status: str, note: str, priority: str = "normal") -> int:
    """A referral of the case's housing action to PROMIS, moved to ``status`` through the
    lifecycle (consent recorded before it is sent)."""

    def setup():
        from sqlalchemy import select

        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.cases.models import Case
        from casework.extensions import db
        from casework.plans.models import PlanAction
        from casework.reference.models import Organisation
        from casework.referrals import operations as referrals

        agent = db.session.get(User, made["agent_id"])
        advisor = db.session.get(User, live_server.data["users"]["conseiller"])
        case = db.session.get(Case, made["case_id"])
        case.priority = priority
        promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
        action = db.session.get(PlanAction, made["action_id"])
        referral = referrals.create(agent, case, action, promis, None, note=note)
        db.session.flush()
        steps = {"submitted": [(agent, "submitted")]}
        steps["sent"] = [*steps["submitted"], (advisor, "approved"), (agent, "sent")]
        if status == "sent":
            cases.record_consent(agent, case, "share_partner", date.today(), "signed")
        for actor, to in steps[status]:
            referrals.move(actor, referral, to, None, referral.version)
            db.session.flush()
        return referral.id

    return live_server.run(setup)


def test_advisor_decides_with_what_it_takes_and_the_agent_resubmits(
    context, live_server, artifacts
):
    made = _case_with_plan(live_server, "Lucía", "Fernández Ortiz", languages_spoken=["es"])
    referral_id = _referral(
        live_server, made, "submitted", "Cherche un 4 ½ près du métro, avant le 1er juillet."
    )
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    pages = Pages(page, "e-decider", artifacts)

    # The advisor's home: the queue counts, each a link to its list.
    sign_in(page, "conseiller")
    figure = page.locator(".stat").filter(has=page.get_by_text("En attente d'examen", exact=True))
    expect(figure).to_contain_text("Soumises par les agentes et agents")
    pages.check("accueil-conseiller")
    figure.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Références en attente d'examen")
    pages.check("file-examen")
    page.get_by_role("link", name=str(referral_id), exact=True).click()

    # Everything needed to decide is on the page.
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text("niveau : Élevé")
    expect(summary).to_contain_text("Cherche un 4 ½ près du métro")
    expect(summary).to_contain_text("Partager avec un organisme partenaire : non consigné")
    fit = page.locator("section[aria-labelledby=fit-title]")
    expect(fit).to_contain_text(re.compile(r"Suggestion \d+ sur \d+"))
    expect(fit).to_contain_text("Dessert la région")
    pages.check("reference-a-decider")
    page.get_by_label("Commentaire").fill("Précisez le quartier et le budget mensuel.")
    page.get_by_role("button", name="Retourner à l'agente ou l'agent").click()
    expect(page.locator(".lead .status")).to_have_text("Retournée à l'agente ou l'agent")
    sign_out(page)

    # The agent reads the comment, changes the note and submits again in one step.
    sign_in(page, "agente")
    page.goto(f"/references/{referral_id}")
    returned = page.locator("section[aria-labelledby=returned-title]")
    expect(returned).to_contain_text("Précisez le quartier et le budget mensuel.")
    pages.check("retournee-agente")
    returned.get_by_role("link", name="Modifier la référence et la soumettre de nouveau").click()
    note = page.get_by_label("Note pour la conseillère ou le conseiller et l'organisme")
    note.fill("Rosemont ou Villeray, 1 200 $ par mois au plus.")
    page.get_by_role("button", name="Soumettre à l'examen").click()
    expect(page.locator(".flash--success")).to_contain_text("soumise pour examen")
    expect(page.locator(".lead .status")).to_have_text("En attente d'examen")
    expect(page.locator("dl.summary")).to_contain_text("Rosemont ou Villeray")
    pages.check("soumise-de-nouveau")
    pages.assert_accessible()


def test_partner_lands_on_what_to_handle_and_knows_who_to_call(context, live_server, artifacts):
    made = _case_with_plan(
        live_server,
        "Mamadou",
        "Bah",
        languages_spoken=["ff", "fr"],
        preferred_language="ff",
        phone="514 555-0190",
    )
    referral_id = _referral(
        live_server, made, "sent", "Disponible en après-midi seulement.", priority="urgent"
    )
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    pages = Pages(page, "f-partenaire", artifacts)
    sign_in(page, "partenaire")
    figure = page.locator(".stat").filter(has_text="Nouvelles références")
    pages.check("accueil-partenaire")
    figure.get_by_role("link").click()
    expect(page.get_by_role("link", name=str(referral_id), exact=True)).to_be_visible()

    # The list opens on « À traiter ».
    page.get_by_role("navigation", name=NAV).get_by_role("link", name="Références").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Références à traiter")
    expect(page.get_by_label("État")).to_have_value("todo")
    pages.check("a-traiter")
    page.get_by_role("link", name=str(referral_id), exact=True).click()

    summary = page.locator("dl.summary")
    expect(summary).to_contain_text("peul, français")
    expect(summary).not_to_contain_text("ff, fr")
    expect(page.locator(".lead")).to_contain_text("Urgence : Urgent")
    expect(summary).to_contain_text("Amélie Tremblay")
    expect(summary.get_by_role("link", name="514 555-0142 poste 2104")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^agente@"))).to_be_visible()
    expect(summary).to_contain_text("Disponible en après-midi seulement.")
    expect(summary).to_contain_text("Logement")
    pages.check("reference-partenaire")
    pages.assert_accessible()


def _person_served(live_server) -> None:
    """A case of « agente » whose person arrived 30 days ago and came to their first
    appointment 20 days ago (written straight into the tables, as the reports' tests do)."""

    def setup():
        from tests import helpers
        from tests.reports.factories import add_activity

        add_activity(helpers.create_case(live_server.data["users"]["agente"]).id)

    live_server.run(setup)


def test_supervisor_drills_down_from_the_dashboard(context, live_server, artifacts):
    _person_served(live_server)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    pages = Pages(page, "g-superviseur", artifacts)
    sign_in(page, "superviseur")
    page.get_by_role("navigation", name=NAV).get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord régional")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    for box in page.locator(".table-wrap").all():  # nothing clipped inside the scroll boxes
        assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), box.get_attribute("aria-label")
    pages.check("tableau-de-bord-1366")

    row = page.locator("table").first.locator("tbody tr").filter(has_text="Amélie Tremblay")
    total = row.locator("td").nth(3).get_by_role("link")
    expected = int(total.inner_text())
    total.click()
    expect(page.locator(".flash--info")).to_contain_text("Dossiers de Amélie Tremblay seulement.")
    assert page.locator("table.data-table tbody tr").count() == expected
    pages.check("dossiers-de-l-agente")

    # « Délais de service »: the people counted open the caseload of exactly those people.
    page.go_back()
    delays = page.locator("section[aria-labelledby=delays-title] tbody tr").first
    counted = delays.locator("td").nth(2).get_by_role("link")
    expected = int(counted.inner_text())
    counted.click()
    expect(page.locator(".flash--info")).to_contain_text("Dossiers comptés dans un rapport")
    expect(page.get_by_label("Compté dans un rapport")).to_have_value(
        "arrival_to_first_appointment"
    )
    expect(page.locator(".pagination__summary")).to_contain_text(f"sur {expected}")
    pages.check("dossiers-comptes-delai")

    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pages.check("tableau-de-bord-390")
    pages.assert_accessible()
