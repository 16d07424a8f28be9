"""The layout's per-render shortcuts (issue 23): the navigation built once per role and locale,
the translations bound once per render, the page's reads counted."""

import re

from flask import render_template_string
from flask_babel import force_locale

from tests import helpers


def test_navigation_follows_the_role_the_locale_and_the_current_page(client, login):
    login(role="agent")
    page = client.get("/dossiers/").text
    assert '<a href="/dossiers/" aria-current="page">Dossiers</a>' in page
    assert 'href="/admin/utilisateurs/"' not in page  # not an agent's
    helpers.post_form(client, "/langue", {"locale": "en", "next": "/"})
    page = client.get("/").text
    assert '<a href="/" aria-current="page">Home</a>' in page
    assert '<a href="/dossiers/">Cases</a>' in page
    helpers.post_form(client, "/langue", {"locale": "fr_CA", "next": "/"})
    assert '<a href="/dossiers/">Dossiers</a>' in client.get("/").text


def test_navigation_of_another_role_is_its_own(client, login):
    login(role="admin")
    page = client.get("/admin/utilisateurs/").text
    assert 'href="/admin/utilisateurs/" aria-current="page"' in page
    assert 'href="/dossiers/"' not in page  # administrators read no case files


def test_template_translations_follow_a_forced_locale_and_format_like_jinjas(app):
    source = (
        "{{ _('Home') }}|{{ _('The search was not run. %(reason)s', reason='<b>') }}|"
        "{{ ngettext('%(num)d day ago', '%(num)d days ago', 3) }}"
    )
    with app.test_request_context("/"):
        french = render_template_string(source)
        with force_locale("en"):
            english = render_template_string(source)
    assert french == "Accueil|La recherche n'a pas été lancée. &lt;b&gt;|il y a 3 jours"
    assert english == "Home|The search was not run. &lt;b&gt;|3 days ago"


def test_the_lightest_signed_in_page_reads_once(client, login, count_queries):
    login(role="agent")
    client.get(
        "/compte/mot-de-passe"
    )  # the session's last_seen_at is written at most once a minute
    with count_queries() as counter:
        response = client.get("/compte/mot-de-passe")
    assert response.status_code == 200
    # The session, its user and the header's unread count, in one query (issue 23).
    reads = [sql for sql in counter.statements if sql.startswith("SELECT")]
    assert len(reads) == 1, counter.statements
    assert "notifications" in reads[0]


def test_the_kept_header_holds_nothing_of_its_reader(app, make_user, login):
    """The header's kept parts (core/fragments.py) are the same for two agents; each page still
    shows its own reader's name and carries its own session's token."""
    pages = []
    for _ in range(2):
        client = app.test_client()
        record = make_user(role="agent")
        helpers.login(client, record.username, record.password)
        page = client.get("/dossiers/").text
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        assert tokens == {meta}  # the search box's, the sign-out's and the language switch's
        assert f"Test {record.username.title()}" in page
        pages.append((record, meta, page))
    (first, first_token, _), (_, second_token, second_page) = pages
    assert first_token != second_token
    assert f"Test {first.username.title()}" not in second_page


def test_a_reader_who_must_change_their_password_gets_no_navigation(app, make_user):
    client = app.test_client()
    record = make_user(role="agent")
    helpers.login(client, record.username, record.password)
    assert 'class="site-nav"' in client.get("/compte/mot-de-passe").text
    other = app.test_client()
    forced = make_user(role="agent", must_change_password=True)
    helpers.login(other, forced.username, forced.password)
    page = other.get("/compte/mot-de-passe").text
    assert 'class="site-nav"' not in page and 'class="header-search"' not in page
