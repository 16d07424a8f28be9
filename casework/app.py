"""Application factory, assembled from small named steps."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_babel import get_locale, get_translations
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from casework import config as settings
from casework.core import conflicts, errors, security
from casework.core.db import configure_engine, register_page_reads
from casework.core.formats import shown_phone
from casework.core.forms import (
    choice_groups,
    forms_in_error,
    forms_script_needed,
    install_html_params,
)
from casework.core.fragments import remembered
from casework.core.i18n import (
    LOCALE_NAMES,
    day_filter,
    due_filter,
    format_clock,
    format_moment,
    html_lang,
    relative_day,
    select_locale,
    template_gettext,
    translated,
)
from casework.core.metrics import register_request_timing
from casework.core.navigation import fixed_url, id_path, main_navigation
from casework.core.pagination import page_url, query_string
from casework.core.permissions import can, enforce_policy
from casework.core.unit_of_work import CaseworkFlask
from casework.core.urls import redirect_old_paths
from casework.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(settings.PROJECT_ROOT / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = CaseworkFlask(__name__, instance_path=settings.instance_path().as_posix())
    app.url_map.converters["int"] = security.BoundedIntConverter
    app.config.update(settings.from_environment())
    app.config.update(config or {})
    configure_logging(app)
    configure_proxy(app)
    configure_db(app)
    register_listeners()
    configure_i18n(app)
    configure_auth(app)
    register_blueprints(app)
    register_request_guards(app)
    register_request_timing(app)
    register_template_helpers(app)
    register_error_handlers(app)
    return app


def configure_logging(app: Flask) -> None:
    # Messages carry ids and paths only; never names, dates of birth or query strings.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app.logger.setLevel(logging.INFO)


def configure_proxy(app: Flask) -> None:
    """Behind a load balancer, take the client address from X-Forwarded-For (throttling, audit).

    Only as many hops as configured are trusted; with none, the header is ignored so that a
    client cannot choose its own address.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)


def configure_db(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    with app.app_context():
        configure_engine(db.engine)
    register_page_reads(app)
    _import_models()


def _import_models() -> None:
    """Every model module, so that metadata (and Alembic autogenerate) sees all tables."""
    from casework.api import models as _api  # noqa: F401
    from casework.appointments import models as _appointments  # noqa: F401
    from casework.assessments import models as _assessments  # noqa: F401
    from casework.attachments import models as _attachments  # noqa: F401
    from casework.auth import models as _auth  # noqa: F401
    from casework.cases import models as _cases  # noqa: F401
    from casework.core import audit as _audit  # noqa: F401
    from casework.core import heartbeat as _heartbeat  # noqa: F401
    from casework.followups import models as _followups  # noqa: F401
    from casework.messages import models as _messages  # noqa: F401
    from casework.notifications import models as _notifications  # noqa: F401
    from casework.plans import models as _plans  # noqa: F401
    from casework.reference import models as _reference  # noqa: F401
    from casework.referrals import models as _referrals  # noqa: F401
    from casework.reminders import models as _reminders  # noqa: F401
    from casework.reports import models as _reports  # noqa: F401


def register_listeners() -> None:
    """Every feature's listeners.py: how it reacts to the domain events of the features it builds
    on, and what it adds to their extension points (docs/architecture.md). Here, and not in a
    view, so that the command line, the scheduler and the tests have them too."""
    from casework.appointments import listeners as _appointments  # noqa: F401
    from casework.assessments import listeners as _assessments  # noqa: F401
    from casework.attachments import listeners as _attachments  # noqa: F401
    from casework.cases import listeners as _cases  # noqa: F401
    from casework.followups import listeners as _followups  # noqa: F401
    from casework.messages import listeners as _messages  # noqa: F401
    from casework.notifications import listeners as _notifications  # noqa: F401
    from casework.plans import listeners as _plans  # noqa: F401
    from casework.referrals import listeners as _referrals  # noqa: F401
    from casework.reminders import listeners as _reminders  # noqa: F401
    from casework.reports import listeners as _reports  # noqa: F401


def configure_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)


def configure_auth(app: Flask) -> None:
    from casework.auth import loader  # noqa: F401  (registers the user loader)

    # Before the CSRF check, which is the first to read the body.
    app.before_request(security.apply_upload_limit)
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session row is the protection
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    from casework.api.tokens_admin import bp as api_tokens_bp
    from casework.api.web import register as register_api
    from casework.appointments.views import airport_bp
    from casework.appointments.views import bp as appointments_bp
    from casework.assessments.views import bp as assessments_bp
    from casework.attachments.views import bp as attachments_bp
    from casework.attachments.views import partner_bp as partner_documents_bp
    from casework.auth.views import admin_bp
    from casework.auth.views import bp as auth_bp
    from casework.cases.views import bp as cases_bp
    from casework.cases.views import transfers_bp
    from casework.core.audit_views import bp as audit_bp
    from casework.core.views import bp as core_bp
    from casework.followups.views import bp as followups_bp
    from casework.home.views import bp as home_bp
    from casework.messages.views import bp as messages_bp
    from casework.messages.views import case_bp as case_messages_bp
    from casework.notifications.views import bp as notifications_bp
    from casework.ops.metrics import bp as ops_bp
    from casework.plans.views import bp as plans_bp
    from casework.reference.views import bp as reference_bp
    from casework.referrals.views import bp as referrals_bp
    from casework.referrals.views import case_bp as case_referrals_bp
    from casework.reminders.views import bp as reminders_bp
    from casework.reports.views import bp as reports_bp

    for blueprint in (
        core_bp,
        auth_bp,
        admin_bp,
        home_bp,
        cases_bp,
        transfers_bp,
        assessments_bp,
        followups_bp,
        attachments_bp,
        partner_documents_bp,
        plans_bp,
        referrals_bp,
        case_referrals_bp,
        appointments_bp,
        airport_bp,
        reminders_bp,
        notifications_bp,
        messages_bp,
        case_messages_bp,
        reference_bp,
        reports_bp,
        audit_bp,
        ops_bp,
        api_tokens_bp,
    ):
        app.register_blueprint(blueprint)
    register_api(app)


PASSWORD_CHANGE_EXEMPT = frozenset(
    {"auth.change_password", "auth.logout", "static", "core.set_language", "core.healthz"}
)


def require_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_EXEMPT
    ):
        return redirect(url_for("auth.change_password"))
    return None


def register_request_guards(app: Flask) -> None:
    security.register(app)
    app.before_request(redirect_old_paths)
    app.before_request(enforce_policy)
    app.before_request(require_password_change)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    install_html_params()
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["translated"] = translated
    app.jinja_env.globals["query_string"] = query_string
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["dateformat"] = day_filter  # Flask-Babel's, a day formatted once
    app.jinja_env.filters["relative_day"] = relative_day
    app.jinja_env.filters["due_in_words"] = due_filter
    app.jinja_env.filters["phone"] = shown_phone
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["id_path"] = id_path
    app.jinja_env.globals["forms_in_error"] = forms_in_error
    app.jinja_env.globals["forms_script_needed"] = forms_script_needed
    app.jinja_env.globals["choice_groups"] = choice_groups
    app.jinja_env.globals["original_of"] = conflicts.original_of
    app.jinja_env.globals["changes_meanwhile"] = conflicts.changes_meanwhile
    app.jinja_env.globals["notes_meanwhile"] = conflicts.notes_meanwhile
    app.jinja_env.globals["remembered"] = remembered

    @app.context_processor
    def shell_context() -> dict[str, Any]:
        # Once per render: the user behind the proxy and the translations of the render's locale
        # (force_locale included), so that the layout's many `can` and `_` calls do not each go
        # through Flask-Login's and Flask-Babel's context lookups.
        user = current_user._get_current_object()
        locale = str(get_locale() or "fr_CA")
        role = user.role if getattr(user, "is_authenticated", False) else None
        return {
            # The object behind Flask-Login's proxy (this processor runs after its own): the
            # layout reads it a dozen times.
            "current_user": user,
            "can": lambda action: can(user, action),
            "current_locale": locale,
            "html_lang": html_lang(locale),
            "other_locales": {k: v for k, v in LOCALE_NAMES.items() if k != locale},
            "main_navigation": main_navigation(role, locale) if role else (),
            **template_gettext(get_translations()),
        }


def register_error_handlers(app: Flask) -> None:
    errors.register(app)
