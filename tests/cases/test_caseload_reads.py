"""What the caseload page reads, and what it keeps from one request to the next (issue 23): the
list's count taken from the per-status counts it shows, the transfers awaiting an answer read
with the session, the domains' list kept per revision of the reference data, and the filter
bar rendered once for the values chosen."""

import re

import pytest
from sqlalchemy import event, select, update

from casework.auth.models import User
from casework.cases import operations
from casework.cases.caseload import _count_from_statuses
from casework.cases.models import Case
from casework.core.pagination import COUNT_LIMIT, paginate
from casework.extensions import db
from casework.reference.models import Domain
from tests import helpers


def _statements(app, client, path="/dossiers/"):
    """The SQL statements of one request."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return response.text, seen


def _counts(statements: list[str]) -> list[str]:
    """The statements that count, but the session's lookup (its figures are counts)."""
    return [s for s in statements if "count(" in s.lower() and "FROM user_sessions" not in s]


def test_the_list_s_count_is_the_status_counts_when_only_the_status_narrows_it(
    app, make_user, make_case
):
    agent = make_user(role="agent")
    supervisor = make_user(role="supervisor")
    made = [make_case(agent) for _ in range(30)]
    with app.app_context():
        for record, status in zip(made, ["active"] * 12 + ["closed"] * 5, strict=False):
            db.session.execute(update(Case).where(Case.id == record.id).values(status=status))
        db.session.commit()
        for reader_id in (agent.id, supervisor.id):
            reader = db.session.get(User, reader_id)
            counts = operations.status_counts(reader)
            assert sum(counts.values()) == 30
            for status in ("", "open", "closed", "active", "new", "on_hold"):
                filters = operations.CaseloadFilters(status=status, sort="name")
                for number in (1, 2, 3, 99999):
                    page = operations.caseload_page(reader, filters, number, counts)
                    counted = paginate(
                        operations.caseload(reader, filters, ids_only=True),
                        number,
                        count_statement=operations.caseload(reader, filters, for_count=True),
                    )
                    assert [row.id for row in page.items] == counted.items, (status, number)
                    assert (page.total, page.total_exact, page.more, page.pages) == (
                        counted.total,
                        counted.total_exact,
                        counted.more,
                        counted.pages,
                    ), (status, number)


def test_a_status_past_the_limit_makes_the_list_s_count_a_lower_bound():
    many = {"new": COUNT_LIMIT + 1, "active": 2, "closed": 7}
    assert _count_from_statuses(operations.CaseloadFilters(), many) == COUNT_LIMIT + 10
    assert _count_from_statuses(operations.CaseloadFilters(status="open"), many) == COUNT_LIMIT + 3
    assert _count_from_statuses(operations.CaseloadFilters(status="closed"), many) == 7
    assert _count_from_statuses(operations.CaseloadFilters(status="on_hold"), many) == 0
    # Any other filter narrows the list in a way the status counts do not say: it is counted.
    for narrowed in (
        operations.CaseloadFilters(priority="urgent"),
        operations.CaseloadFilters(overdue=True),
        operations.CaseloadFilters(domain="employment"),
        operations.CaseloadFilters(query="tremblay"),
        operations.CaseloadFilters(agent_id=3),
        operations.CaseloadFilters(region_id=6),
    ):
        assert _count_from_statuses(narrowed, many) is None, narrowed
    assert _count_from_statuses(operations.CaseloadFilters(), None) is None


def test_the_default_list_counts_nothing_twice(app, client, login, make_user, make_case):
    agent = login(role="agent")
    giver = make_user(role="agent")
    for _ in range(3):
        make_case(agent)
    html, statements = _statements(app, client)
    counts = _counts(statements)
    # The per-status counts, once; no count of the list, no count of the transfers of its own.
    assert len(counts) == 1 and "UNION ALL" in counts[0], counts
    assert not any(s.lstrip().upper().startswith("SELECT COUNT") for s in statements)
    assert "transfert" not in html.lower()
    # A transfer to this agent: the banner says so, from the session's own query.
    case = make_case(giver)
    with app.app_context():
        operations.request_transfer(
            db.session.get(User, giver.id),
            db.session.get(Case, case.id),
            db.session.get(User, agent.id),
            "Déménagement",
        )
        db.session.commit()
    html, statements = _statements(app, client)
    assert "1 transfert attend votre réponse" in html
    assert len(_counts(statements)) == 1
    session_query = next(s for s in statements if "FROM user_sessions" in s)
    assert "case_transfers" in session_query


def test_the_domain_filter_follows_a_change_of_the_domains(app, client, login):
    login(role="agent")
    page = client.get("/dossiers/").text
    assert ">Emploi</option>" in page
    with app.app_context():
        domain = db.session.scalar(select(Domain).where(Domain.code == "employment"))
        domain.name = "Emploi et stages"
        db.session.commit()
    page = client.get("/dossiers/").text
    assert ">Emploi et stages</option>" in page and ">Emploi</option>" not in page


def _filter_bar(page: str) -> str:
    return re.search(r'<form class="filters" method="get">.*?</form>', page, re.S).group(0)


def test_the_filter_bar_shows_each_reader_s_choices(app, client, login, make_user):
    login(role="agent")
    other = app.test_client()
    second = make_user(role="agent")
    helpers.login(other, second.username, second.password)
    first_bar = _filter_bar(client.get("/dossiers/?status=closed&sort=name").text)
    assert '<option selected value="closed">' in first_bar
    assert '<option selected value="name">' in first_bar
    # The same choices, another reader: the same bar; other choices: their own.
    assert _filter_bar(other.get("/dossiers/?status=closed&sort=name").text) == first_bar
    other_bar = _filter_bar(other.get("/dossiers/?priority=urgent&overdue=y").text)
    assert '<option selected value="urgent">' in other_bar
    assert '<input checked id="overdue"' in other_bar
    assert '<option selected value="closed">' not in other_bar
    # A value outside the list is refused with its message (the error summary), every time.
    for _ in range(2):
        wrong = client.get("/dossiers/?status=nimporte")
        assert wrong.status_code == 200
        assert "Choisissez une des options de la liste." in wrong.text
        assert 'selected value="nimporte"' not in _filter_bar(wrong.text)
    assert "Choisissez une des options" not in client.get("/dossiers/").text


def test_the_filter_bar_is_in_the_reader_s_language(app, client, login):
    login(role="agent")
    french = _filter_bar(client.get("/dossiers/").text)
    assert "Filtrer" in french
    helpers.post_form(client, "/langue", {"locale": "en"}, token_from="/dossiers/")
    english = _filter_bar(client.get("/dossiers/").text)
    assert "Filter" in english and "Filtrer" not in english


def test_the_session_lookup_writes_pending_into_its_sql(app):
    """A value bound against the column of a partial index (the pending transfers') makes SQLite
    prepare the statement again on every execution: the session lookup, run on every request,
    writes « pending » into its SQL."""
    from casework.auth import sessions

    with app.app_context():
        statement = sessions._session_and_user(tuple(sessions.SESSION_FIGURES))
        sql = str(statement.compile(db.engine))
    assert "case_transfers.status = 'pending'" in sql


def test_each_status_count_links_to_its_cases(app, client, login, make_case):
    agent = login(role="agent")
    for _ in range(2):
        make_case(agent)
    page = client.get("/dossiers/").text
    lead = re.search(r'<p class="lead">(.*?)</p>', page, re.S).group(1)
    assert '<a href="/dossiers/?status=new">Nouveau : 2</a>' in lead
    assert "Fermé : 0" in lead and "?status=closed" not in lead  # nothing to list
    listed = client.get("/dossiers/?status=new").text
    assert '<option selected value="new">' in listed and "1–2 sur 2" in listed


def test_only_code_words_are_written_into_the_sql():
    from casework.core.db import written_in_sql

    assert str(written_in_sql("pending")) == "'pending'"
    for unsafe in ("it's", "pending'; --", "", "en attente"):
        with pytest.raises(ValueError):
            written_in_sql(unsafe)


def _province_counts(statements: list[str]) -> list[str]:
    """The statements that count a search's matches in the whole province (``search.breadth``)."""
    return [sql for sql in statements if "count(*)" in sql and "case_search" in sql]


def test_a_kept_search_counts_its_matches_on_its_first_listing_only(app, client, login, make_case):
    """Not in the search's POST (on SQLite it holds the write lock), and not again on each
    listing of its results."""
    from tests.cases.test_caseload import search

    agent = login(role="agent")
    case = make_case(agent, family_name="Tremblay")
    helpers.post_form(client, "/dossiers/recherche", {"q": "tremb"}, token_from="/dossiers/")
    with client.session_transaction() as kept:
        assert "case_search_breadth" not in kept
    page, statements = _statements(app, client)
    assert f'href="/dossiers/{case.id}"' in page and len(_province_counts(statements)) == 1
    with client.session_transaction() as kept:
        assert kept["case_search_breadth"] == "narrow"
    for path in ("/dossiers/", "/dossiers/?page=1", "/dossiers/?sort=name"):
        page, statements = _statements(app, client, path)
        assert f'href="/dossiers/{case.id}"' in page
        assert _province_counts(statements) == [], path
    search(client, "zzzz")  # a new search is counted anew, and finds nothing
    assert f'href="/dossiers/{case.id}"' not in client.get("/dossiers/").text
    helpers.post_form(client, "/dossiers/recherche", {"clear": "1"}, token_from="/dossiers/")
    with client.session_transaction() as kept:
        assert "case_search_breadth" not in kept and "case_search" not in kept


@pytest.mark.parametrize(
    ("query", "kept_value", "counted"),
    [("tremb", "bogus", "narrow"), ("tremb", "none", "narrow"), ("!!!", "narrow", "none")],
)
def test_a_kept_breadth_that_cannot_be_the_search_s_is_counted_again(
    app, client, login, make_user, make_case, query, kept_value, counted
):
    """A session from another version of the code, or a value the code does not know: the
    listing counts the matches again, keeps that count, and shows what the search finds (a
    regional reader, whose narrow search reads its matches on PostgreSQL)."""
    login(role="supervisor", region="06")
    case = make_case(make_user(role="agent", region="06"), family_name="Tremblay")
    with client.session_transaction() as kept:
        kept["case_search"] = query
        kept["case_search_breadth"] = kept_value
    page, _statements_read = _statements(app, client)
    assert (f'href="/dossiers/{case.id}"' in page) == (query == "tremb")
    with client.session_transaction() as kept:
        assert kept["case_search_breadth"] == counted
