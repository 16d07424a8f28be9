"""Statistics through the API: the extract's de-identified tables, small cells suppressed."""

from __future__ import annotations

from datetime import date, timedelta

from casework.core.time import utcnow
from tests import helpers
from tests.reports.factories import add_activity


def test_the_province_for_an_admin_token_small_cells_blanked(
    client, issue_token, make_user, make_case
):
    agent = make_user(role="agent")
    for _ in range(6):
        make_case(agent)
    make_case(agent, date_of_birth=date(1950, 1, 1))  # alone in its age band
    token = issue_token(user=make_user(role="admin"), scopes=("statistics:read",))
    response = client.get("/api/v1/statistics", headers=token.headers)
    assert response.status_code == 200, response.text
    body = response.json
    assert body["small_cell_threshold"] == 5 and body["scope"] == "all"
    opened = body["tables"]["cases_opened_by_region_month_category"]
    assert opened["columns"][:3] == ["region", "opened_month", "immigration_category"]
    rows = opened["rows"]
    assert any(row["n"] is not None and row["n"] >= 6 for row in rows)
    assert all((row["n"] is None) == bool(row["suppressed"]) for row in rows)
    assert all(row["n"] is None or row["n"] >= 5 for row in rows)
    ages = body["tables"]["cases_by_region_age_band"]["rows"]
    assert any(row["suppressed"] for row in ages)  # the one older person's band
    assert "referral_funnel_by_organisation" in body["tables"]
    # The indicators page's figures by quarter and region (the extract's table).
    figures = body["tables"]["indicators_by_region_quarter"]
    assert figures["columns"] == ["quarter", "region", "measure", "indicator", "n", "suppressed"]
    assert all(row["n"] is None or row["n"] >= 5 for row in figures["rows"])


def test_a_supervisor_token_gets_its_region_only(app, client, issue_token, make_user):
    with app.app_context():
        for region in ("06",) * 5 + ("11",):
            agent = make_user(role="agent", region=region)
            # The appointment held now: served in the current quarter.
            add_activity(helpers.create_case(agent.id).id, now=utcnow() + timedelta(days=20))
    token = issue_token(user=make_user(role="supervisor", region="06"), scopes=("statistics:read",))
    body = client.get("/api/v1/statistics", headers=token.headers).json
    assert body["scope"] == "06"
    assert "referral_funnel_by_organisation" not in body["tables"]
    served = [
        row
        for row in body["tables"]["indicators_by_region_quarter"]["rows"]
        if row["indicator"] == "served"
    ]
    assert [(row["region"], row["n"], row["suppressed"]) for row in served] == [("06", 5, 0)]
    for table in body["tables"].values():
        assert all(row["region"] == "06" for row in table["rows"])


def test_agents_and_partners_are_refused(client, issue_token, make_user):
    for token in (
        issue_token(user=make_user(role="agent")),
        issue_token(organisation="promis"),
    ):
        assert client.get("/api/v1/statistics", headers=token.headers).status_code == 403


def test_the_tables_are_kept_fifteen_minutes_like_the_dashboards(
    app, client, issue_token, make_user, make_case, count_queries
):
    """Counting every indicator of every quarter takes seconds on a real database: a system
    polling the API reads the snapshot (the tables are de-identified and the same for every
    caller; the caller's scope is applied after)."""
    agent = make_user(role="agent")
    for _ in range(6):
        make_case(agent)
    token = issue_token(user=make_user(role="admin"), scopes=("statistics:read",))
    with count_queries() as computed:
        first = client.get("/api/v1/statistics", headers=token.headers)
    make_case(agent)
    with count_queries() as kept:
        second = client.get("/api/v1/statistics", headers=token.headers)
    assert first.status_code == second.status_code == 200
    assert second.json == first.json  # the new case shows at the next computation
    assert kept.count + 10 < computed.count
