"""The templates' environment: Flask's, with globals that imports compare in C.

Every ``{% from "macros/…" import … %}`` compares the names of the render's globals with the
imported template's (Jinja's ``Template._get_default_module``). Jinja keeps a template's globals
in a ``ChainMap`` over the environment's, whose keys view answers each name in Python: some 370
calls per page for the layout's three imports (issue 23). Here the keys are a set.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any

from flask.templating import Environment


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's, as Jinja makes them."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*(mapping.keys() for mapping in self.maps))


class CaseworkEnvironment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)
