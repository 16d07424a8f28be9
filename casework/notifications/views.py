"""Notifications pages: the list, opening one (its link, checked), marking read, preferences;
and the header's unread count."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casework.core import audit
from casework.core.forms import confirmed, submitted
from casework.core.navigation import done
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import can, record_denial, requires
from casework.extensions import db
from casework.notifications import operations
from casework.notifications.forms import PreferencesForm
from casework.notifications.listeners import UNREAD
from casework.reminders import operations as reminders
from casework.reminders.models import Notification
from casework.reminders.tasks import mail_enabled

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def header_counter() -> dict:
    """The header's count of unread notifications: the session lookup's figure (counted with
    the session, on every signed-in request, listeners.py), counted again where it may be stale."""

    def unread_notifications() -> int:
        if UNREAD not in g:
            g.unread_notifications = _unread()
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


def _unread() -> int:
    if not can(current_user, "notifications.read"):
        return 0
    counted = current_user.session_figures.get(UNREAD)
    # Counted with the session, before the view: right unless the view changed them, as the
    # notifications' own pages do (read on opening) before some of them render.
    if counted is not None and request.blueprint != bp.name:
        return counted
    return reminders.unread_count(current_user)


@bp.context_processor
def helpers() -> dict:
    return {
        "describe": operations.describe,
        "comment_of": operations.comment,
        "kind_label": operations.kind_label,
    }


def _page_number() -> int:
    return parse_page_number(request.args.get("page"))


@bp.get("/")
@requires("notifications.read")
def index():
    page = paginate(operations.listing(current_user), _page_number())
    # What the page shows of cases (numbers, a comment) is a read like any list's.
    ids = [notification.id for notification in page.items]
    audit.record(current_user, "notifications.read", target_type="notification", ids=ids)
    return render_template(
        "notifications/index.html", page=page, unread=reminders.unread_count(current_user)
    )


def _own(notification_id: int) -> Notification:
    """The user's notification, or 404: someone else's is not theirs to know of."""
    notification = operations.own(current_user, notification_id)
    if notification is None:
        abort(404)
    return notification


@bp.get("/<int:notification_id>")
@requires("notifications.read")
def open_one(notification_id: int):
    """Follow a notification's link: read now; there if the user may still see it, otherwise
    a 403 that says why (the case went to another agent, the object is gone)."""
    notification = _own(notification_id)
    target = operations.target(current_user, notification)
    if target is not None and target.allowed:
        operations.mark_read(current_user, notification)
        return redirect(_url_of(target, notification))
    if operations.handed_over(notification, target):
        operations.mark_read(current_user, notification)
        return done(operations.handed_over_message(notification), url_for("cases.index"), "info")
    return _unavailable(notification_id, target)


def _unavailable(notification_id: int, target: operations.Target | None):
    """The notification, read, on a page that says why its object is out of reach (403, the
    refusal recorded) or gone (404)."""
    if target is not None and target.object is not None:
        record_denial(target.action, target.object)
    notification = _own(notification_id)  # the refusal's record started a new transaction
    operations.mark_read(current_user, notification)
    db.session.flush()  # a page's writes wait for its commit: the header counts it read already
    status = 403 if target is not None and target.object is not None else 404
    page = render_template(
        "notifications/unavailable.html",
        notification=notification,
        target=target,
        status=status,
    )
    return page, status


def _url_of(target: operations.Target, notification: Notification) -> str:
    obj = target.object
    if target.type == "referral":
        return url_for("referrals.show", referral_id=obj.id)
    if target.type == "transfer":
        return url_for("transfers.index")
    if target.type == "case":
        return url_for("cases.show", case_id=obj.id)
    if target.type == "appointment":
        return url_for("appointments.show", appointment_id=obj.id)
    tab = "failed" if obj.status == "failed" else "overdue"
    if notification.kind == "reminder":
        return url_for("reminders.index")
    return url_for("reminders.index", tab=tab, agent=obj.agent_id)


@bp.post("/<int:notification_id>/lue")
@requires("notifications.read")
def mark_read(notification_id: int):
    confirmed()
    notification = _own(notification_id)
    operations.mark_read(current_user, notification)
    return done(_("Marked as read."), url_for(".index", page=_page_number()))


@bp.post("/tout-lu")
@requires("notifications.read")
def mark_all_read():
    confirmed()
    count = operations.mark_all_read(current_user)
    message = ngettext(
        "%(num)d notification marked as read.", "%(num)d notifications marked as read.", count
    )
    return done(message, url_for(".index"))


@bp.route("/preferences", methods=["GET", "POST"])
@requires("notifications.read")
def preferences():
    form = PreferencesForm()
    kinds = operations.kinds_for(current_user)
    form.fill(operations.preferences(current_user), kinds)
    page = partial(
        render_template,
        "notifications/preferences.html",
        form=form,
        kinds=kinds,
        mail_enabled=mail_enabled(),
    )
    if not submitted(form, page):
        return page()
    changed = operations.save_preferences(current_user, form.values())
    message = _("Preferences saved.") if changed else _("Nothing changed.")
    return done(message, url_for(".preferences"))
