"""Bad input on the caseload (issue 9): empty, one-letter and 1,000-character searches, page
numbers beyond the end, and the limited count of long lists."""

import time

from casework.auth.models import User
from casework.cases import operations
from casework.cases.models import Case
from casework.core.pagination import paginate
from casework.extensions import db
from tests import helpers
from tests.cases.test_caseload import listed, search


def _two_cases(login, make_case):
    agent = login(role="agent")
    helene = make_case(agent, given_names="Hélène", family_name="Côté")
    oksana = make_case(agent, given_names="Oksana", family_name="Kovalenko")
    return agent, helene, oksana


def test_an_empty_search_lists_the_whole_caseload(client, login, make_case):
    _agent, helene, oksana = _two_cases(login, make_case)
    search(client, "helene")
    page = search(client, "")
    assert listed(page, helene) and listed(page, oksana)


def test_a_one_letter_search_asks_for_more_and_changes_nothing(client, login, make_case):
    """Issue 16: one character (which would match most of a region's cases) is not searched:
    the page says why, and the previous search stands (issue 9 ran it as a prefix search)."""
    _agent, helene, oksana = _two_cases(login, make_case)
    search(client, "helene")
    for query in ("h", "É", " 7 "):
        page = search(client, query)
        assert "Tapez au moins deux lettres ou chiffres." in page, query
        assert listed(page, helene) and not listed(page, oksana)


def test_a_punctuation_only_search_says_there_is_nothing_to_search(client, login, make_case):
    _agent, helene, oksana = _two_cases(login, make_case)
    page = search(client, "?!.,;:-'\"()")
    assert "Rien à chercher" in page
    assert listed(page, helene) and listed(page, oksana)


def test_a_1000_character_search_is_refused_with_a_message_and_changes_nothing(
    client, login, make_case
):
    _agent, helene, oksana = _two_cases(login, make_case)
    search(client, "helene")
    response = helpers.post_form(
        client, "/dossiers/recherche", {"q": "hélène " * 143}, token_from="/dossiers/"
    )
    assert response.status_code == 302
    page = client.get("/dossiers/").text
    assert "100" in page  # « at most 100 characters »
    assert listed(page, helene) and not listed(page, oksana)  # the previous search stands


def test_a_1000_character_query_costs_at_most_eight_terms(client, login, make_case, app):
    agent, helene, _oksana = _two_cases(login, make_case)
    with app.app_context():
        user = db.session.get(User, agent.id)
        for query in ("a" * 1000, "hélène " * 143, "5" * 1000, "-" * 1000):
            started = time.perf_counter()
            statement = operations.caseload(user, operations.CaseloadFilters(query=query))
            page = paginate(statement, 1)
            assert time.perf_counter() - started < 1.0
            assert (helene.id in [case.id for case in page.items]) is query.startswith("hél")


def test_a_page_beyond_the_end_is_empty_not_an_error(client, login, make_case):
    _agent, helene, _oksana = _two_cases(login, make_case)
    for path in (
        "/dossiers/?page=2",
        "/dossiers/?page=99999",
        "/dossiers/?page=99999999999999999999",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not listed(response.text, helene)
    assert listed(client.get("/dossiers/?page=1").text, helene)


def test_a_page_beyond_the_end_of_the_referral_queue_is_empty(client, login):
    login(role="advisor")
    assert client.get("/references/?page=5000").status_code == 200


def test_a_page_beyond_the_end_of_the_administrators_lists_is_empty(client, login):
    login(role="admin")
    assert client.get("/admin/utilisateurs/?page=5000").status_code == 200
    assert client.get("/admin/journal/?page=5000").status_code == 200


def test_long_lists_are_counted_up_to_a_limit(ctx, make_user):
    agent = make_user(role="agent")
    for number in range(7):
        helpers.create_case(agent.id, given_names=f"Personne{number}")
    statement = operations.caseload(db.session.get(User, agent.id), operations.CaseloadFilters())
    first = paginate(statement, 1, per_page=2, count_limit=3)
    assert (first.total, first.total_exact, first.has_next, len(first.items)) == (3, False, True, 2)
    assert first.pages >= 2
    last = paginate(statement, 4, per_page=2, count_limit=3)
    assert (len(last.items), last.has_next, last.first_index, last.last_index) == (1, False, 7, 7)
    beyond = paginate(statement, 5, per_page=2, count_limit=3)
    assert (beyond.items, beyond.has_next, beyond.first_index) == ([], False, 0)
    exact = paginate(statement, 1, per_page=2, count_limit=100)
    assert (exact.total, exact.total_exact, exact.pages) == (7, True, 4)
    assert db.session.query(Case).count() >= 7
