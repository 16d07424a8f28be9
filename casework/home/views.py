"""Home page per role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from casework.appointments import operations as appointment_operations
from casework.cases import choices
from casework.core.permissions import requires
from casework.core.roles import Role
from casework.home.cards import cards_for
from casework.home.figures import figures_for
from casework.reference.places import place_choices
from casework.reference.revision import REFERENCE_REVISION
from casework.reports import operations as reports

bp = Blueprint("home", __name__)


@bp.get("/")
@requires("home.view")
def index():
    if current_user.role == Role.AIRPORT.value:
        return redirect(url_for("airport.console"))  # the counter's whole job is there
    agent = current_user.role == Role.AGENT.value
    summary = reports.agent_home(current_user) if agent else None
    return render_template(
        "home/index.html",
        cards=cards_for(current_user.role_enum),
        upcoming=appointment_operations.upcoming(current_user.id) if agent else [],
        summary=summary,
        figures=figures_for(current_user, summary),
        statuses=choices.STATUSES,
        modes=appointment_operations.MODES,
        # The reader's region and service point named from the kept lists: loaded through the
        # user, they cost a query or none depending on which appointments the page had read.
        places=place_choices(current_user.session_figures.get(REFERENCE_REVISION)),
    )
