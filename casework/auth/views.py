"""Sign-in, sign-out, own password, and account administration (admin role)."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.auth import operations
from casework.auth.forms import (
    ChangePasswordForm,
    EditUserForm,
    LoginForm,
    UserFilterForm,
    UserForm,
    role_choices,
)
from casework.auth.models import User
from casework.core.forms import ConfirmForm, submitted
from casework.core.navigation import done, safe_next
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import load_or_abort, public, requires
from casework.core.unit_of_work import refusals_go_to
from casework.extensions import db
from casework.reference.models import Organisation, Region, ServicePoint

bp = Blueprint("auth", __name__)
admin_bp = Blueprint("users", __name__, url_prefix="/admin/utilisateurs")


def throttle_policy() -> operations.ThrottlePolicy:
    config = current_app.config
    return operations.ThrottlePolicy(
        max_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        max_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=config["LOGIN_LOCKOUT"],
    )


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = operations.sign_in(
            form.username.data, form.password.data, request.remote_addr or "-", throttle_policy()
        )
        if result.user is not None:
            return _start_session(result.user)
        if result.locked:
            flash(lockout_message(), "error")
        else:
            flash(_("Incorrect username or password."), "error")
        return render_template("auth/login.html", form=form), 401 if not result.locked else 429
    return render_template("auth/login.html", form=form)


def lockout_message() -> str:
    minutes = int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
    return _("Too many failed attempts. Wait %(minutes)d minutes, then try again.", minutes=minutes)


def _start_session(user: User):
    locale = session.get("locale")
    target = safe_next(request.args.get("next"), url_for("home.index"))
    # A fresh cookie at sign-in: nothing planted before authentication survives it.
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(target)


@bp.post("/deconnexion")
@requires("account.manage")
def logout():
    operations.sign_out(current_user, current_user.session_token)
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@requires("account.manage")
def change_password():
    form = ChangePasswordForm()
    page = partial(render_template, "auth/change_password.html", form=form)
    if not submitted(form, page):
        return page()
    operations.change_own_password(current_user, form.current_password.data, form.new_password.data)
    return done(_("Your password has been changed."), url_for("home.index"))


# --- Account administration --------------------------------------------------------------


def _user_form(obj: User | None = None) -> UserForm:
    form = EditUserForm(obj=obj) if obj is not None else UserForm()
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    points = db.session.scalars(
        select(ServicePoint).options(joinedload(ServicePoint.region)).order_by(ServicePoint.name)
    ).all()
    organisations = db.session.scalars(
        select(Organisation)
        .options(joinedload(Organisation.region))
        .where(Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    form.fill_choices(regions, points, organisations)
    return form


def _fields_from(form: UserForm) -> operations.AccountFields:
    return operations.AccountFields(
        username=form.username.data,
        full_name=form.full_name.data,
        email=form.email.data or None,
        role=form.role.data,
        region_id=form.region_id.data,
        service_point_id=form.service_point_id.data,
        organisation_id=form.organisation_id.data,
    )


@admin_bp.get("/")
@requires("users.manage")
def index():
    filters = UserFilterForm(request.args)
    filters.role.choices = [("", _("All roles")), *role_choices()]
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    filters.region.choices = [("", _("All regions"))] + [(r.id, r.label) for r in regions]
    filters.validate()
    statement = operations.user_listing(
        search=(filters.q.data or "") if not filters.q.errors else "",
        role=filters.role.data if not filters.role.errors else "",
        region_id=filters.region.data if not filters.region.errors else None,
    )
    page = paginate(statement, parse_page_number(request.args.get("page")))
    return render_template("auth/users.html", page=page, filters=filters)


@admin_bp.route("/nouveau", methods=["GET", "POST"])
@requires("users.manage")
def create():
    form = _user_form()
    page = partial(render_template, "auth/user_form.html", form=form, user=None)
    if not submitted(form, page):
        return page()
    user, temporary = operations.create_user(current_user, _fields_from(form))
    # Shown once; the unit of work commits after rendering, so a password that could not be
    # saved is never shown.
    return render_template(
        "auth/temporary_password.html", user=user, password=temporary, created=True
    )


@admin_bp.route("/<int:user_id>/modifier", methods=["GET", "POST"])
@requires("users.manage")
def edit(user_id: int):
    user = load_or_abort(User, user_id, "users.manage")
    form = _user_form(obj=user)
    if request.method == "GET":
        form.version.data = user.version
    page = partial(render_template, "auth/user_form.html", form=form, user=user)
    if not submitted(form, page):
        return page()
    changed = operations.update_user(current_user, user, _fields_from(form), form.version.data)
    return done(
        _("Account updated.") if changed else _("No change to save."), url_for("users.index")
    )


@admin_bp.route("/<int:user_id>/desactiver", methods=["GET", "POST"])
@requires("users.manage")
def disable(user_id: int):
    return _confirmed_action(user_id, "disable")


@admin_bp.route("/<int:user_id>/reactiver", methods=["GET", "POST"])
@requires("users.manage")
def enable(user_id: int):
    return _confirmed_action(user_id, "enable")


@admin_bp.route("/<int:user_id>/reinitialiser", methods=["GET", "POST"])
@requires("users.manage")
def reset_password(user_id: int):
    return _confirmed_action(user_id, "reset")


def _confirmed_action(user_id: int, action: str):
    """Show a confirmation page on GET; act on POST."""
    user = load_or_abort(User, user_id, "users.manage")
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form, user=user, action=action)
    refusals_go_to(url_for("users.index"))
    if action == "reset":
        temporary = operations.force_password_reset(current_user, user)
        return render_template(
            "auth/temporary_password.html", user=user, password=temporary, created=False
        )
    operations.set_active(current_user, user, active=(action == "enable"))
    message = _("Account disabled.") if action == "disable" else _("Account re-enabled.")
    return done(message, url_for("users.index"))
