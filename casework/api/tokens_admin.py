"""The administrators' pages for API tokens: list, issue (shown once), revoke."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from casework.api import tokens
from casework.api.models import ApiToken
from casework.auth.models import User
from casework.core.forms import BaseForm, ConfirmForm, max_length, required, submitted
from casework.core.navigation import done
from casework.core.permissions import load_or_abort, requires
from casework.core.time import local_to_utc, local_today, utcnow
from casework.core.unit_of_work import refusals_go_to
from casework.extensions import db
from casework.reference.models import Organisation

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/jetons-api")


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class TokenForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[required(), max_length(120)],
        description=_l("Which system uses it, e.g. « CiviCRM of the organisation »."),
    )
    organisation_id = SelectField(
        _l("Partner organisation"),
        coerce=_optional_int,
        validators=[Optional()],
        description=_l("The token acts for the organisation: its referrals only."),
    )
    user_id = SelectField(
        _l("Or a user account"),
        coerce=_optional_int,
        validators=[Optional()],
        description=_l("The token acts as this person, with their role and scope."),
    )
    scopes = SelectMultipleField(
        _l("Permissions"),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Choose at least one permission."))],
    )
    expires_on = DateField(_l("Expires on"), validators=[required()])
    rate_limit = IntegerField(
        _l("Requests a minute"),
        default=tokens.DEFAULT_RATE_LIMIT,
        validators=[required(), NumberRange(min=1, max=10_000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.option_widget = CheckboxInput()
        self.scopes.choices = [(code, str(label)) for code, label in tokens.SCOPES.items()]
        organisations = db.session.scalars(
            select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
        )
        self.organisation_id.choices = [("", "—")] + [(o.id, o.name) for o in organisations]
        users = db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.username)
        )
        self.user_id.choices = [("", "—")] + [
            (u.id, f"{u.username} ({u.role_label})") for u in users
        ]
        if self.expires_on.data is None:
            self.expires_on.data = local_today() + timedelta(days=90)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if bool(self.organisation_id.data) == bool(self.user_id.data):
            message = str(tokens.ONE_HOLDER)
            self.organisation_id.errors = [*self.organisation_id.errors, message]
            return False
        return valid


@bp.get("/")
@requires("api_tokens.manage")
def index():
    return render_template(
        "api/tokens.html", tokens=tokens.listed(), scopes=tokens.SCOPES, now=utcnow()
    )


def _issued_to(form: TokenForm) -> dict[str, Any]:
    """Whom the token is for, until when (the end of the chosen day) and at what rate."""
    end_of_day = datetime.combine(form.expires_on.data + timedelta(days=1), time())
    return {
        "expires_at": local_to_utc(end_of_day),
        "user": db.session.get(User, form.user_id.data) if form.user_id.data else None,
        "organisation": (
            db.session.get(Organisation, form.organisation_id.data)
            if form.organisation_id.data
            else None
        ),
        "rate_limit": form.rate_limit.data,
    }


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("api_tokens.manage")
def create():
    form = TokenForm()
    page = partial(render_template, "api/token_form.html", form=form)
    if not submitted(form, page):
        return page()
    issued = tokens.create(
        current_user, form.name.data, list(form.scopes.data or ()), **_issued_to(form)
    )
    # Shown once; the unit of work commits after rendering (as a temporary password).
    return render_template("api/token_issued.html", token=issued.token, secret=issued.secret)


@bp.route("/<int:token_id>/revoquer", methods=["GET", "POST"])
@requires("api_tokens.manage")
def revoke(token_id: int):
    token = load_or_abort(ApiToken, token_id, "api_tokens.manage")
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("api/token_revoke.html", form=form, token=token)
    refusals_go_to(url_for("api_tokens.index"))
    tokens.revoke(current_user, token)
    return done(_("Token revoked: it no longer opens the API."), url_for("api_tokens.index"))
