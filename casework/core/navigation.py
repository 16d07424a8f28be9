"""Where a request goes next: redirect targets that stay on this site, « done », and the
layout's main navigation."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from casework.core.permissions import scope_for


def safe_next(target: str | None, fallback: str) -> str:
    """Return ``target`` only if it is a path on this site; anything else falls back."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\\"):
        return fallback
    return target


def done(message: str, url: str, category: str = "success") -> Response:
    """The change is made (the unit of work commits it): say so, and go to ``url``."""
    flash(message, category)
    return redirect(url)


# The layout's main navigation (base.html): endpoint, label, the action that shows it, and the
# other blueprints whose pages it marks as current.
MAIN_NAVIGATION = (
    ("home.index", _l("Home"), "home.view", ()),
    ("airport.console", _l("Airport console"), "airport.use", ()),
    ("cases.index", _l("Cases"), "cases.read", ("assessments", "plans", "transfers")),
    ("appointments.calendar", _l("Calendar"), "appointments.calendar", ()),
    ("referrals.index", _l("Referrals"), "referrals.read", ()),
    ("reminders.index", _l("Reminders"), "reminders.read", ()),
    ("reports.dashboard", _l("Dashboard"), "reports.dashboard", ()),
    ("reference.index", _l("Reference data"), "reference.view", ()),
    ("users.index", _l("Users"), "users.manage", ()),
    ("audit.index", _l("Audit trail"), "audit.view", ()),
)


@dataclass(frozen=True)
class NavigationLink:
    url: str
    label: str
    blueprints: frozenset[str]  # a page of one of these is the link's current page


def main_navigation(role: str, locale: str) -> tuple[NavigationLink, ...]:
    """The links of the layout's navigation for ``role``, in ``locale``: built once per role,
    locale and script root, then reused by every page. They depend only on the permissions
    policy (code), the labels' translations (compiled at deployment) and the URL map, none of
    which change while the application runs; nothing personal is in them."""
    cache = current_app.extensions.setdefault("casework.navigation", {})
    key = (role, locale, request.script_root)
    links = cache.get(key)
    if links is None:
        links = tuple(
            NavigationLink(
                url_for(endpoint),
                str(label),  # in this request's locale
                frozenset((endpoint.split(".")[0], *others)),
            )
            for endpoint, label, action, others in MAIN_NAVIGATION
            if scope_for(role, action) is not None
        )
        cache[key] = links
    return links


def fixed_url(endpoint: str, **values: str) -> str:
    """``url_for`` for the layout's URLs that depend on nothing of the request but its script
    root (the stylesheet, the sign-out form's target…): built once, then reused by every page,
    which rendered about a dozen of them each time (issue 23)."""
    cache = current_app.extensions.setdefault("casework.fixed_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint, **values)
    return url


def id_path(endpoint: str, key: str) -> str:
    """The path of ``endpoint`` up to the id that ends it (« /dossiers/ » for
    ``cases.show``), for a list's links: ``{{ case_path }}{{ case.id }}``. A list of 25 rows
    built each link through werkzeug's URL builder (issue 23); the prefix is built once, as
    ``fixed_url`` builds the layout's URLs."""
    built = fixed_url(endpoint, **{key: "0"})
    if not built.endswith("/0"):
        raise ValueError(f"{endpoint}'s {key} does not end its path: {built}")
    return built[:-1]
