"""Needs assessment pages: current version, edit the draft, earlier versions, comparison."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.assessments import operations
from casework.assessments.forms import CompleteForm, build_form, highlighted, values_from
from casework.assessments.models import Assessment
from casework.cases.models import Case
from casework.cases.views import load_case, read_on_get
from casework.cases.views import template_context as case_file_context
from casework.core import audit
from casework.core.forms import ConfirmForm, confirmed, submitted
from casework.core.navigation import done
from casework.core.permissions import requires
from casework.core.unit_of_work import refusals_go_to
from casework.extensions import db

bp = Blueprint("assessments", __name__, url_prefix="/dossiers/<int:case_id>/evaluation")


def template_context() -> dict:
    """The case file's labels, and the levels of need (pages that show an assessment)."""
    return {**case_file_context(), "level_labels": operations.LEVEL_LABELS}


bp.context_processor(template_context)


def _version(case: Case, number: int) -> Assessment:
    assessment = db.session.scalar(
        select(Assessment)
        .options(selectinload(Assessment.needs), selectinload(Assessment.domain_notes))
        .where(Assessment.case_id == case.id, Assessment.number == number)
    )
    if assessment is None:
        abort(404)
    return assessment


def _render_version(case: Case, assessment: Assessment | None, versions: list[Assessment]):
    audit.record(
        current_user, "assessment.viewed", case, number=assessment.number if assessment else None
    )
    domains = operations.catalogue()
    return render_template(
        "assessments/show.html",
        case=case,
        assessment=assessment,
        versions=versions,
        domains=domains,
        levels={n.need_id: n for n in assessment.needs} if assessment else {},
        assets={d.domain_id: d.assets for d in assessment.domain_notes} if assessment else {},
        occupations={code: o for o in operations.occupations() for code in o.codes},
        start_form=ConfirmForm(),
    )


@bp.get("/")
@requires("assessments.read")
def current(case_id: int):
    case = load_case(case_id, "assessments.read")
    latest = operations.latest(case)
    return _render_version(case, latest, operations.assessments_of(case))


@bp.get("/<int:number>")
@requires("assessments.read")
def version(case_id: int, number: int):
    case = load_case(case_id, "assessments.read")
    assessment = _version(case, number)
    return _render_version(case, assessment, operations.assessments_of(case))


@bp.post("/nouvelle")
@requires("assessments.edit")
def start(case_id: int):
    case = load_case(case_id, "assessments.edit")
    confirmed()
    operations.start(current_user, case)
    return redirect(url_for("assessments.edit", case_id=case.id))


def _edit_page(case: Case, draft: Assessment, form, domains: list, occupations: list) -> partial:
    return partial(
        render_template,
        "assessments/edit.html",
        case=case,
        form=form,
        domains=domains,
        draft=draft,
        highlighted=highlighted(form, domains),
        occupations=occupations,
    )


@bp.route("/modifier", methods=["GET", "POST"])
@requires("assessments.edit")
def edit(case_id: int):
    case = load_case(case_id, "assessments.edit", read=read_on_get())
    draft = _draft_or_none(case)
    if draft is None:
        return _no_draft(case)
    domains, occupations = operations.catalogue(), operations.occupations()
    posted = request.form if request.method == "POST" else None
    form = build_form(domains, occupations, draft, formdata=posted)
    page = _edit_page(case, draft, form, domains, occupations)
    if not submitted(form, page, lambda: build_form(domains, operations.occupations(), draft)):
        if form.is_submitted():
            flash(_("The assessment was not saved: correct the fields marked below."), "error")
        return page()
    operations.save(current_user, draft, values_from(form, domains), form.version.data)
    return _after_save(case, draft)


def _after_save(case: Case, draft: Assessment):
    """On to the confirmation when the agent asked to review (if the draft is ready for it),
    else back to the draft."""
    if request.form.get("action") == "review":
        operations.check_ready(draft)
        return redirect(url_for("assessments.confirm", case_id=case.id))
    return done(_("Draft saved."), url_for("assessments.edit", case_id=case.id))


def _draft_or_none(case: Case) -> Assessment | None:
    draft = operations.latest(case)
    return draft if draft is not None and draft.is_draft else None


def _no_draft(case: Case):
    message = _("There is no draft to edit: start an assessment first.")
    return done(message, url_for("assessments.current", case_id=case.id), "info")


def _confirm_page(case: Case, draft: Assessment, form: CompleteForm) -> partial:
    return partial(
        render_template,
        "assessments/confirm.html",
        case=case,
        draft=draft,
        form=form,
        needs=operations.open_needs(draft, operations.catalogue()),
        occupations={o.cnp: o for o in operations.occupations()},
    )


@bp.route("/terminer", methods=["GET", "POST"])
@requires("assessments.edit")
def confirm(case_id: int):
    """What completing will record, then completion on the agent's confirmation."""
    case = load_case(case_id, "assessments.edit", read=read_on_get())
    draft = _draft_or_none(case)
    if draft is None:
        return _no_draft(case)
    form = CompleteForm(data={"version": draft.version})
    page = _confirm_page(case, draft, form)
    if not submitted(form, page):
        if request.method == "GET":
            refusals_go_to(url_for("assessments.edit", case_id=case.id))
            operations.check_ready(draft)
        return page()
    operations.complete(current_user, draft, form.version.data)
    return done(_("Assessment completed."), url_for("assessments.completed", case_id=case.id))


@bp.get("/terminee")
@requires("assessments.read")
def completed(case_id: int):
    """The confirmation of a completed assessment, and the next step: the plan."""
    case = load_case(case_id, "assessments.read")
    latest = operations.latest(case)
    if latest is None or latest.is_draft:
        return redirect(url_for("assessments.current", case_id=case.id))
    audit.record(current_user, "assessment.viewed", case, number=latest.number)
    return render_template(
        "assessments/completed.html",
        case=case,
        assessment=latest,
        needs=operations.open_needs(latest, operations.catalogue()),
        generate_form=ConfirmForm(),
    )


def _chosen_versions(numbers: list[int]) -> tuple[int, int]:
    """The newer and the older version asked for (the two latest by default; 404 if unknown)."""
    newer_number = request.args.get("a", type=int) or numbers[0]
    older_number = request.args.get("de", type=int) or numbers[1]
    if newer_number not in numbers or older_number not in numbers:
        abort(404)
    return newer_number, older_number


@bp.get("/comparer")
@requires("assessments.read")
def compare(case_id: int):
    case = load_case(case_id, "assessments.read")
    versions = operations.assessments_of(case)
    if len(versions) < 2:
        flash(_("There is only one version: nothing to compare yet."), "info")
        return redirect(url_for("assessments.current", case_id=case.id))
    numbers = [v.number for v in versions]
    newer_number, older_number = _chosen_versions(numbers)
    older, newer = _version(case, older_number), _version(case, newer_number)
    operations.compared(current_user, case, older, newer)
    return _compare_page(case, older, newer, numbers)


def _compare_page(case: Case, older: Assessment, newer: Assessment, numbers: list[int]) -> str:
    domains = operations.catalogue()
    return render_template(
        "assessments/compare.html",
        case=case,
        older=older,
        newer=newer,
        numbers=numbers,
        domains=domains,
        changes=operations.compare(older, newer, domains),
    )
