"""Errors the service layers raise and the views translate into form errors or status codes."""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A business rule was broken; ``field`` names the form field when there is one.

    ``errors`` holds every refusal found in one round, (field, message) pairs, the first
    being ``field`` and the message: a form shows them all at once (see ``Checks``)."""

    def __init__(self, message: Any, field: str | None = None, more: tuple = ()):
        super().__init__(str(message))
        self.field = field
        self.errors: list[tuple[str | None, str]] = [(field, str(message)), *more]


class Checks:
    """Collects a validator's refusals so that a form reports every error in one round, not
    one per submit; ``done()`` raises them together as one ``error`` (a DomainError class)."""

    def __init__(self, error: type[DomainError] = DomainError):
        self._error = error
        self.found: list[tuple[str | None, str]] = []

    def require(self, condition: Any, message: Any, field: str | None = None) -> bool:
        """Records ``message`` when ``condition`` is false; a field keeps its first error."""
        if not condition and all(name != field or field is None for name, _ in self.found):
            self.found.append((field, str(message)))
        return bool(condition)

    def failed(self, field: str) -> bool:
        return any(name == field for name, _ in self.found)

    def done(self) -> None:
        if self.found:
            (field, message), *more = self.found
            raise self._error(message, field, more=tuple(more))


class Conflict(Exception):
    """The change collides with the record's current state (answered with 409)."""


class StaleEdit(Conflict):
    """Someone saved this record since the form was loaded (answered with 409)."""


def show_error(form: Any, error: DomainError, flash_message) -> None:
    """Put each of ``error``'s refusals under its field, or hand it to ``flash_message`` when
    it names none the form has."""
    fields = form._fields if hasattr(form, "_fields") else {}
    for name, message in getattr(error, "errors", [(error.field, str(error))]):
        target = fields.get(name or "")
        if target is not None:
            if message not in target.errors:
                target.errors = [*target.errors, message]
        else:
            flash_message(message)
