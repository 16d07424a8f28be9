"""The dashboard's « Time to service » and « No-shows » figures open the caseload of the cases
they count (the caseload's « counted in the dashboard » filter), scoped as the caseload always
is; the filter is in the caseload's form and kept from page to page."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from casework.appointments.models import Appointment, AppointmentType
from casework.cases.models import Case
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.messages.models import PersonMessage
from casework.reports import aggregates
from tests import helpers
from tests.reports.factories import add_activity
from tests.reports.test_dashboard import DASHBOARD, forget_snapshots
from tests.reports.test_dashboard_drilldown import FIGURE, listed


def appointment(case_id: int, days_ago: int, status: str, reminder: str | None = None) -> None:
    """An appointment of the case ``days_ago`` days ago, ended in ``status``; with the person's
    reminder of the day before in the state ``reminder`` (none when None)."""
    case = db.session.get(Case, case_id)
    kind = db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)).first()
    at = utcnow() - timedelta(days=days_ago)
    booked = Appointment(
        case_id=case.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        service_point_id=case.service_point_id,
        type_id=kind.id,
        mode="in_person",
        starts_at=at,
        ends_at=at + timedelta(hours=1),
        status=status,
        channel="agent",
        booked_by_id=case.agent_id,
    )
    db.session.add(booked)
    db.session.flush()
    if reminder is not None:
        db.session.add(
            PersonMessage(
                key=f"appointment:{booked.id}:reminder:1:email",
                case_id=case.id,
                appointment_id=booked.id,
                kind="reminder",
                channel="email",
                language="fr",
                message_id=f"<{booked.id}@test>",
                status=reminder,
                expires_at=at,
            )
        )
    # Written past the operations: the dashboard's aggregates recounted as the listeners would.
    aggregates.refresh_cases([case.id])
    db.session.commit()


def signed_in(app, make_user, role: str, region: str):
    """A second browser, signed in as a new user of ``role`` in ``region``."""
    browser = app.test_client()
    record = make_user(role=role, region=region)
    assert helpers.login(browser, record.username, record.password).status_code == 302
    return browser


def delays_rows(page: str) -> dict[str, list[tuple[str, str]]]:
    """Each « Time to service » row's linked figures: (href, value) of median, p90 and n."""
    section = page.split('id="delays-title"')[1].split("</section>")[0]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    return {
        unescape(label): FIGURE.findall(cells)
        for label, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', body, re.S)
    }


def no_show_rows(page: str) -> dict[str, list[tuple[str, str]]]:
    section = page.split('id="no-shows-title"')[1].split("</section>")[0]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    return {
        unescape(label): FIGURE.findall(cells)
        for label, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', body, re.S)
    }


@pytest.fixture
def delays_data(app, make_user):
    """Region 06: three people counted in both delays, one whose appointment came before the
    arrival (counted in neither), one with no plan (the first delay only); region 03: two."""
    with app.app_context():
        ours = make_user(role="agent", region="06")
        counted = [helpers.create_case(ours.id).id for _ in range(3)]
        for case_id in counted:
            add_activity(case_id)
        abroad = helpers.create_case(ours.id).id
        add_activity(abroad)
        db.session.get(Case, abroad).person.arrival_date = utc_to_local(
            utcnow() - timedelta(days=5)
        ).date()
        no_plan = helpers.create_case(ours.id).id
        db.session.get(Case, no_plan).person.arrival_date = utc_to_local(
            utcnow() - timedelta(days=40)
        ).date()
        db.session.commit()
        appointment(no_plan, 15, "done")
        theirs = make_user(role="agent", region="03")
        elsewhere = [helpers.create_case(theirs.id).id for _ in range(2)]
        for case_id in elsewhere:
            add_activity(case_id)
        forget_snapshots()
    return {
        "first": {*counted, no_plan},
        "plan": {*counted, abroad},
        "elsewhere": elsewhere,
        "agent": ours,
    }


def test_each_delay_opens_the_people_it_counts(client, login, delays_data):
    login(role="supervisor", region="06")
    rows = delays_rows(client.get(DASHBOARD).text)
    first = rows["De l'arrivée au premier rendez-vous tenu"]
    plan = rows["Du premier rendez-vous tenu à un plan finalisé"]
    for figures, expected in ((first, delays_data["first"]), (plan, delays_data["plan"])):
        (median_href, _m), (p90_href, _p), (n_href, n) = figures
        assert median_href == p90_href == n_href  # the median's cases are the ones counted
        assert "cohort=" in n_href and "start=" in n_href and "end=" in n_href
        shown = listed(client, n_href)
        assert len(shown) == int(n) == len(expected)
        assert shown == {str(i) for i in expected}


def test_a_delays_list_never_shows_another_regions_cases(
    app, client, login, make_user, delays_data
):
    login(role="supervisor", region="06")
    rows = delays_rows(client.get(DASHBOARD).text)
    href = rows["De l'arrivée au premier rendez-vous tenu"][2][0]
    elsewhere = {str(i) for i in delays_data["elsewhere"]}
    ours = {str(i) for i in delays_data["first"]}
    # Their supervisor sees their own two through the same link, never ours.
    shown = listed(signed_in(app, make_user, "supervisor", "03"), href)
    assert shown == elsewhere and not shown & ours
    # An agent of region 06 who holds none of them sees none; the agent who holds them, theirs.
    assert not listed(signed_in(app, make_user, "agent", "06"), href) & (ours | elsewhere)
    holder = app.test_client()
    agent = delays_data["agent"]
    assert helpers.login(holder, agent.username, agent.password).status_code == 302
    assert listed(holder, href) == ours


@pytest.fixture
def no_show_data(app, make_user):
    """Region 06: first appointments missed with the reminder sent (2, one of them came to the
    next), held with it delivered (1), missed with it failed (1), held without one (1), and a
    case whose first appointment was before the period (not counted); region 03: one missed."""
    with app.app_context():
        agent = make_user(role="agent", region="06")

        def case() -> int:
            return helpers.create_case(agent.id).id

        cells = {"missed_reminded": [case(), case()], "held_reminded": [case()]}
        cells["missed_silent"], cells["held_silent"] = [case()], [case()]
        appointment(cells["missed_reminded"][0], 12, "no_show", "sent")
        appointment(cells["missed_reminded"][1], 30, "no_show", "sent")
        appointment(cells["missed_reminded"][1], 20, "done", "sent")  # not the first
        appointment(cells["held_reminded"][0], 8, "done", "delivered")
        appointment(cells["missed_silent"][0], 6, "no_show", "failed")
        appointment(cells["held_silent"][0], 4, "done")
        old = case()
        appointment(old, 200, "done")
        appointment(old, 10, "no_show")  # its first was long ago
        other = make_user(role="agent", region="03")
        cells["elsewhere"] = [helpers.create_case(other.id).id]
        appointment(cells["elsewhere"][0], 5, "no_show", "sent")
        forget_snapshots()
    return {key: {str(i) for i in ids} for key, ids in cells.items()}


def test_each_no_show_figure_opens_the_cases_it_counts(client, login, no_show_data):
    login(role="supervisor", region="06")
    rows = no_show_rows(client.get(DASHBOARD).text)
    (all_reminded, n1), (missed_reminded, n2) = rows["A joint la personne"]
    (all_silent, n3), (missed_silent, n4) = rows["Non envoyé ou non joint"]
    d = no_show_data
    expected = {
        all_reminded: (n1, d["missed_reminded"] | d["held_reminded"]),
        missed_reminded: (n2, d["missed_reminded"]),
        all_silent: (n3, d["missed_silent"] | d["held_silent"]),
        missed_silent: (n4, d["missed_silent"]),
    }
    for href, (value, cases) in expected.items():
        shown = listed(client, href)
        assert len(shown) == int(value) == len(cases), href
        assert shown == cases


def test_a_no_show_list_of_another_region_is_out_of_reach(
    app, client, login, make_user, no_show_data
):
    login(role="supervisor", region="03")
    rows = no_show_rows(client.get(DASHBOARD).text)
    (_all, n), (missed, m) = rows["A joint la personne"]
    assert (n, m) == ("1", "1")
    assert listed(client, missed) == no_show_data["elsewhere"]
    # Region 06's supervisor, even naming region 03, sees none of its cases.
    ours = signed_in(app, make_user, "supervisor", "06")
    assert listed(ours, missed.replace("&amp;", "&") + "&region=3") == set()
    # An administrator reads no case file: the province's dashboard gives the number only.
    admin = signed_in(app, make_user, "admin", "03")
    page = admin.get(DASHBOARD).text
    assert "cohort=" not in page and "A joint la personne" in page


def test_the_filter_is_in_the_caseload_form_in_french_and_kept_across_pages(
    app, client, login, make_user
):
    agent = make_user(role="agent", region="06")
    with app.app_context():
        for _ in range(27):
            appointment(helpers.create_case(agent.id).id, 3, "no_show", "sent")
    login(role="supervisor", region="06")
    today = utcnow().date()
    period = f"start={today - timedelta(days=10)}&end={today + timedelta(days=1)}"
    page = unescape(client.get(f"/dossiers/?cohort=first_no_show_reminded&{period}").text)
    assert '<label for="cohort">Compté dans un rapport</label>' in page
    assert re.search(r'<option selected value="first_no_show_reminded">', page)
    assert "Premier rendez-vous manqué, le rappel a joint la personne" in page
    assert 'name="start"' in page and 'name="end"' in page  # the period, filled in
    assert "1–25 sur 27" in page
    following = re.search(r'href="([^"]+page=2)" rel="next"', page).group(1)
    assert "cohort=first_no_show_reminded" in following and period in following
    assert len(listed(client, following)) == 2
    # Without a period, the dashboard's default one (the last 90 days).
    assert "1–25 sur 27" in client.get("/dossiers/?cohort=first_no_show_reminded").text
    plain = unescape(client.get("/dossiers/").text)
    assert 'name="start"' not in plain  # the period only with a dashboard figure


@pytest.mark.parametrize(
    "query",
    [
        "cohort=nothing",
        "cohort=first_no_show_reminded&start=2026-13-01&end=2026-12-31",
        "cohort=first_no_show_reminded&start=2026-02-01&end=2026-01-01",
        "cohort=first_no_show_reminded&start=2010-01-01&end=2026-01-01",
        "cohort=first_no_show_reminded&start=2026-01-01",
    ],
)
def test_a_malformed_figure_is_400_not_another_list(client, login, query):
    login(role="supervisor")
    assert client.get(f"/dossiers/?{query}").status_code == 400


def test_the_dashboards_queries_do_not_grow_with_the_no_shows(
    app, client, login, make_user, count_queries
):
    login(role="supervisor", region="06")
    agent = make_user(role="agent", region="06")
    with app.app_context():
        appointment(helpers.create_case(agent.id).id, 3, "no_show", "sent")
    with count_queries() as few:
        assert client.get(DASHBOARD).status_code == 200
    with app.app_context():
        for status, reminder in [("no_show", "sent"), ("done", None), ("no_show", None)] * 10:
            appointment(helpers.create_case(agent.id).id, 3, status, reminder)
        forget_snapshots()
    with count_queries() as many:
        page = client.get(DASHBOARD).text
    assert ">11</a>" in page  # the missed ones reminded
    assert many.count == few.count, many.statements
