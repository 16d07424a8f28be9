"""Errors the service layers raise and the views translate into form errors or status codes."""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A business rule was broken; ``field`` names the form field when there is one."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class Conflict(Exception):
    """The change collides with the record's current state (answered with 409)."""


class StaleEdit(Conflict):
    """Someone saved this record since the form was loaded (answered with 409)."""


def show_error(form: Any, error: DomainError, flash_message) -> None:
    """Put ``error`` under its field, or hand it to ``flash_message`` when it has none."""
    target = form._fields.get(error.field or "") if hasattr(form, "_fields") else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash_message(str(error))
