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
from pathlib import Path

import pytest
from playwright.sync_api import expect

from casework.core.time import local_today
from tests.attachments import samples
from tests.e2e.conftest import (
    PASSWORD,
    TOTP_SECRETS,
    Pages,
    new_context,
    sign_in,
    sign_out,
    totp_code,
)

ARRIVAL = {"given": "Amina", "family": "Diallo-Keïta", "phone": "514 555-0101"}
TODAY = local_today().isoformat()
DIPLOMA = samples.pdf("Diplôme d'ingénieure civile")


@pytest.fixture
def context(browser, live_server):
    context = new_context(browser, live_server)
    # The slip's « Imprimer » button calls window.print(): count the calls instead of
    # opening a print dialog, which a headless browser does not have.
    context.add_init_script(
        "window.__printed = 0; window.print = () => { window.__printed += 1; };"
    )
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
    page.get_by_label("Téléphone", exact=True).fill(phone)
    page.get_by_label("La personne accepte d'être contactée par le service").check()


# --- (a) Airport -----------------------------------------------------------------------------


def test_airport_books_a_first_appointment_and_prints_the_slip(context, live_server, artifacts):
    page = context.new_page()
    pages = Pages(page, "a-aeroport", artifacts)
    sign_in(page, "accueil")
    page.goto("/aeroport/")
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

    page.wait_for_url(re.compile(r"/aeroport/reservations/\d+$"))
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
    body = read_text(download.path())
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body
    assert ARRIVAL["family"] not in body
    pages.assert_accessible()


def read_text(path) -> str:
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
    context.add_init_script(
        "window.__printed = 0; window.print = () => { window.__printed += 1; };"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.method == "GET"
            else None
        ),
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

    page.goto("/aeroport/")
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
    page.wait_for_url(re.compile(r"/aeroport/reservations/\d+$"))
    expect(page.get_by_text("Yusuf Okonkwo")).to_be_visible()
    pages.check("confirmation")
    tab_to(page, "[data-print]")
    keyboard.press("Enter")
    assert page.evaluate("window.__printed") == 1
    assert not problems, problems
    context.close()


# --- (b) Agent -------------------------------------------------------------------------------

PERSON = {"given": "Samira", "family": "Haddad"}
# What journey (b) leaves for journey (c): the case and its two referrals.
STORY: dict = {}


@pytest.fixture(scope="module")
def booked_case(live_server) -> dict:
    """A case of the agent with a first appointment in her calendar, through the service layer
    (as the airport counter or the agent's own booking leaves it)."""

    def setup() -> dict:
        from datetime import date

        from casework.appointments import operations as appointments
        from casework.appointments.slots import SlotQuery, SlotRef, find_slots, to_local
        from casework.auth.models import User
        from casework.cases import operations as cases
        from casework.extensions import db
        from casework.reference.models import Region

        agent = db.session.get(User, live_server.data["users"]["agente"])
        montreal = db.session.query(Region).filter_by(code="06").one()
        case = cases.open_case(
            agent,
            cases.PersonFields(
                given_names=PERSON["given"],
                family_name=PERSON["family"],
                immigration_category="economic",
                date_of_birth=date(1990, 4, 12),
                languages_spoken=["ar", "fr"],
                preferred_language="ar",
                phone="514 555-0177",
                destination_region_id=montreal.id,
                destination_city="Montréal",
                interpreter_needed=True,
                interpreter_language="ar",
            ),
            "walk_in",
        )
        db.session.flush()
        kind = appointments.appointment_type("first_interview")
        query = SlotQuery(
            duration=timedelta(minutes=kind.duration_minutes), mode="in_person", agent_id=agent.id
        )
        slot = find_slots(query, limit=1)[0]
        appointment = appointments.book_for_case(
            agent, case, SlotRef.parse(slot.token), "first_interview", "in_person"
        )
        return {
            "case_id": case.id,
            "number": case.number,
            "day": to_local(appointment.starts_at).date().isoformat(),
        }

    return live_server.run(setup)


def test_agent_assesses_plans_and_refers(context, live_server, booked_case, artifacts):
    page = context.new_page()
    pages = Pages(page, "b-agente", artifacts)
    name = f"{PERSON['given']} {PERSON['family']}"
    sign_in(page, "agente")

    # The calendar, week view, at the appointment's week: appointment, then the case.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Calendrier"
    ).click()
    page.get_by_label("Vue").select_option("semaine")
    page.get_by_label("Date", exact=True).fill(booked_case["day"])
    page.get_by_role("button", name="Afficher").click()
    pages.check("calendrier-semaine")
    page.get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Première entrevue")
    pages.check("rendez-vous")
    page.locator("dl.summary").get_by_role("link", name=name).click()
    expect(page).to_have_url(re.compile(rf"/dossiers/{booked_case['case_id']}$"))
    pages.check("dossier")

    # The needs assessment, with an interpreter, one domain section after the other; levels are
    # radio buttons, notes open on demand, the running summary follows the urgent and high needs.
    page.get_by_role("link", name="Évaluation des besoins", exact=True).click()
    page.get_by_role("button", name="Commencer l'évaluation").click()
    page.get_by_label("Mode de l'entrevue").select_option("in_person")
    page.get_by_label("Langue d'interprétation").select_option("ar")
    page.get_by_label("Interprétation à distance").check()
    housing = page.locator("[data-need='Logement']")
    housing.get_by_label("Urgent").check()
    housing_notes = "Hébergée chez une cousine jusqu'à la fin du mois."
    housing.get_by_text("Notes sur ce besoin").click()
    housing.locator("textarea").fill(housing_notes)
    requalification = page.locator(
        "[data-need='Requalification vers un domaine prioritaire (référence au MTESS)']"
    )
    requalification.get_by_label("Élevé").check()
    summary = page.locator("[data-level-summary]")
    expect(summary.locator("[data-level-list=urgent]")).to_contain_text("Logement")
    expect(summary.locator("[data-level-list=high]")).to_contain_text("Requalification")
    page.get_by_label("Intérêt pour une requalification vers une profession en demande").check()
    page.get_by_label("Profession actuelle ou dernière profession").fill("Ingénieure civile")
    page.get_by_label("Profession visée (CNP)").fill("2143")
    pages.check("evaluation-brouillon")

    # The draft is saved, left, and resumed as it was.
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".flash--success")).to_be_visible()
    page.get_by_role("link", name="Quitter pour l'instant").click()
    page.get_by_role("link", name="Reprendre le brouillon").click()
    housing = page.locator("[data-need='Logement']")
    expect(housing.get_by_label("Urgent")).to_be_checked()
    expect(housing.locator("textarea")).to_have_value(housing_notes)
    expect(page.get_by_label("Langue d'interprétation")).to_have_value("ar")

    # Completing without the interview date is refused, what was chosen stays.
    page.get_by_role("button", name="Vérifier et terminer…").click()
    expect(page.locator(".error-message").first).to_be_visible()
    expect(page.locator("[data-need='Logement']").get_by_label("Urgent")).to_be_checked()
    pages.check("evaluation-erreurs")
    page.get_by_label("Date de l'entrevue").fill(TODAY)
    page.get_by_role("button", name="Vérifier et terminer…").click()

    # The confirmation page sums up what will be recorded; then « Générer le plan ».
    expect(page.get_by_role("heading", level=1)).to_have_text("Terminer l'évaluation ?")
    expect(page.get_by_role("table")).to_contain_text("Logement")
    pages.check("evaluation-confirmation")
    page.get_by_role("button", name="Terminer l'évaluation").click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Évaluation terminée")
    pages.check("evaluation-terminee")

    # The plan: generated from the assessment, the housing action due today, finalised after
    # a confirmation.
    page.get_by_role("button", name="Générer le plan").click()
    pages.check("plan-brouillon")
    page.locator("input[id^=due_]").first.fill(TODAY)
    page.get_by_role("button", name="Enregistrer les échéances et les responsables").click()
    page.get_by_role("button", name="Finaliser le plan…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finaliser le plan ?")
    pages.check("plan-finaliser")
    page.get_by_role("button", name="Finaliser le plan").click()
    expect(
        page.get_by_role("link", name="Plan à imprimer pour la personne (français)")
    ).to_be_visible()
    pages.check("plan-final")

    # Consents, for the partner organisation and for MTESS.
    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role(
        "link", name=booked_case["number"]
    ).click()
    page.get_by_role("link", name="Consentements", exact=True).click()
    for purpose in ("share_partner", "share_mtess"):
        page.get_by_label("Fin visée").select_option(purpose)
        page.get_by_label("Donné le").fill(TODAY)
        page.get_by_label("Mode d'obtention").select_option("signed")
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_text("En vigueur")).to_have_count(2)
    pages.check("consentements")

    # Referrals from the plan's actions: PROMIS (PASI) for housing, MTESS for requalification.
    referrals = {}
    for kind, row_text, organisation in (
        ("pasi", "Obtenir un logement", "PROMIS"),
        ("mtess", "Se requalifier", "MTESS"),
    ):
        page.goto(f"/dossiers/{booked_case['case_id']}/plan/")
        row = page.locator("tbody tr").filter(has_text=row_text).first
        row.get_by_role("link", name="Orienter").click()
        page.get_by_role("radio", name=re.compile(organisation)).check()
        if kind == "mtess":
            page.get_by_label("Intérêt pour une nouvelle carrière").select_option("high")
            page.get_by_label("Disponibilités").fill("Jours de semaine, dès janvier")
        pages.check(f"orienter-{kind}")
        page.get_by_role("button", name="Préparer la référence").click()
        page.get_by_role("button", name="Soumettre à l'examen").click()
        expect(page.locator(".status").first).to_have_text("En attente d'examen")
        pages.check(f"reference-{kind}")
        referrals[kind] = int(page.url.rstrip("/").split("/")[-1])

    # The printed plan.
    page.goto(f"/dossiers/{booked_case['case_id']}/plan/")
    page.get_by_role("link", name="Plan à imprimer pour la personne (français)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre plan d'action")
    expect(page.get_by_text("Votre agente ou agent vous oriente").first).to_be_visible()
    pages.check("plan-imprime")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__printed") == 1
    pages.assert_accessible()
    STORY.update(booked_case, referrals=referrals)


# --- (c) Follow-through ----------------------------------------------------------------------


def open_referral(page, referral_id: int) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Références"
    ).click()
    page.get_by_role("link", name=str(referral_id), exact=True).click()


def move_referral(page, pages: Pages, button: str, status: str, name: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator(".lead .status")).to_have_text(status)
    pages.check(name)


def test_advisor_partner_and_reminder_follow_through(context, live_server, artifacts):
    if not STORY:
        pytest.skip("journey (c) follows the referrals of journey (b), which did not run")
    page = context.new_page()
    pages = Pages(page, "c-suivi", artifacts)
    name = f"{PERSON['given']} {PERSON['family']}"
    pasi, mtess = STORY["referrals"]["pasi"], STORY["referrals"]["mtess"]

    # The advisor of the region approves both referrals from the review queue.
    sign_in(page, "conseiller")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Références"
    ).click()
    expect(page.get_by_role("link", name=str(pasi), exact=True)).to_be_visible()
    pages.check("file-conseiller")
    for referral_id in (pasi, mtess):
        open_referral(page, referral_id)
        move_referral(page, pages, "Approuver", "Approuvée", f"approuvee-{referral_id}")

    # Signed out, the back button does not bring the referral (and the person's name) back.
    sign_out(page)
    page.go_back()
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(page.get_by_text(name)).to_have_count(0)
    assert "/connexion" in page.url
    pages.check("retour-apres-deconnexion")

    # The agent sends both: consent is in force for each purpose.
    sign_in(page, "agente")
    for referral_id in (pasi, mtess):
        open_referral(page, referral_id)
        move_referral(page, pages, "Envoyer à l'organisme", "Envoyée", f"envoyee-{referral_id}")

    # The agent attaches the person's diploma (scanned by clamd) and shares it with PROMIS.
    page.goto(f"/dossiers/{STORY['case_id']}")
    page.locator("#documents").get_by_role("link", name="Joindre un document").click()
    page.get_by_role("button", name="Joindre", exact=True).click()
    expect(page.locator(".error-message").first).to_be_visible()
    pages.check("document-erreurs")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "diplome-ingenieure.pdf", "mimeType": "application/pdf", "buffer": DIPLOMA}]
    )
    page.get_by_label("Type de document").select_option("diploma")
    page.get_by_label("Description").fill("Diplôme d'ingénieure civile, Université de Conakry")
    pages.check("joindre-document")
    page.get_by_role("button", name="Joindre", exact=True).click()
    expect(page.locator(".flash--success")).to_have_text("Document joint.")
    documents = page.locator("#documents")
    expect(documents.get_by_role("link", name="diplome-ingenieure.pdf", exact=True)).to_be_visible()
    pages.check("document-joint")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table scrolls in its box
    documents.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pages.check("document-joint-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    documents.get_by_role("link", name=re.compile("^Transmettre")).click()
    page.get_by_label("Référence").select_option(str(pasi))
    pages.check("transmettre-document")
    page.get_by_role("button", name="Transmettre le document").click()
    expect(page.locator(".flash--success")).to_contain_text("Document transmis à PROMIS")
    sign_out(page)

    # The partner organisation (PROMIS) accepts, downloads the diploma, then completes.
    sign_in(page, "partenaire")
    open_referral(page, pasi)
    expect(page.get_by_text(name)).to_be_visible()
    move_referral(page, pages, "Accepter", "Acceptée", "partenaire-acceptee")
    with page.expect_download() as downloading:
        page.locator("#documents").get_by_role(
            "link", name="diplome-ingenieure.pdf", exact=True
        ).click()
    assert Path(downloading.value.path()).read_bytes() == DIPLOMA
    move_referral(page, pages, "Marquer comme réalisée", "Réalisée", "partenaire-realisee")
    sign_out(page)

    # The scheduler's reconciler runs; the agent's reminder for the plan action due today
    # appears in « Aujourd'hui » and is handled.
    from casework.reminders.operations import materialise

    live_server.run(materialise)
    sign_in(page, "agente")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Rappels")
    ).click()
    row = (
        page.locator("tbody tr")
        .filter(has_text=STORY["number"])
        .filter(has_text="Action du plan à échéance")
    )
    expect(row).to_have_count(1)
    pages.check("rappels")
    row.get_by_role("button", name=re.compile("^Marquer comme traité")).click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(row).to_have_count(0)
    page.get_by_role("link", name=re.compile("^Traités")).click()
    expect(
        page.locator("tbody tr")
        .filter(has_text=STORY["number"])
        .filter(has_text="Action du plan à échéance")
    ).to_have_count(1)
    pages.check("rappels-traites")
    pages.assert_accessible()


# --- (d) The second factor -------------------------------------------------------------------


def test_supervisor_sets_up_a_second_factor_and_signs_in_with_it(browser, live_server, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    pages = Pages(page, "d-deuxieme-facteur", artifacts)

    def password_step() -> None:
        page.goto("/connexion")
        page.get_by_label("Nom d'utilisateur").fill("superviseur")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()

    # A supervisor must have a second factor: the first sign-in sets it up.
    password_step()
    expect(page.get_by_role("heading", level=1)).to_have_text("Configurer le deuxième facteur")
    expect(page.get_by_role("img", name=re.compile("Code QR"))).to_be_visible()
    pages.check("configuration")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pages.check("configuration-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Code affiché par l'application").fill("000000")
    page.get_by_role("button", name="Activer").click()
    expect(page.locator(".error-message")).to_contain_text("pas valide")
    pages.check("configuration-erreur")
    TOTP_SECRETS["superviseur"] = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code affiché par l'application").fill(totp_code("superviseur"))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de récupération")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    pages.check("codes-de-recuperation")
    page.get_by_role("link", name="J'ai conservé mes codes — continuer").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    sign_out(page)

    # Next time: the password, then a code from the application.
    password_step()
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de sécurité")
    pages.check("code")
    page.get_by_label("Code de sécurité").fill(totp_code("superviseur"))
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.goto("/compte/deuxieme-facteur")
    expect(page.get_by_text("Actif depuis")).to_be_visible()
    pages.check("compte-deuxieme-facteur")
    pages.assert_accessible()
    context.close()
