"""Sign-in, sign-out, own password, and account administration (admin role)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from casework.auth import operations, second_factor
from casework.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    EditUserForm,
    EnrolForm,
    LoginForm,
    SecondFactorRolesForm,
    UserFilterForm,
    UserForm,
    role_choices,
)
from casework.auth.models import User
from casework.core.forms import ConfirmForm, confirmed, submitted
from casework.core.navigation import done, safe_next
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import load_or_abort, public, requires
from casework.core.time import utcnow
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
        target = safe_next(request.args.get("next"), url_for("home.index"))
        if result.second_step is not None:
            return _await_second_step(result.user, result.second_step, target)
        if result.user is not None:
            return redirect(_start_session(result.user, target))
        return _refused_sign_in(form, locked=result.locked)
    return render_template("auth/login.html", form=form)


def _refused_sign_in(form: LoginForm, locked: bool):
    """The sign-in page again: locked out for a while (429), or not the right pair (401)."""
    if locked:
        flash(lockout_message(), "error")
    else:
        flash(_("Incorrect username or password."), "error")
    return render_template("auth/login.html", form=form), 401 if not locked else 429


def lockout_message() -> str:
    minutes = int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
    return _("Too many failed attempts. Wait %(minutes)d minutes, then try again.", minutes=minutes)


def _fresh_cookie() -> None:
    """A fresh cookie at each step of a sign-in: nothing planted before it survives, the CSRF
    secret included (and the token Flask-WTF derived from it for this request)."""
    locale = session.get("locale")
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if locale:
        session["locale"] = locale


def _start_session(user: User, target: str) -> str:
    """Sign ``user`` in this browser (the session row is open); where they go next."""
    _fresh_cookie()
    login_user(user)
    if user.must_change_password:
        return url_for("auth.change_password")
    return target


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


# --- The second factor ---------------------------------------------------------------------
#
# After a right password, a user who has a second factor (or must set one up) is not signed in
# yet: the signed session cookie remembers who, since when and where they were going, for a few
# minutes; the code page (or the set-up page) finishes the sign-in.

PENDING = "second_factor_pending"
PENDING_LIFETIME = timedelta(minutes=10)


def _await_second_step(user: User, step: operations.SecondStep, target: str) -> Response:
    _fresh_cookie()
    session[PENDING] = {"user": user.id, "since": utcnow().isoformat(), "next": target}
    if step is operations.SecondStep.CODE:
        return redirect(url_for("auth.second_factor_code"))
    return redirect(url_for("auth.enrol_at_sign_in"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        since = datetime.fromisoformat(str(pending.get("since")))
        user_id = int(pending.get("user"))
    except (TypeError, ValueError):
        return None
    if utcnow() - since > PENDING_LIFETIME:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _restart_sign_in() -> Response:
    session.pop(PENDING, None)
    flash(_("Sign in again: the sign-in was not finished in time."), "info")
    return redirect(url_for("auth.login"))


def _finish_sign_in(user: User, factor: str) -> str:
    """Open the session once the code is right; where the person goes next."""
    target = safe_next(session.get(PENDING, {}).get("next"), url_for("home.index"))
    operations.complete_sign_in(user, factor)
    return _start_session(user, target)


def _refused_code(outcome: second_factor.Outcome, form, page):
    if outcome.check is second_factor.CodeCheck.THROTTLED:
        flash(lockout_message(), "error")
        return page(), 429
    form.code.errors = [_("This code is not valid. Check it and try again.")]
    return page(), 401


@bp.route("/connexion/code", methods=["GET", "POST"])
@public
def second_factor_code():
    user = _pending_user()
    if user is None:
        return _restart_sign_in()
    form = CodeForm()
    page = partial(render_template, "auth/code.html", form=form)
    if not form.validate_on_submit():
        return page()
    outcome = second_factor.verify(
        user, form.code.data, request.remote_addr or "-", throttle_policy()
    )
    if outcome.check is not second_factor.CodeCheck.ACCEPTED:
        return _refused_code(outcome, form, page)
    target = _finish_sign_in(user, "recovery_code" if outcome.recovery_code_used else "totp")
    _warn_when_recovery_code_used(user, outcome)
    return redirect(target)


def _warn_when_recovery_code_used(user: User, outcome) -> None:
    """Signed in with a recovery code: say how many are left."""
    if not outcome.recovery_code_used:
        return
    left = second_factor.recovery_codes_left(user)
    flash(
        ngettext("Recovery code used: %(num)d left.", "Recovery code used: %(num)d left.", left),
        "warning",
    )


def _enrol_page(user: User, form: EnrolForm, at_sign_in: bool):
    secret = second_factor.start_enrolment(user)
    return partial(
        render_template,
        "auth/enrol.html",
        form=form,
        secret=second_factor.grouped(secret),
        qr_code=second_factor.qr_code_svg(second_factor.provisioning_uri(user, secret)),
        at_sign_in=at_sign_in,
        cancel_url=None if at_sign_in else url_for("auth.account_second_factor"),
    )


def _confirm(user: User, form: EnrolForm, page):
    outcome = second_factor.confirm_enrolment(
        user, form.code.data, request.remote_addr or "-", throttle_policy()
    )
    if outcome.check is not second_factor.CodeCheck.ACCEPTED:
        return None, _refused_code(outcome, form, page)
    return outcome.recovery_codes, None


@bp.route("/connexion/deuxieme-facteur", methods=["GET", "POST"])
@public
def enrol_at_sign_in():
    """A user whose role requires a second factor sets it up before their first session."""
    user = _pending_user()
    if user is None:
        return _restart_sign_in()
    form = EnrolForm()
    page = _enrol_page(user, form, at_sign_in=True)
    if not form.validate_on_submit():
        return page()
    codes, refused = _confirm(user, form, page)
    if refused:
        return refused
    target = _finish_sign_in(user, "totp")
    return render_template("auth/recovery_codes.html", codes=codes, next_url=target)


@bp.get("/compte/deuxieme-facteur")
@requires("account.manage")
def account_second_factor():
    factor = second_factor.factor_of(current_user)
    enrolled = factor is not None and factor.confirmed_at is not None
    return render_template(
        "auth/second_factor.html",
        factor=factor,
        enrolled=enrolled,
        required=second_factor.is_required(current_user),
        codes_left=second_factor.recovery_codes_left(current_user) if enrolled else 0,
        form=ConfirmForm(),
    )


@bp.route("/compte/deuxieme-facteur/activer", methods=["GET", "POST"])
@requires("account.manage")
def enrol_second_factor():
    if second_factor.is_enrolled(current_user):
        return account_second_factor()  # already set up: what there is to do with it
    form = EnrolForm()
    page = _enrol_page(current_user, form, at_sign_in=False)
    if not form.validate_on_submit():
        return page()
    codes, refused = _confirm(current_user, form, page)
    if refused:
        return refused
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account_second_factor")
    )


@bp.post("/compte/deuxieme-facteur/codes")
@requires("account.manage")
def renew_recovery_codes():
    confirmed()
    refusals_go_to(url_for("auth.account_second_factor"))
    codes = second_factor.renew_recovery_codes(current_user)
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account_second_factor")
    )


@bp.post("/compte/deuxieme-facteur/desactiver")
@requires("account.manage")
def turn_off_second_factor():
    confirmed()
    refusals_go_to(url_for("auth.account_second_factor"))
    second_factor.turn_off(current_user)
    return done(_("The second factor is turned off."), url_for("auth.account_second_factor"))


# --- Account administration --------------------------------------------------------------


def _user_form(obj: User | None = None) -> UserForm:
    form = EditUserForm(obj=obj) if obj is not None else UserForm()
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    points = db.session.scalars(
        select(ServicePoint).options(joinedload(ServicePoint.region)).order_by(ServicePoint.name)
    ).all()
    organisations = db.session.scalars(
        select(Organisation)
        .options(selectinload(Organisation.regions))
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
        phone=form.phone.data or None,
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


def _user_page(form, user: User) -> partial:
    return partial(
        render_template,
        "auth/user_form.html",
        form=form,
        user=user,
        has_second_factor=second_factor.factor_of(user) is not None,
    )


@admin_bp.route("/<int:user_id>/modifier", methods=["GET", "POST"])
@requires("users.manage")
def edit(user_id: int):
    user = load_or_abort(User, user_id, "users.manage")
    form = _user_form(obj=user)
    if request.method == "GET":
        form.version.data = user.version
    page = _user_page(form, user)
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


@admin_bp.route("/<int:user_id>/deuxieme-facteur", methods=["GET", "POST"])
@requires("users.manage")
def reset_second_factor(user_id: int):
    return _confirmed_action(user_id, "reset_second_factor")


@bp.route("/admin/deuxieme-facteur", methods=["GET", "POST"])
@requires("users.manage")
def second_factor_roles():
    """The roles an administrator requires a second factor of, beyond those that always do."""
    form = SecondFactorRolesForm()
    form.roles.choices = role_choices()
    page = partial(
        render_template,
        "auth/second_factor_roles.html",
        form=form,
        roles=role_choices(),
        required=second_factor.required_roles(),
        mandatory={role.value for role in second_factor.MANDATORY_ROLES},
    )
    if not submitted(form, page):
        return page()
    changed = second_factor.set_required_roles(current_user, set(form.roles.data or ()))
    message = _("Roles saved.") if changed else _("No change to save.")
    return done(message, url_for("auth.second_factor_roles"))


def _confirmed_action(user_id: int, action: str):
    """Show a confirmation page on GET; act on POST."""
    user = load_or_abort(User, user_id, "users.manage")
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form, user=user, action=action)
    refusals_go_to(url_for("users.index"))
    if action == "reset_second_factor":
        second_factor.reset(current_user, user)
        return done(
            _(
                "Second factor reset: %(name)s sets up a new one at the next sign-in.",
                name=user.full_name,
            ),
            url_for("users.edit", user_id=user.id),
        )
    if action == "reset":
        temporary = operations.force_password_reset(current_user, user)
        return render_template(
            "auth/temporary_password.html", user=user, password=temporary, created=False
        )
    operations.set_active(current_user, user, active=(action == "enable"))
    message = _("Account disabled.") if action == "disable" else _("Account re-enabled.")
    return done(message, url_for("users.index"))
