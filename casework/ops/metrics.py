"""``/metrics`` in the Prometheus text format, for loopback or with the configured token.

Two kinds of figures, each coherent however many processes and nodes run:
- read from the database at scrape time, so every node answers the same: the outbox's depth by
  status and the age of its oldest waiting e-mail, the dispatch lag (how long the oldest due
  reminder has waited), each scheduler job's last duration, last success and failures (from the
  heartbeat rows), and sign-in failures in the last hour;
- measured by the process that answers (``casework.core.metrics``): request latency by endpoint
  and sign-in failures by reason, since that process started.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from casework.core.heartbeat import SchedulerHeartbeat
from casework.core.metrics import REGISTRY
from casework.core.permissions import public
from casework.core.time import utcnow
from casework.extensions import db

bp = Blueprint("ops", __name__)
SIGN_IN_WINDOW = timedelta(hours=1)


def allowed() -> bool:
    """Loopback (not through a proxy: a proxied request comes from loopback too), or the bearer
    token from ``CASEWORK_METRICS_TOKEN``."""
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    if request.headers.get("X-Forwarded-For"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
@public
def metrics():
    if not allowed():
        abort(403)
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector())
    body = generate_latest(REGISTRY) + generate_latest(from_database)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _seconds_since(moment) -> float:
    return max(0.0, (utcnow() - moment).total_seconds()) if moment else 0.0


class DatabaseCollector:
    """Figures read from the database when Prometheus asks (the same on every node), in the
    request's transaction: the unit of work ends it, as for any view."""

    def collect(self):
        from casework.auth.models import LoginAttempt
        from casework.reminders.models import OutboundEmail, Reminder

        session = db.session
        now = utcnow()
        depth = GaugeMetricFamily(
            "casework_outbox_emails", "E-mails in the outbox, by status.", labels=["status"]
        )
        counts = dict(
            session.execute(
                select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)
            ).all()
        )
        for status in ("pending", "claimed", "sent", "failed"):
            depth.add_metric([status], counts.get(status, 0))
        yield depth
        oldest = session.scalar(
            select(func.min(OutboundEmail.created_at)).where(
                OutboundEmail.status.in_(("pending", "claimed"))
            )
        )
        yield GaugeMetricFamily(
            "casework_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail not sent yet (0: none waiting).",
            value=_seconds_since(oldest),
        )
        due = session.scalar(
            select(func.min(Reminder.next_attempt_at)).where(
                Reminder.status.in_(("pending", "snoozed")), Reminder.next_attempt_at <= now
            )
        )
        yield GaugeMetricFamily(
            "casework_dispatch_lag_seconds",
            "How long the oldest due reminder has waited to be delivered (0: none waiting).",
            value=_seconds_since(due),
        )
        yield from self._jobs(session)
        failures = session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > now - SIGN_IN_WINDOW,
            )
        )
        yield GaugeMetricFamily(
            "casework_sign_in_failures_last_hour",
            "Sign-in attempts refused in the last hour, every node together.",
            value=failures or 0,
        )

    def _jobs(self, session):
        duration = GaugeMetricFamily(
            "casework_job_last_duration_seconds",
            "How long each scheduler job's last run took.",
            labels=["job"],
        )
        success = GaugeMetricFamily(
            "casework_job_last_success_timestamp_seconds",
            "When each job last finished without error (Unix time).",
            labels=["job"],
        )
        failed = CounterMetricFamily(
            "casework_job_failures", "Runs of each job that failed.", labels=["job"]
        )
        for beat in session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.job)):
            if beat.duration_seconds is not None:
                duration.add_metric([beat.job], beat.duration_seconds)
            if beat.outcome == "ok" and beat.finished_at is not None:
                success.add_metric([beat.job], _unix(beat.finished_at))
            failed.add_metric([beat.job], beat.failures)
        yield from (duration, success, failed)


def _unix(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()
