"""One unit of work per request: the view runs, then its changes are committed, once, here.

``CaseworkFlask.dispatch_request`` runs every view through ``run_view``:

- the view returns → commit (a page's audit rows are written then, after its rendering, in the
  short write transaction core/db.py arranges on SQLite);
- the view raises → roll back, whatever it was, so nothing is half-written;
- a ``Conflict`` (``StaleEdit``: the form's version is behind the row's) → 409, the conflict page;
- ``DomainError`` (an operation refused: a business rule) → the answer the view declared with
  ``refusals_show`` (the form page again, the message under its field, what was typed kept;
  ``core.forms.submitted`` declares it), ``refusals_go_to`` (a redirect, the message flashed) or
  ``refusals_answered_by``; with none, the conflict page with the message;
- the commit itself fails (a unique index or a row version another request got to first) →
  roll back, 409; a value the database refuses (``DataError``: out of range, too long) → 400.

Whatever fails, the messages the abandoned work flashed (« Saved. ») are taken back.

Views therefore never commit or roll back: they parse, call one operation, and respond. The
command line, the scheduler's jobs and the tests that call operations outside a request commit
themselves (jobs once per batch).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, flash, g, redirect, request, session
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from casework.core import errors
from casework.core.domain import Conflict, DomainError, StaleEdit, show_error
from casework.core.templating import CaseworkEnvironment
from casework.extensions import db

log = logging.getLogger(__name__)

# Raised at a flush or a commit when another request changed the same rows first.
CONFLICTS = (IntegrityError, StaleDataError)
_REFUSAL = "casework_refusal"
_CONFLICT = "casework_conflict_answer"
_FLASHES = "_flashes"  # where Flask keeps flashed messages in the session


Answer = Callable[[DomainError], ResponseReturnValue]


def refusals_answered_by(answer: Answer) -> None:
    """An operation's refusal is answered by ``answer(error)``, once the attempt is rolled back
    (for pages whose answer depends on the error: the slots still free, a 409 status)."""
    setattr(g, _REFUSAL, answer)


def refusals_show(form: Any, page: Callable[[], ResponseReturnValue]) -> None:
    """An operation's refusal shows ``page()`` again, its message under ``form``'s field (or
    flashed when it names none); the page records its reads as any page."""

    def answer(error: DomainError) -> ResponseReturnValue:
        show_error(form, error, flash_error)
        return page()

    refusals_answered_by(answer)


def refusals_go_to(url: str) -> None:
    """An operation's refusal redirects to ``url``, its message flashed."""

    def answer(error: DomainError) -> ResponseReturnValue:
        flash_error(str(error))
        return redirect(url)

    refusals_answered_by(answer)


def conflicts_answered_by(answer: Callable[[], ResponseReturnValue]) -> None:
    """A StaleEdit (someone saved the record since the form was loaded) is answered by
    ``answer()``, once the attempt is rolled back, instead of the bare 409 page: the form
    again with what was typed (core.forms.submitted's ``current``)."""
    setattr(g, _CONFLICT, answer)


def flash_error(message: str) -> None:
    flash(message, "error")


class CaseworkFlask(Flask):
    """Flask, with every view run in the request's unit of work (and templates whose imports
    are cheaper, core/templating.py)."""

    jinja_environment = CaseworkEnvironment

    def dispatch_request(self) -> ResponseReturnValue:
        if request.endpoint == "static":
            return super().dispatch_request()  # files from disk: no database, no session
        return run_view(super().dispatch_request)


def run_view(view: Callable[[], ResponseReturnValue]) -> ResponseReturnValue:
    flashes = list(session.get(_FLASHES, ()))
    try:
        try:
            response = view()
        except DomainError as error:
            if isinstance(error, Conflict):
                raise  # a conflict that also explains itself is still a conflict
            _abandon(flashes)
            response = _refused(error)
        db.session.commit()
    except Conflict as conflict:
        _abandon(flashes)
        return _conflicted(conflict)
    except CONFLICTS as error:
        _abandon(flashes)
        log.info("conflict (%s): rolled back", type(error).__name__)
        return _conflicted(error)
    except DataError:
        # A value the database refuses (out of range, too long) that the form let through.
        _abandon(flashes)
        log.info("value refused by the database: rolled back")
        abort(400)
    except BaseException:
        _abandon(flashes)
        raise
    return response


def _conflicted(error: BaseException) -> ResponseReturnValue:
    """A stale edit answered by the view's form page (its reads recorded and committed), any
    other conflict by the 409 page."""
    answer = g.pop(_CONFLICT, None)
    if answer is None or not isinstance(error, StaleEdit | StaleDataError):
        abort(409)
    try:
        response = answer()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return response


def _abandon(flashes: list) -> None:
    """Roll back, and take back the messages the abandoned work flashed (« Saved. »)."""
    db.session.rollback()
    if list(session.get(_FLASHES, ())) != flashes:
        session[_FLASHES] = flashes


def _refused(error: DomainError) -> ResponseReturnValue:
    answer: Answer | None = g.get(_REFUSAL)
    if answer is None:
        return errors.render_error(409, str(error))
    return answer(error)
