"""What a long-running process (the web server, the scheduler) does once its application is
built, before it serves its first request or runs its first job."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Put what start-up built (modules, mappers, forms, catalogues: some 200,000 objects that
    live as long as the process) out of the garbage collector's reach. Every full collection
    walked them all again: a quarter of the caseload's CPU went to the collector (issue 23).
    Garbage is collected first, so that none is kept for good. Not for tests, which build an
    application per test: what is frozen is never freed."""
    gc.collect()
    gc.freeze()
