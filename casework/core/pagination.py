"""Bounded pages over a SELECT: one COUNT and one page query, whatever the table size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select, func, select

from casework.extensions import db

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)

    def window(self, radius: int = 2) -> list[int]:
        start = max(1, self.page - radius)
        end = min(self.pages, self.page + radius)
        return list(range(start, end + 1))


def parse_page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def paginate(statement: Select, page: int, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """One page of ``statement``'s first entity (or rows, when it selects several columns)."""
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    total = db.session.scalar(count_statement) or 0
    last_page = max(1, math.ceil(total / per_page))
    page = min(max(1, page), last_page)
    windowed = statement.limit(per_page).offset((page - 1) * per_page)
    if len(statement.column_descriptions) == 1:
        items = list(db.session.scalars(windowed).unique())
    else:
        items = list(db.session.execute(windowed).unique())
    return Page(items=items, page=page, per_page=per_page, total=total)


def page_url(number: int) -> str:
    """The current URL with another page number; other query parameters are kept as sent.

    Built by hand rather than with ``url_for`` so that no parameter can be read as one of its
    keyword arguments (``_external``, ``_anchor``, ``endpoint``...).
    """
    params = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{request.path}?{urlencode([*params, ('page', number)])}"


def query_string(**overrides: str) -> str:
    """« ?… » with the current query parameters except the page number (``overrides`` replace
    some), for a link to the same list in another form (its CSV export). Built by hand for the
    same reason as ``page_url``."""
    params = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key != "page" and key not in overrides
    ]
    params += list(overrides.items())
    return f"?{urlencode(params)}" if params else ""
