"""``/metrics`` (issue 14, point 8): Prometheus text, loopback or token only, no personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for

from casework.core.heartbeat import beat
from casework.core.time import utcnow
from casework.extensions import db
from casework.reminders.models import OutboundEmail
from tests import helpers

REMOTE = {"REMOTE_ADDR": "10.20.30.40"}


def scrape(client, **kwargs):
    return client.get("/metrics", **kwargs)


def value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{label}"' for key, label in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    assert found, f"{name} {labels} not in the metrics"
    return float(found.group(1))


def test_metrics_from_loopback_in_the_prometheus_format(client, ctx, make_user, make_case):
    agent = make_user(role="agent")
    case = make_case(agent)
    now = utcnow()
    for number, status in enumerate(("pending", "pending", "failed")):
        db.session.add(
            OutboundEmail(
                key=f"metrics:{number}",
                user_id=agent.id,
                kind="digest",
                subject="s",
                body="b",
                status=status,
                created_at=now - timedelta(minutes=10 * (number + 1)),
            )
        )
    beat("dispatch", "ok", {"delivered": 1}, duration=0.25)
    beat("backup", "error", duration=1.5)
    db.session.commit()
    helpers.login(client, agent.username, "wrong password")
    helpers.login(client, agent.username, agent.password)
    client.get(f"/dossiers/{case.id}")
    response = scrape(client)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    text = response.text
    assert value(text, "casework_outbox_emails", status="pending") == 2
    assert value(text, "casework_outbox_emails", status="failed") == 1
    assert 19 * 60 <= value(text, "casework_outbox_oldest_pending_age_seconds") <= 21 * 60
    assert value(text, "casework_dispatch_lag_seconds") >= 0
    assert value(text, "casework_job_last_duration_seconds", job="dispatch") == 0.25
    assert value(text, "casework_job_failures_total", job="backup") == 1
    assert value(text, "casework_job_failures_total", job="dispatch") == 0
    assert value(text, "casework_sign_in_failures_total", reason="credentials") >= 1
    assert value(text, "casework_sign_in_failures_last_hour") >= 1
    assert (
        value(
            text,
            "casework_request_duration_seconds_count",
            endpoint="cases.show",
            method="GET",
            status="2xx",
        )
        >= 1
    )


def test_no_personal_data_in_labels(client, ctx, make_user, make_case):
    agent = make_user(role="agent")
    case = make_case(agent, family_name="Tremblay-Nguyễn")
    helpers.login(client, agent.username, agent.password)
    client.get(f"/dossiers/{case.id}")
    client.get(f"/dossiers/{case.id}/personne")
    text = scrape(client).text
    for secret in (case.number, "Tremblay", agent.username, f"/dossiers/{case.id}"):
        assert secret not in text
    labels = set(re.findall(r'endpoint="([^"]*)"', text))
    assert labels and all(
        re.fullmatch(r"[a-z_]+\.[a-z_]+|static|unmatched", label) for label in labels
    )


@pytest.mark.parametrize(
    "how",
    [
        {"environ_base": REMOTE},
        {"headers": {"X-Forwarded-For": "203.0.113.7"}},  # through a proxy on loopback
        {"environ_base": REMOTE, "headers": {"Authorization": "Bearer pas-le-bon"}},
    ],
)
def test_metrics_refused_from_elsewhere_without_the_token(client, app, monkeypatch, how):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "le-bon-jeton-secret")
    response = scrape(client, **how)
    assert response.status_code == 403
    assert "casework_" not in response.text


def test_metrics_from_elsewhere_with_the_token(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "le-bon-jeton-secret")
    response = scrape(
        client, environ_base=REMOTE, headers={"Authorization": "Bearer le-bon-jeton-secret"}
    )
    assert response.status_code == 200 and "casework_outbox_emails" in response.text


def test_no_token_configured_means_loopback_only(client, app):
    assert app.config["METRICS_TOKEN"] == ""
    assert (
        scrape(client, environ_base=REMOTE, headers={"Authorization": "Bearer "}).status_code == 403
    )


def test_the_metrics_endpoint_name_is_stable(app):
    with app.test_request_context():
        assert url_for("ops.metrics") == "/metrics"
