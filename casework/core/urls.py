"""URLs are French like the interface; code names (blueprints, endpoints, codes) stay English.

- ``french(codes)`` makes a URL converter for a part that names a code: the URL shows the French
  word, the view and ``url_for`` use the English code (a referral's ``sent`` is ``/envoyer``).
- ``redirect_old_paths`` answers a GET of an English path that became French with a 301 to the
  French one, query string kept, so bookmarks keep working. Only when the French path is a real
  GET route: any other old path is still a 404. A POST to an old path is not redirected (a
  redirected POST loses its body): it is a 404.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, redirect, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import BaseConverter, RequestRedirect
from werkzeug.wrappers import Response

# The first segment of the English paths (until 2026), and what it became.
OLD_PREFIXES = {
    "cases": "dossiers",
    "airport": "aeroport",
    "appointments": "rendez-vous",
    "reminders": "rappels",
    "reference": "referentiel",
}
# English segments further down a path (any prefix), and what they became.
OLD_SEGMENTS = {
    "assessment": "evaluation",
    "case": "dossier",
    "book": "reserver",
    "caseload.csv": "dossiers.csv",
    "needs.csv": "besoins.csv",
    "funnel.csv": "references.csv",
    "delays.csv": "delais.csv",
}
READING = ("GET", "HEAD")


def french(codes: dict[str, str]) -> type[BaseConverter]:
    """A converter for a URL part that is one of ``codes`` (English code → French word)."""
    english = {word: code for code, word in codes.items()}

    class French(BaseConverter):
        regex = "|".join(re.escape(word) for word in sorted(english, key=len, reverse=True))
        known = tuple(codes)

        def to_python(self, value: str) -> str:
            return english[value]

        def to_url(self, value: str) -> str:
            return codes[value]

    return French


def french_path(path: str) -> str:
    """``path`` with its English segments in French (unchanged when it has none)."""
    segments = path.split("/")
    if len(segments) > 1:
        segments[1] = OLD_PREFIXES.get(segments[1], segments[1])
    segments[2:] = [OLD_SEGMENTS.get(segment, segment) for segment in segments[2:]]
    return "/".join(segments)


def redirect_old_paths() -> Response | None:
    """``before_request``: 301 from an English path to its French GET route."""
    if request.method not in READING or not isinstance(request.routing_exception, NotFound):
        return None
    path = french_path(request.path)
    if path == request.path:
        return None
    location = request.script_root + path
    adapter = current_app.create_url_adapter(request)
    try:
        adapter.match(path, method="GET")
    except RequestRedirect as moved:  # the French route ends with a slash the old path lacked
        location = urlsplit(moved.new_url).path
    except HTTPException:
        return None
    query = request.query_string.decode("latin-1")
    return redirect(location + (f"?{query}" if query else ""), code=301)
