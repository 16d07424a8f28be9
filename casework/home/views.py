"""Home page per role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from casework.core.permissions import requires
from casework.home.cards import cards_for

bp = Blueprint("home", __name__)


@bp.get("/")
@requires("home.view")
def index():
    return render_template("home/index.html", cards=cards_for(current_user.role_enum))
