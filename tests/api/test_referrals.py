"""Partners' referrals through the API: list, read, accept, decline, outcome — same rules as
the pages; scope, ETag/If-Match, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from casework.core.audit import AuditEvent
from casework.extensions import db

LIST = "/api/v1/referrals"


def one(referral_id: int) -> str:
    return f"/api/v1/referrals/{referral_id}"


def test_a_partner_lists_its_referrals_and_reads_one(client, issue_token, sent_referral, app):
    referral_id = sent_referral()
    draft_id = sent_referral("draft")  # not yet sent: the organisation does not see it
    token = issue_token(organisation="promis")
    response = client.get(LIST, headers=token.headers)
    assert response.status_code == 200, response.text
    ids = [item["id"] for item in response.json["items"]]
    assert referral_id in ids and draft_id not in ids
    item = next(i for i in response.json["items"] if i["id"] == referral_id)
    assert item["updated_at"].endswith("Z")
    assert item["person"]["given_names"] == "Hélène"
    assert item["organisation"]["code"] == "promis"
    read = client.get(one(referral_id), headers=token.headers)
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{referral_id}-1"'
    assert client.get(one(draft_id), headers=token.headers).status_code == 404
    with app.app_context():
        reads = db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "referral.viewed", AuditEvent.target_type == "case"
            )
        )
        assert reads >= 1
        viewed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "referral.viewed")
        ).all()
        assert any(event.details.get("api_token") == token.id for event in viewed)


def test_another_organisations_referral_is_a_404(client, issue_token, sent_referral):
    referral_id = sent_referral()
    other = issue_token(organisation="cfiq")
    response = client.get(one(referral_id), headers=other.headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["reference"]
    assert referral_id not in [
        i["id"] for i in client.get(LIST, headers=other.headers).json["items"]
    ]


def test_filters_by_status_and_changed_since_with_a_cursor(client, issue_token, sent_referral):
    ids = [sent_referral() for _ in range(3)]
    accepted = sent_referral("accepted")
    token = issue_token(organisation="promis")
    page = client.get(LIST, query_string={"status": "sent", "limit": 2}, headers=token.headers)
    assert page.status_code == 200
    seen = [i["id"] for i in page.json["items"]]
    assert len(seen) == 2 and page.json["next"]
    while page.json["next"]:
        page = client.get(page.json["next"], headers=token.headers)
        seen += [i["id"] for i in page.json["items"]]
    assert set(ids) <= set(seen) and accepted not in seen
    assert len(seen) == len(set(seen))
    future = client.get(
        LIST, query_string={"changed_since": "2999-01-01T00:00:00Z"}, headers=token.headers
    )
    assert future.json == {"items": [], "next": None}
    naive = client.get(
        LIST, query_string={"changed_since": "2026-01-01T00:00:00"}, headers=token.headers
    )
    assert naive.status_code == 400
    assert naive.json["errors"][0]["field"] == "query.changed_since"


def test_accept_with_if_match_then_a_second_accept_is_a_409(client, issue_token, sent_referral):
    referral_id = sent_referral()
    token = issue_token(organisation="promis")
    etag = client.get(one(referral_id), headers=token.headers).headers["ETag"]
    accept = f"{one(referral_id)}/accept"
    missing = client.post(accept, json={}, headers=token.headers)
    assert missing.status_code == 428
    stale = client.post(accept, json={}, headers={**token.headers, "If-Match": '"0-0"'})
    assert stale.status_code == 412
    done = client.post(accept, json={}, headers={**token.headers, "If-Match": etag})
    assert done.status_code == 200, done.text
    assert done.json["status"] == "accepted"
    assert done.headers["ETag"] != etag
    again = client.post(
        accept, json={}, headers={**token.headers, "If-Match": done.headers["ETag"]}
    )
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"


def test_decline_needs_a_reason_and_outcome_follows_the_lifecycle(
    client, issue_token, sent_referral
):
    token = issue_token(organisation="promis")
    sent = sent_referral()
    etag = client.get(one(sent), headers=token.headers).headers["ETag"]
    headers = {**token.headers, "If-Match": etag}
    no_reason = client.post(f"{one(sent)}/decline", json={}, headers=headers)
    assert no_reason.status_code == 400
    assert no_reason.json["errors"][0]["field"] == "reason"
    early = client.post(f"{one(sent)}/outcome", json={"outcome": "completed"}, headers=headers)
    assert early.status_code == 409  # not accepted yet: the lifecycle refuses, as on the page
    declined = client.post(f"{one(sent)}/decline", json={"reason": "Complet"}, headers=headers)
    assert declined.status_code == 200 and declined.json["last_comment"] == "Complet"
    accepted = sent_referral("accepted")
    headers = {**token.headers, "If-Match": f'"{accepted}-1"'}
    no_why = client.post(
        f"{one(accepted)}/outcome", json={"outcome": "not_completed"}, headers=headers
    )
    assert no_why.status_code == 400 and no_why.json["errors"][0]["field"] == "reason"
    outcome = client.post(
        f"{one(accepted)}/outcome",
        json={"outcome": "not_completed", "reason": "unreachable"},
        headers=headers,
    )
    assert outcome.status_code == 200 and outcome.json["status"] == "not_completed"


def test_idempotency_key_replays_the_first_answer(client, issue_token, sent_referral, app):
    referral_id = sent_referral()
    token = issue_token(organisation="promis")
    headers = {**token.headers, "If-Match": f'"{referral_id}-1"', "Idempotency-Key": "sync-42"}
    first = client.post(f"{one(referral_id)}/accept", json={"comment": "ok"}, headers=headers)
    assert first.status_code == 200
    second = client.post(f"{one(referral_id)}/accept", json={"comment": "ok"}, headers=headers)
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == first.json
    other = client.post(f"{one(referral_id)}/accept", json={"comment": "no"}, headers=headers)
    assert other.status_code == 422
    with app.app_context():
        from casework.referrals.models import ReferralEvent

        moves = db.session.scalar(
            select(func.count()).where(
                ReferralEvent.referral_id == referral_id, ReferralEvent.to_status == "accepted"
            )
        )
        assert moves == 1


def test_stored_answers_are_deleted_after_their_window(client, issue_token, sent_referral, app):
    from datetime import timedelta

    from casework.api.models import ApiIdempotentAnswer
    from casework.api.web import IDEMPOTENCY_WINDOW, purge_idempotent_answers
    from casework.core.time import utcnow

    referral_id = sent_referral()
    token = issue_token(organisation="promis")
    headers = {**token.headers, "If-Match": f'"{referral_id}-1"', "Idempotency-Key": "sync-7"}
    assert client.post(f"{one(referral_id)}/accept", json={}, headers=headers).status_code == 200
    with app.app_context():
        stored = select(func.count()).select_from(ApiIdempotentAnswer)
        assert purge_idempotent_answers()["idempotent_answers_deleted"] == 0
        later = utcnow() + IDEMPOTENCY_WINDOW + timedelta(minutes=1)
        # Whoever wrote it, a token that stopped writing included.
        assert purge_idempotent_answers(later)["idempotent_answers_deleted"] == 1
        assert db.session.scalar(stored) == 0


def test_an_agent_token_reads_its_caseload_only(client, issue_token, sent_referral, make_user):
    agent = make_user(role="agent")
    mine = sent_referral(agent=agent)
    theirs = sent_referral()
    token = issue_token(user=agent)
    assert client.get(one(mine), headers=token.headers).status_code == 200
    assert client.get(one(theirs), headers=token.headers).status_code == 404
    # An agent may not answer for the organisation: the lifecycle refuses (409), as on the page.
    answer = client.post(
        f"{one(mine)}/accept", json={}, headers={**token.headers, "If-Match": f'"{mine}-1"'}
    )
    assert answer.status_code == 409


def test_the_list_costs_the_same_queries_whatever_its_length(
    client, issue_token, sent_referral, count_queries
):
    token = issue_token(organisation="promis")
    sent_referral()
    client.get(LIST, headers=token.headers)  # warm: the token's first use of the minute
    with count_queries() as one_row:
        assert client.get(LIST, headers=token.headers).status_code == 200
    for _ in range(8):
        sent_referral()
    with count_queries() as nine_rows:
        page = client.get(LIST, headers=token.headers)
    assert len(page.json["items"]) == 9
    assert nine_rows.count == one_row.count <= 8


def test_a_partners_page_is_read_in_the_order_of_the_changes_not_sorted(
    app, client, issue_token, sent_referral
):
    """The synchronisation walks the organisation's referrals by their last change
    (ix_referrals_organisation_updated) and stops at the page's end: sorting all of them made
    the page grow with the organisation's history (docs/performance.md)."""
    token = issue_token(organisation="promis")
    for _ in range(3):
        sent_referral()
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan; PostgreSQL's is measured in bench/")
        seen: list[tuple[str, Any]] = []

        def keep(_conn, _cursor, statement, parameters, _context, _many):
            if statement.lstrip().startswith("SELECT referrals.id"):
                seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            assert client.get(LIST, headers=token.headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        statement, parameters = seen[-1]
        plan = " ".join(
            str(row[-1])
            for row in db.session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
        )
    assert "ix_referrals_organisation_updated" in plan and "TEMP B-TREE" not in plan, plan
