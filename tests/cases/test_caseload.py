"""Caseload filters, accent-insensitive search and bounded queries."""

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from casework.cases.models import Case
from casework.extensions import db
from tests import helpers


def search(client, query: str) -> str:
    """Search as the page does (POST, then the caseload); returns the caseload page."""
    response = helpers.post_form(
        client, "/dossiers/recherche", {"q": query}, token_from="/dossiers/"
    )
    assert response.status_code == 302 and "q=" not in response.headers["Location"]
    return client.get("/dossiers/").text


def listed(page: str, case) -> bool:
    return f'href="/dossiers/{case.id}"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("helene", True),
        ("HÉLÈNE", True),
        ("hel", True),
        ("cote", True),
        ("Côté Hélène", True),
        ("514-555-0123", True),
        ("5550123", True),
        ("helene.cote@exemple", True),
        ("zzzz", False),
    ],
)
def test_accent_insensitive_search(client, login, make_case, query, expected):
    agent = login(role="agent")
    case = make_case(
        agent,
        given_names="Hélène",
        family_name="Côté",
        phone="(514) 555-0123",
        email="helene.cote@exemple.ca",
    )
    make_case(agent, given_names="Oksana", family_name="Kovalenko")
    page = search(client, query)
    assert listed(page, case) is expected
    assert "Kovalenko" not in page


def test_letters_without_decomposition_are_folded(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent, given_names="Văn Đức", family_name="Đặng")
    other = make_case(agent, given_names="Şule", family_name="Yılmaz")
    assert listed(search(client, "duc dang"), case)
    assert listed(search(client, "yilmaz"), other)


def test_names_in_other_scripts_are_searchable(client, login, make_case):
    agent = login(role="agent")
    cyrillic = make_case(agent, given_names="Мария", family_name="Иванова")
    arabic = make_case(agent, given_names="محمد", family_name="عبد الله")
    chinese = make_case(agent, given_names="秀英", family_name="王")
    assert listed(search(client, "иванова"), cyrillic)
    assert listed(search(client, "ИВАНОВА"), cyrillic)
    page = search(client, "محمد")
    assert listed(page, arabic) and not listed(page, cyrillic)
    assert listed(search(client, "王"), chinese)


def test_clearing_the_search_lists_everything_again(client, login, make_case):
    agent = login(role="agent")
    first, second = make_case(agent, family_name="Alpha"), make_case(agent, family_name="Beta")
    assert not listed(search(client, "alpha"), second)
    helpers.post_form(
        client, "/dossiers/recherche", {"q": "alpha", "clear": "1"}, token_from="/dossiers/"
    )
    page = client.get("/dossiers/").text
    assert listed(page, first) and listed(page, second)


def test_search_and_listing_are_audited_without_the_terms(app, client, login, make_case):
    from sqlalchemy import select

    from casework.core.audit import AuditEvent

    agent = login(role="agent")
    case = make_case(agent, family_name="Tremblay")
    search(client, "tremblay")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cases.searched")
        ).one()
    assert event.details["case_ids"] == [case.id]
    assert "tremblay" not in str(event.details).lower()


def test_search_by_case_number(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    other = make_case(agent)
    page = search(client, case.number)
    assert listed(page, case) and not listed(page, other)


def test_search_never_reaches_cases_outside_scope(client, login, make_user, make_case):
    login(role="agent", region="06")
    stranger = make_user(role="agent", region="06")
    make_case(stranger, given_names="Hélène", family_name="Secrète")
    assert "Secrète" not in search(client, "secrete")


def test_filters_status_priority_overdue(app, client, login, make_case):
    agent = login(role="agent")
    overdue, future, urgent = make_case(agent), make_case(agent), make_case(agent)
    with app.app_context():
        db.session.execute(
            update(Case)
            .where(Case.id == overdue.id)
            .values(next_follow_up_on=date.today() - timedelta(days=3), status="active")
        )
        db.session.execute(
            update(Case)
            .where(Case.id == future.id)
            .values(next_follow_up_on=date.today() + timedelta(days=30))
        )
        db.session.execute(update(Case).where(Case.id == urgent.id).values(priority="urgent"))
        db.session.commit()
    page = client.get("/dossiers/?overdue=y").text
    assert overdue.number in page and future.number not in page and urgent.number not in page
    page = client.get("/dossiers/?priority=urgent").text
    assert urgent.number in page and overdue.number not in page
    page = client.get("/dossiers/?status=active").text
    assert overdue.number in page and future.number not in page


def test_supervisor_sees_the_region_with_the_agent_column(client, login, make_user, make_case):
    supervisor = login(role="supervisor", region="06")
    agent = make_user(role="agent", region="06")
    elsewhere = make_user(role="agent", region="05")
    case, other = make_case(agent), make_case(elsewhere)
    page = client.get(f"/dossiers/?region={supervisor.region_id}").text
    assert listed(page, case) and not listed(page, other)
    assert "Test Agent" in page  # the agent column of regional roles
    assert not listed(client.get("/dossiers/?region=5").text, other)


def test_a_directorates_caseload_is_its_regions_newest_first(
    app, client, login, make_user, make_case
):
    """DR-MCQ covers Mauricie (04) and Centre-du-Québec (17): its caseload walks every case in
    opening order (issue 23) and keeps its regions' only, with the filters still applied."""
    from datetime import datetime

    supervisor = login(role="supervisor", region="04")
    mauricie, centre = make_user(role="agent", region="04"), make_user(role="agent", region="17")
    estrie = make_user(role="agent", region="05")
    older, newer, outside = make_case(mauricie), make_case(centre), make_case(estrie)
    urgent = make_case(centre)
    with app.app_context():
        for record, day in ((older, 1), (newer, 3), (outside, 4), (urgent, 2)):
            db.session.execute(
                update(Case).where(Case.id == record.id).values(opened_at=datetime(2026, 5, day))
            )
        db.session.execute(update(Case).where(Case.id == urgent.id).values(priority="urgent"))
        db.session.commit()
    page = client.get("/dossiers/").text
    assert not listed(page, outside)
    positions = [page.index(f'href="/dossiers/{c.id}"') for c in (newer, urgent, older)]
    assert positions == sorted(positions)
    page = client.get("/dossiers/?priority=urgent").text
    assert listed(page, urgent) and not listed(page, newer) and not listed(page, outside)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy import text

            from casework.auth.models import User
            from casework.cases import operations

            reader = db.session.get(User, supervisor.id)
            statement = operations.caseload(reader, operations.CaseloadFilters(), ids_only=True)
            compiled = statement.limit(26).compile(
                db.engine, compile_kwargs={"literal_binds": True}
            )
            plan = " ".join(
                row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
            assert "ix_cases_opened" in plan and "TEMP B-TREE" not in plan, plan


def test_priority_sort_puts_urgent_first(app, client, login, make_case):
    agent = login(role="agent")
    normal, urgent, high = make_case(agent), make_case(agent), make_case(agent)
    with app.app_context():
        db.session.execute(update(Case).where(Case.id == urgent.id).values(priority="urgent"))
        db.session.execute(update(Case).where(Case.id == high.id).values(priority="high"))
        db.session.commit()
    page = client.get("/dossiers/?sort=priority").text
    positions = [page.index(f'href="/dossiers/{c.id}"') for c in (urgent, high, normal)]
    assert positions == sorted(positions)


def test_name_sort_and_pages_keep_the_order_of_the_sort(app, client, login, make_case):
    """The page sorts ids, then reads its cases: they must come back in the sort's order."""
    agent = login(role="agent")
    names = ["Zola", "Martin", "Abadie"] + [f"Nom{i:02d}" for i in range(25)]
    made = {name: make_case(agent, family_name=name) for name in names}
    first = client.get("/dossiers/?sort=name").text
    second = client.get("/dossiers/?sort=name&page=2").text
    positions = [first.index(f'href="/dossiers/{made[n].id}"') for n in ("Abadie", "Martin")]
    assert positions == sorted(positions) and f'href="/dossiers/{made["Zola"].id}"' not in first
    assert f'href="/dossiers/{made["Zola"].id}"' in second  # the last name, on the second page


@pytest.mark.parametrize("role", ["agent", "supervisor", "advisor"])
def test_bad_filter_values_are_harmless(client, login, role):
    login(role=role)
    for query in (
        "region=%C2%B2",
        "region=" + "9" * 25,
        "status=pirate",
        "sort=evil",
        "page=-1",
        "region=abc",
        "domain=nope",
    ):
        assert client.get(f"/dossiers/?{query}").status_code == 200, query


def _caseload_queries(client, count_queries, path="/dossiers/"):
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_caseload_and_case_page_use_a_bounded_number_of_queries(
    app, client, login, make_case, count_queries
):
    agent = login(role="agent")
    cases = [make_case(agent) for _ in range(3)]
    few_list = _caseload_queries(client, count_queries)
    few_page = _caseload_queries(client, count_queries, f"/dossiers/{cases[0].id}")
    for _ in range(25):
        cases.append(make_case(agent))
    _add_timeline_and_household(app, agent, cases[0].id)
    assert _caseload_queries(client, count_queries) == few_list
    assert _caseload_queries(client, count_queries, f"/dossiers/{cases[0].id}") == few_page
    # The case page: its own queries, one or two per summary card (next appointment, next
    # follow-up, plan, referrals) and section (needs, documents), one per timeline source; the
    # messages to the person add three (their list, the consents withdrawn, how to reach them);
    # the follow-ups one (every interview with what it recorded, read once for both the
    # situation section and the timeline's follow-ups).
    assert few_list <= 12 and few_page <= 26, (few_list, few_page)


def _add_timeline_and_household(app, agent, case_id):
    from datetime import datetime

    from casework.attachments.models import Attachment
    from casework.cases.models import HouseholdMember, Interaction

    with app.app_context():
        for index in range(15):
            db.session.add(
                Interaction(
                    case_id=case_id,
                    kind="note",
                    occurred_at=datetime(2026, 1, 1 + index),
                    summary="n",
                    author_id=agent.id,
                )
            )
            db.session.add(
                HouseholdMember(
                    case_id=case_id, relationship_to_person="child", given_names=f"Enfant {index}"
                )
            )
            db.session.add(
                Attachment(
                    case_id=case_id,
                    storage_key=f"{index:032x}",
                    original_name=f"document-{index}.pdf",
                    kind="pdf",
                    content_type="application/pdf",
                    size_bytes=1000,
                    sha256="0" * 64,
                    document_type="diploma",
                    uploaded_by_id=agent.id,
                    scan_status="clean",
                    deleted_at=datetime(2026, 2, 1) if index % 3 == 0 else None,
                    deleted_by_id=agent.id if index % 3 == 0 else None,
                )
            )
        # Follow-ups with a situation in several domains: the section and the timeline.
        from casework.cases.models import Case
        from casework.followups.models import FollowUp, FollowUpSituation

        region_id = db.session.get(Case, case_id).region_id
        for index in range(3):
            follow_up = FollowUp(
                case_id=case_id,
                held_on=datetime(2026, 3, 1 + index).date(),
                agent_id=agent.id,
                region_id=region_id,
            )
            for domain in ("housing", "employment", "residence"):
                follow_up.situations.append(
                    FollowUpSituation(
                        case_id=case_id,
                        domain=domain,
                        observed_on=follow_up.held_on,
                        housing_status="stable",
                        employment_status="studying",
                        region_id=region_id,
                        municipality=f"Ville {index}",
                    )
                )
            db.session.add(follow_up)
        db.session.commit()


def test_a_search_page_and_its_count_read_at_once_are_the_paginated_ones(app, make_user, make_case):
    """A search's ids are read once with their count (issue 23): the same pages, totals and
    « more » as a count and a page read apart, including past the end."""
    from casework.auth.models import User
    from casework.cases import operations
    from casework.core.pagination import paginate

    agent = make_user(role="agent")
    made = [make_case(agent, family_name="Tremblay") for _ in range(27)]
    make_case(agent, family_name="Kovalenko")
    with app.app_context():
        reader = db.session.get(User, agent.id)
        filters = operations.CaseloadFilters(query="tremblay")
        for number in (1, 2, 3, 40, 41, 99999):
            page = operations.caseload_page(reader, filters, number)
            expected = paginate(
                operations.caseload(reader, filters, ids_only=True),
                number,
                count_statement=operations.caseload(reader, filters, for_count=True),
            )
            assert [case.id for case in page.items] == expected.items, number
            assert (page.total, page.total_exact, page.more, page.pages) == (
                expected.total,
                expected.total_exact,
                expected.more,
                expected.pages,
            ), number
        first = operations.caseload_page(reader, filters, 1)
        assert first.total == 27 and first.more and len(first.items) == 25
        assert {case.id for case in first.items} <= {record.id for record in made}


def test_a_supervisor_s_narrow_search_reads_its_matches_once(
    app, client, login, make_user, make_case, count_queries
):
    """A region's narrow search is chosen among its matches: on PostgreSQL they are read once
    (counted and then listed before, issue 23) and passed as one array, the reader's scope still
    applied; SQLite probes its FTS5 index from the page's query. Their number was counted when
    the search was run (kept with it). Either way the page lists what the search finds in the
    reader's regions, and nothing of another directorate's."""
    login(role="supervisor", region="06")
    agent = make_user(role="agent", region="06")
    elsewhere = make_user(role="agent", region="05")
    found = [make_case(agent, family_name="Kovalenko") for _ in range(3)]
    other = make_case(agent, family_name="Tremblay")
    outside = make_case(elsewhere, family_name="Kovalenko")
    search(client, "kovalenko")
    with count_queries() as counter:
        page = client.get("/dossiers/").text
    assert all(listed(page, case) for case in found)
    assert not listed(page, other) and not listed(page, outside)
    reads = [statement for statement in counter.statements if "case_search" in statement]
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    assert len(reads) == 1, reads
    if postgresql:
        assert any("= ANY (" in statement for statement in counter.statements)
