"""Issue 18, point 1: a directorate covers several regions, and region-scoped views follow it.
DR-MCQ covers Mauricie (04) and Centre-du-Québec (17): its people see a case of region 17."""

from __future__ import annotations

import re

from sqlalchemy import select

from casework.extensions import db
from tests.reports.factories import busy_agent

DASHBOARD = "/rapports/tableau-de-bord"


def active_cases(page: str) -> dict[str, list[str]]:
    return {
        name: re.findall(r">(\d+)<", row)
        for name, row in re.findall(r"<th scope=\"row\">(Test Agent\d+)</th>(.*?)</tr>", page)
    }


def test_a_case_in_region_17_is_on_dr_mcq_s_dashboard(app, client, login, make_user):
    from casework.reference.models import Region

    with app.app_context():
        busy_agent(make_user, 2, region="17")
    login(role="supervisor", region="04")  # Trois-Rivières, DR-MCQ's seat
    page = client.get(DASHBOARD).text
    assert "04 Mauricie, 17 Centre-du-Québec" in page
    assert list(active_cases(page).values()) == [["0", "2", "0", "2", "2"]]
    with app.app_context():
        centre = db.session.scalar(select(Region.id).where(Region.code == "17"))
        estrie = db.session.scalar(select(Region.id).where(Region.code == "05"))
    narrowed = client.get(f"{DASHBOARD}?region={centre}").text
    assert len(active_cases(narrowed)) == 1
    assert client.get(f"{DASHBOARD}?region={estrie}").status_code == 403


def test_a_supervisor_of_another_directorate_sees_nothing_of_it(app, client, login, make_user):
    with app.app_context():
        busy_agent(make_user, 2, region="17")
    login(role="supervisor", region="05")
    assert active_cases(client.get(DASHBOARD).text) == {}


def test_the_caseload_and_the_case_follow_the_directorate(app, client, login, make_user):
    with app.app_context():
        agent, case_ids = busy_agent(make_user, 1, region="17")
    supervisor = login(role="supervisor", region="04")
    caseload = client.get("/dossiers/").text
    assert "17 Centre-du-Québec" in caseload  # the region filter offers both regions
    assert client.get(f"/dossiers/{case_ids[0]}").status_code == 200
    other = app.test_client()
    from tests import helpers

    outsider = make_user(role="supervisor", region="05")
    helpers.login(other, outsider.username, outsider.password)
    assert other.get(f"/dossiers/{case_ids[0]}").status_code == 403
    assert supervisor.region_id != agent.region_id


def test_the_advisor_queue_covers_the_territory(app, client, login, make_user):
    with app.app_context():
        busy_agent(make_user, 1, region="17")
    login(role="advisor", region="04")
    queue = client.get("/references/").text
    assert "PROMIS" in queue
