"""Parts of a page rendered once and kept: a filter bar's fields in one language, for one
revision of the reference data and the values chosen. Only HTML that depends on nothing but its
key may be kept, never what depends on who reads it (their cases, their names, their token):
the key says everything the part shows.

    {% call remembered("caseload-filters", filters_key) %}…{% endcall %}

The caseload's filter bar (seven fields, their labels and lists) was an eighth of the page's
time, the same few bars rendered again for every agent on every request (issue 23). The
layout's header (but the reader's name, counts and tokens) and footer are kept per language,
role and section.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import suppress

from markupsafe import Markup

# The layout's parts are a few hundred (languages × roles × sections), the filter bars as many
# as the values chosen; each is a few kilobytes.
KEPT = 2048
_kept: dict[tuple[Hashable, ...], Markup] = {}


def remembered(*key: Hashable, caller: Callable[[], str]) -> Markup:
    """What ``caller()`` (the block of a ``{% call %}``) renders, kept under ``key``; ``key``
    None (a form with errors, something that cannot be kept) renders it every time."""
    if None in key:
        return Markup(caller())
    kept = _kept.get(key)
    if kept is None:
        kept = _kept[key] = Markup(caller())
        if len(_kept) > KEPT:
            _forget_oldest()
    return kept


def _forget_oldest() -> None:
    # Two threads of a worker may both find it full: either may evict, neither fails.
    with suppress(RuntimeError, StopIteration, KeyError):
        del _kept[next(iter(_kept))]
