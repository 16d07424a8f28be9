"""The reference data's revision: a value that changes with every change of the regions,
service points, host cities or needs domains, so that lists kept in memory
(reference/places.py) are rebuilt when, and only when, their data changed, whichever process
changed it.

Every signed-in request reads the value with its session (``auth.sessions.SESSION_FIGURES``,
added by appointments/listeners.py): a worker learns of another's change on its next request,
at no query of its own. The value is a random number rather than a counter, so that a change
rolled back cannot leave two different contents under one value.

Only changes made through the ORM (flushes and ORM bulk statements, ``casework init`` included)
raise it. SQL run by hand on those tables (psql, a data migration) must raise it too
(``UPDATE reference_revision SET value = …``), or the web processes restarted: they would keep
their lists until the next change (docs/deployment.md).
"""

from __future__ import annotations

import secrets
from itertools import chain
from typing import Any

from sqlalchemy import ScalarSelect, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from casework.reference.models import Domain, HostCity, ReferenceRevision, Region, ServicePoint

# The session figure's name (``user.session_figures[REFERENCE_REVISION]``).
REFERENCE_REVISION = "reference_revision"
# What the lists kept in memory are made of.
TRACKED = (Region, ServicePoint, HostCity, Domain)
ROW = 1


def revision_column() -> ScalarSelect:
    """The current revision, as a scalar subquery (for the session's query)."""
    return select(ReferenceRevision.value).where(ReferenceRevision.id == ROW).scalar_subquery()


def current_revision(session: Session) -> int | None:
    return session.scalar(select(ReferenceRevision.value).where(ReferenceRevision.id == ROW))


def raise_revision(session: Session) -> None:
    """A new value, in the transaction of the change (it is seen when the change is)."""
    session.execute(
        update(ReferenceRevision)
        .where(ReferenceRevision.id == ROW)
        .values(value=secrets.randbits(62))
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # After the flush the lists still say what it wrote (SQLAlchemy's documented behaviour).
    changed = chain(
        session.new, session.deleted, (obj for obj in session.dirty if session.is_modified(obj))
    )
    if any(isinstance(obj, TRACKED) for obj in changed):
        raise_revision(session)


@event.listens_for(Session, "do_orm_execute")
def _after_bulk(state: ORMExecuteState) -> Any:
    """``update(Region)…``, ``delete(HostCity)…`` and bulk inserts skip the flush."""
    if state.is_select or not (state.is_update or state.is_delete or state.is_insert):
        return None
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, TRACKED):
        return None
    result = state.invoke_statement()
    raise_revision(state.session)
    return result
