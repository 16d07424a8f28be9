"""Forms that help, in Chromium: the error summary takes the focus and its links reach the
fields; the language list is searched and ticked with the keyboard alone (the application's
Content-Security-Policy kept: static/js/forms.js is a local file); axe finds nothing serious."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Pages, new_context, sign_in


def _focused(page) -> str:
    return page.evaluate(
        "() => (document.activeElement.id || '') + '|' + document.activeElement.className"
    )


def _top(page, selector: str) -> float:
    """Where the element is on the page (not in the window, which Tab may scroll)."""
    return page.evaluate(
        "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY", selector
    )


def test_an_empty_new_case_form_gives_a_focused_error_summary(browser, live_server, artifacts):
    context = new_context(browser, live_server)
    page = context.new_page()
    pages = Pages(page, "f-resume-erreurs", artifacts)
    sign_in(page, "agente")
    page.goto("/dossiers/nouveau")
    pages.check("formulaire-vide")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="Il y a un problème")).to_be_visible()
    assert page.title().startswith("Erreur :")
    # The summary has the focus, so a screen reader reads it first.
    assert "error-summary" in _focused(page)
    links = summary.get_by_role("link")
    expect(links).to_have_count(4)  # given names, family name, category, origin
    expect(links.first).to_have_text("Prénoms : Ce champ est obligatoire.")
    pages.check("resume-erreurs")
    # Each link takes the focus to its field.
    summary.get_by_role("link", name="Nom de famille : Ce champ est obligatoire.").click()
    assert _focused(page).startswith("family_name|")
    summary.get_by_role("link", name="Catégorie d'immigration", exact=False).click()
    assert _focused(page).startswith("immigration_category|")
    # Bad formats are named in the summary too, with what is expected.
    page.get_by_label("Prénoms").fill("Nour")
    page.get_by_label("Nom de famille").fill("Haddad")
    phone = page.get_by_label("Téléphone", exact=True)
    phone.fill("abc")
    expect(page.locator("#phone-live")).not_to_be_visible()  # not while typing
    below = page.evaluate("() => document.querySelector('main form').scrollHeight")
    at = _top(page, "#phone")
    page.keyboard.press("Tab")  # leaving the field shows its hint (forms.js)
    expect(page.locator("#phone-live")).to_be_visible()
    expect(page.locator("#phone-live")).to_contain_text("514 555-0123")
    # In the hint's place: nothing on the page moves (no layout shift on blur).
    assert _top(page, "#phone") == at
    assert page.evaluate("() => document.querySelector('main form').scrollHeight") == below
    assert "phone-live" in (phone.get_attribute("aria-describedby") or "")
    page.locator("details.more-fields > summary").first.click()  # the seldom-known fields
    page.get_by_label("Code postal").fill("12345")
    page.get_by_label("Code postal").blur()
    # While typing, the same hint as the server's (forms.js), before anything is sent.
    expect(page.locator("#postal_code-live")).to_be_visible()
    expect(page.locator("#postal_code-live")).to_have_text(
        "Entrez un code postal canadien, par exemple H2X 1Y4."
    )
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(
        "Téléphone : Entrez un numéro de téléphone avec son indicatif régional, "
        "par exemple 514 555-0123."
    )
    expect(summary).to_contain_text("Code postal : Entrez un code postal canadien")
    expect(page.get_by_label("Prénoms")).to_have_value("Nour")  # what was typed is kept
    pages.check("formats")
    pages.assert_accessible()
    context.close()


def test_the_language_list_with_the_keyboard_only(browser, live_server, artifacts):
    context = new_context(browser, live_server, axe=False)  # the CSP stays on
    page = context.new_page()
    pages = Pages(page, "f-liste-langues-clavier", artifacts, axe=False)
    sign_in(page, "agente")
    page.goto("/dossiers/nouveau")
    languages = page.get_by_role("group", name="Langues parlées")
    search = languages.get_by_label("Chercher dans la liste")
    expect(search).to_be_visible()  # shown by forms.js: the CSP let it run
    # The most frequent come first, ticked by Space; Klingon is not offered.
    expect(languages.get_by_role("checkbox").first).to_have_accessible_name("français")
    assert languages.get_by_role("checkbox", name="klingon").count() == 0
    # From the control before (the citizenships' « whole list »), Tab reaches the search box.
    page.locator("#citizenships-options summary").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#languages_spoken-search")).to_be_focused()
    page.keyboard.type("ukr")
    expect(page.locator("#languages_spoken-count")).to_contain_text("1 résultat")
    page.keyboard.press("ArrowDown")
    expect(languages.get_by_role("checkbox", name="ukrainien")).to_be_focused()
    page.keyboard.press("Space")
    expect(languages.get_by_role("checkbox", name="ukrainien")).to_be_checked()
    # A language of the whole list: the search opens it.
    page.keyboard.press("ArrowUp")
    expect(page.locator("#languages_spoken-search")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("swahili")
    page.keyboard.press("Enter")  # to the first match, without sending the form
    expect(languages.get_by_role("checkbox", name="swahili")).to_be_focused()
    page.keyboard.press("Space")
    pages.check("langues-cochees")
    page.keyboard.press("Escape")
    # Sent with the required fields missing, the page comes back with both still ticked.
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state("load")
    languages = page.get_by_role("group", name="Langues parlées")
    expect(languages.get_by_role("checkbox", name="ukrainien")).to_be_checked()
    expect(languages.get_by_role("checkbox", name="swahili")).to_be_checked()
    pages.check("langues-gardees")
    context.close()


def test_a_file_over_the_limit_is_named_when_chosen_and_not_sent(browser, live_server, artifacts):
    """A 2 GB scan would cross the network before the server's 413: forms.js names it as soon as
    it is chosen and keeps the form from sending it; a file within the limit then goes through."""
    from sqlalchemy import func, select

    from casework.attachments.models import Attachment
    from casework.extensions import db
    from tests import helpers
    from tests.attachments import samples

    case = live_server.run(helpers.create_case, live_server.data["users"]["agente"])
    config = live_server.app.config
    limit, config["ATTACHMENT_MAX_BYTES"] = config["ATTACHMENT_MAX_BYTES"], 1024 * 1024
    posted = []
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        pages = Pages(page, "g-document-trop-gros", artifacts)
        sign_in(page, "agente")
        page.goto(f"/dossiers/{case.id}/documents/nouveau")
        page.on("request", lambda request: posted.append(request.method == "POST"))
        file = page.get_by_label("Fichier")
        big = samples.pdf() + bytes(1024 * 1024)
        file.set_input_files(
            files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big}]
        )
        error = page.locator("#file-size-error")
        expect(error).to_be_visible()
        expect(error).to_have_text(
            "Le fichier dépasse 1 Mo. Envoyez un fichier plus petit (une numérisation en plus "
            "basse résolution, ou un document à la fois)."
        )
        assert file.get_attribute("aria-invalid") == "true"
        assert "file-size-error" in file.get_attribute("aria-describedby")
        pages.check("fichier-trop-gros")
        page.get_by_label("Type de document").select_option("diploma")
        page.get_by_label("Description").fill("Diplôme numérisé")
        page.get_by_role("button", name="Joindre", exact=True).click()
        page.wait_for_timeout(300)
        assert not any(posted)  # nothing was sent
        assert _focused(page).startswith("file|")
        # A smaller file clears the message, and the form goes.
        small = [{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()}]
        file.set_input_files(files=small)
        expect(error).to_be_hidden()
        page.get_by_role("button", name="Joindre", exact=True).click()
        expect(page.locator(".flash--success")).to_have_text("Document joint.")
        pages.assert_accessible()
    finally:
        config["ATTACHMENT_MAX_BYTES"] = limit
        context.close()

    def count():
        return db.session.scalar(
            select(func.count(Attachment.id)).where(Attachment.case_id == case.id)
        )

    assert live_server.run(count) == 1
