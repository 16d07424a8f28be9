"""Rate limiting per token, counted in the database so that it holds across processes and nodes.

A fixed one-minute window: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per request counts
it and reads the total atomically (two processes cannot both see « one left »). Old windows are
removed as new ones start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from casework.api.models import ApiRateWindow, ApiToken
from casework.core.db import insert_on_conflict
from casework.core.time import utcnow
from casework.extensions import db

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends


def count_request(token: ApiToken, now: datetime | None = None) -> Allowance:
    """Count one request of ``token`` in the current window (the caller commits)."""
    now = now or utcnow()
    start = now.replace(second=0, microsecond=0)
    statement = insert_on_conflict(ApiRateWindow).values(
        token_id=token.id, window_start=start, count=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["token_id", "window_start"],
        set_={"count": ApiRateWindow.count + 1},
    ).returning(ApiRateWindow.count)
    count = db.session.execute(statement).scalar_one()
    if count == 1:  # the first request of a window sweeps the token's previous ones
        db.session.execute(
            delete(ApiRateWindow).where(
                ApiRateWindow.token_id == token.id, ApiRateWindow.window_start < start
            )
        )
    retry_after = max(1, math.ceil((start + WINDOW - now).total_seconds()))
    return Allowance(
        allowed=count <= token.rate_limit,
        limit=token.rate_limit,
        remaining=max(0, token.rate_limit - count),
        retry_after=retry_after,
    )
