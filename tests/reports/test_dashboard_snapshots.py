"""Dashboard snapshots (reports/snapshots.py): computed once, shown for a few minutes, per scope
and period; the scheduler prepares each region's default dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from casework.core.time import utcnow
from casework.extensions import db
from casework.reports.models import DashboardSnapshot
from tests import helpers
from tests.reports.factories import busy_agent

DASHBOARD = "/rapports/tableau-de-bord"
HEAVY = "dashboard_referral_cohorts"  # the funnel's aggregate: read only when computing


def active_cases_shown(page: str) -> list[str]:
    """Each agent's active cases in the caseload table (new, active, on hold, total, overdue)."""
    rows = re.findall(r"<th scope=\"row\">Test Agent\d+</th>(.*?)</tr>", page)
    return [re.findall(r">(\d+)<", row)[3] for row in rows]


def age_snapshots(app, minutes: int) -> None:
    with app.app_context():
        db.session.execute(
            update(DashboardSnapshot).values(computed_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


def test_a_second_view_reads_the_snapshot(app, client, login, make_user, count_queries):
    login(role="supervisor")
    with app.app_context():
        busy_agent(make_user, 3)
    with count_queries() as first:
        page = client.get(DASHBOARD).text
    with count_queries() as second:
        again = client.get(DASHBOARD).text
    assert any(HEAVY in statement for statement in first.statements)
    assert not any(HEAVY in statement for statement in second.statements), second.statements
    assert second.count < first.count
    assert "Chiffres au " in again and "toutes les 15 minutes au plus" in again
    assert active_cases_shown(again) == active_cases_shown(page)


def test_changes_show_once_the_snapshot_is_older_than_its_limit(app, client, login, make_user):
    login(role="supervisor")
    with app.app_context():
        busy_agent(make_user, 3)
    assert client.get(DASHBOARD).status_code == 200
    with app.app_context():
        busy_agent(make_user, 2)
    assert sum(map(int, active_cases_shown(client.get(DASHBOARD).text))) == 3  # still the snapshot
    age_snapshots(app, 16)
    assert sum(map(int, active_cases_shown(client.get(DASHBOARD).text))) == 5


def test_each_scope_and_period_has_its_own_snapshot(app, client, login, make_user):
    login(role="admin")
    with app.app_context():
        busy_agent(make_user, 3)
        busy_agent(make_user, 1, region="03")
        from casework.reference.models import Region

        regions = dict(db.session.execute(select(Region.code, Region.id)).all())
    montreal = client.get(f"{DASHBOARD}?region={regions['06']}").text
    capitale = client.get(f"{DASHBOARD}?region={regions['03']}").text
    everywhere = client.get(DASHBOARD).text
    assert active_cases_shown(montreal) == ["3"]
    assert active_cases_shown(capitale) == ["1"]
    assert sorted(active_cases_shown(everywhere)) == ["1", "3"]
    client.get(f"{DASHBOARD}?region={regions['06']}&start=2026-01-01&end=2026-01-31")
    with app.app_context():
        keys = db.session.execute(
            select(DashboardSnapshot.scope_key, DashboardSnapshot.period_start)
        ).all()
    assert len(keys) == 4


def test_a_snapshot_never_opens_a_region_the_user_may_not_see(app, client, login, make_user):
    login(role="admin")
    with app.app_context():
        busy_agent(make_user, 3)
        from casework.reference.models import Region

        montreal = db.session.scalar(select(Region.id).where(Region.code == "06"))
    assert client.get(f"{DASHBOARD}?region={montreal}").status_code == 200
    advisor = make_user(role="advisor", region="03")
    other = app.test_client()
    helpers.login(other, advisor.username, advisor.password)
    assert other.get(f"{DASHBOARD}?region={montreal}").status_code == 403
    assert "Test Agent" not in other.get(DASHBOARD).text  # its own region's, computed apart


def test_the_scheduler_prepares_every_region_and_the_province(app, client, login, make_user):
    from casework.reference.models import ServicePoint
    from casework.reports import tasks

    with app.app_context():
        busy_agent(make_user, 3)
        counts = tasks.dashboards()
        directorates = db.session.scalar(
            select(func.count()).select_from(ServicePoint).where(ServicePoint.kind == "directorate")
        )
        kept = db.session.scalar(select(func.count()).select_from(DashboardSnapshot))
    # Each directorate's territory (every region is covered by one), and the province; the
    # action plan's indicators for the same scopes (their scope keys start « indicators: »).
    assert counts == {"dashboards": directorates + 1, "indicators": directorates + 1}
    assert kept == 2 * (directorates + 1)
    login(role="supervisor")
    page = client.get(DASHBOARD).text
    assert active_cases_shown(page) == ["3"]
    with app.app_context():
        assert tasks.dashboards() == counts  # computed again: replaced, not duplicated
        assert db.session.scalar(select(func.count()).select_from(DashboardSnapshot)) == kept
