"""Service layer for action plans. No request, no flash; the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from casework.assessments.models import OPEN_LEVELS, Assessment
from casework.cases.choices import CONSENT_PURPOSES
from casework.cases.household import values_attestation_members
from casework.cases.models import Case
from casework.cases.operations import current_consent
from casework.cases.retention import run
from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.events import ExtensionPoint, emit
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.plans.events import PlanActionStatusChanged, PlanFinalised
from casework.plans.models import ACTION_STATUSES, ASSIGNEES, Plan, PlanAction
from casework.plans.rules import Rule, RuleBook, load_rules
from casework.reference.models import Need

LABEL_MAX = 300
DUE_HORIZON = timedelta(days=3 * 365)
# An action still to do: its due date reminds the agent (see reminders).
OPEN_ACTION_STATUSES = ("todo", "in_progress")


class PlanError(DomainError):
    """A rule about action plans was broken."""


def rules() -> RuleBook:
    return load_rules(current_app.config["SEED_DIR"])


def plans_of(case: Case) -> list[Plan]:
    return list(
        db.session.scalars(select(Plan).where(Plan.case_id == case.id).order_by(Plan.number.desc()))
    )


def _newest_plan(case: Case, *conditions) -> Plan | None:
    return db.session.scalar(
        select(Plan)
        .options(selectinload(Plan.actions))
        .where(Plan.case_id == case.id, *conditions)
        .order_by(Plan.number.desc())
        .limit(1)
    )


def latest(case: Case) -> Plan | None:
    return _newest_plan(case)


def latest_final(case: Case) -> Plan | None:
    """The plan being followed up: the newest finalised version (a newer draft may exist)."""
    return _newest_plan(case, Plan.status == "final")


def followed_or_draft(case: Case) -> Plan | None:
    """The plan being followed, or the first draft when none is final yet (two queries)."""
    return db.session.scalar(
        select(Plan)
        .options(selectinload(Plan.actions))
        .where(Plan.case_id == case.id)
        .order_by((Plan.status == "final").desc(), Plan.number.desc())
        .limit(1)
    )


def version(case: Case, number: int) -> Plan | None:
    return _newest_plan(case, Plan.number == number)


def latest_completed_assessment(case: Case) -> Assessment | None:
    return db.session.scalar(
        select(Assessment)
        .options(selectinload(Assessment.needs))
        .where(Assessment.case_id == case.id, Assessment.status == "completed")
        .order_by(Assessment.number.desc())
        .limit(1)
    )


def generate(actor: Any, case: Case, today: date | None = None) -> tuple[Plan, bool]:
    """A draft plan from the rules and the latest completed assessment.

    An open draft is returned as it is. A new version keeps, for actions that come back
    unchanged (same need, same label), the status and due date of the previous version.
    """
    current = latest(case)
    if current is not None and current.is_draft:
        return current, False
    assessment = latest_completed_assessment(case)
    if assessment is None:
        raise PlanError(_l("Complete a needs assessment before building the plan."))
    today = today or local_today()
    plan = Plan(
        case_id=case.id,
        number=(current.number + 1) if current else 1,
        assessment_id=assessment.id,
        created_by_id=actor.id,
    )
    plan.actions = _actions_from_rules(assessment, rules(), today, case)
    _carry_over(current, plan.actions)
    try:
        with db.session.begin_nested():
            db.session.add(plan)
    except IntegrityError as error:
        if "number" not in str(error.orig):
            raise
        return latest(case), False  # another tab generated this version a moment ago
    audit.record(actor, "plan.generated", case, plan_id=plan.id, number=plan.number)
    return plan, True


def _actions_from_rules(
    assessment: Assessment, book: RuleBook, today: date, case: Case | None = None
) -> list[PlanAction]:
    needs = {
        need.id: need
        for need in db.session.scalars(
            select(Need).options(selectinload(Need.domain)).order_by(Need.domain_id, Need.position)
        )
    }
    assessed = sorted(
        (row for row in assessment.needs if row.level in OPEN_LEVELS),
        key=lambda row: (
            -OPEN_LEVELS.index(row.level),
            needs[row.need_id].domain.position,
            needs[row.need_id].position,
        ),
    )
    actions = []
    for row in assessed:
        need = needs[row.need_id]
        rule = book.for_need(need.domain.code, need.code)
        if rule is None:
            continue
        due = today + timedelta(days=book.offsets[row.level])
        for template, label, label_en in _templates(rule, case, today):
            actions.append(
                PlanAction(
                    position=len(actions),
                    need_id=need.id,
                    level=row.level,
                    objective=rule.objective,
                    objective_en=rule.objective_en,
                    label=label[:LABEL_MAX],
                    label_en=label_en[:LABEL_MAX] if label_en else None,
                    service=template.service,
                    assignee=template.assignee,
                    consent_purpose=template.consent,
                    due_on=due,
                )
            )
    return actions


def _templates(rule: Rule, case: Case | None, today: date):
    """The rule's actions, then its member action once for each household member the values
    attestation concerns (their own age and category: plan, l. 898–902)."""
    for template in rule.actions:
        yield template, template.label, template.label_en
    if rule.member_action is None or case is None:
        return
    template = rule.member_action
    for due in values_attestation_members(case, today):
        member = due.member
        name = " ".join(filter(None, (member.given_names, member.family_name)))
        yield (
            template,
            template.label.replace("{member}", name),
            template.label_en.replace("{member}", name) if template.label_en else None,
        )


def _carry_over(previous: Plan | None, actions: list[PlanAction]) -> None:
    """Keep what the agent did on the previous version: the follow-up, dates and assignees of
    actions that come back, and the actions they added by hand that are not finished."""
    if previous is None:
        return
    before = {(a.need_id, a.label): a for a in previous.actions}
    for action in actions:
        earlier = before.get((action.need_id, action.label))
        if earlier is not None:
            action.status, action.abandon_reason = earlier.status, earlier.abandon_reason
            action.due_on, action.assignee = earlier.due_on, earlier.assignee
    for earlier in previous.actions:
        if earlier.need_id is None and earlier.status in ("todo", "in_progress"):
            actions.append(
                PlanAction(
                    position=len(actions),
                    objective=earlier.objective,
                    objective_en=earlier.objective_en,
                    label=earlier.label,
                    label_en=earlier.label_en,
                    service=earlier.service,
                    assignee=earlier.assignee,
                    due_on=earlier.due_on,
                    status=earlier.status,
                )
            )


def _draft(plan: Plan, expected_version: int | None = None) -> None:
    if not plan.is_draft:
        raise PlanError(_l("A finalised plan cannot be edited; build a new version."))
    if expected_version is not None and plan.version != expected_version:
        raise StaleEdit()


def _touch(plan: Plan) -> None:
    # Changing only child rows must still move the plan's version, so other tabs see a conflict.
    plan.updated_at = utcnow()


def _check_due(due_on: date | None, field: str, position: int | None = None) -> None:
    """A due date being set must lie between today and three years from now."""
    today = local_today()
    if due_on is not None and not (today <= due_on <= today + DUE_HORIZON):
        if position is None:
            raise PlanError(_l("Choose a due date between today and three years from now."), field)
        raise PlanError(
            _l(
                "Action %(n)d: choose a due date between today and three years from now.",
                n=position,
            ),
            field,
        )


@dataclass
class NewAction:
    label: str
    objective: str
    due_on: date | None
    assignee: str
    service: str = "none"


def add_action(
    actor: Any, case: Case, plan: Plan, values: NewAction, expected_version: int
) -> PlanAction:
    _draft(plan, expected_version)
    label, objective = values.label.strip(), values.objective.strip()
    if not label or len(label) > LABEL_MAX:
        raise PlanError(_l("Describe the action in at most 300 characters."), "label")
    if not objective or len(objective) > LABEL_MAX:
        raise PlanError(_l("Give the objective in at most 300 characters."), "objective")
    if values.assignee not in ASSIGNEES:
        raise PlanError(_l("Not a valid choice."), "assignee")
    if values.service not in rules().services:
        raise PlanError(_l("Not a valid choice."), "service")
    _check_due(values.due_on, "due_on")
    action = PlanAction(
        position=len(plan.actions),
        objective=objective,
        label=label,
        service=values.service,
        assignee=values.assignee,
        due_on=values.due_on,
    )
    plan.actions.append(action)
    _touch(plan)
    db.session.flush()
    audit.record(actor, "plan.action_added", case, plan_id=plan.id, action_id=action.id)
    return action


def _action(plan: Plan, action_id: int) -> PlanAction:
    for action in plan.actions:
        if action.id == action_id:
            return action
    raise PlanError(_l("This action is not in this plan."))


def remove_action(
    actor: Any, case: Case, plan: Plan, action_id: int, expected_version: int
) -> None:
    _draft(plan, expected_version)
    action = _action(plan, action_id)
    plan.actions.remove(action)
    for position, remaining in enumerate(plan.actions):
        remaining.position = position
    _touch(plan)
    audit.record(actor, "plan.action_removed", case, plan_id=plan.id, action_id=action_id)


def move_action(
    actor: Any, case: Case, plan: Plan, action_id: int, step: int, expected_version: int
) -> None:
    """Move an action one place up (step -1) or down (step +1)."""
    _draft(plan, expected_version)
    action = _action(plan, action_id)
    ordered = list(plan.actions)
    index = ordered.index(action)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    _touch(plan)
    audit.record(actor, "plan.action_moved", case, plan_id=plan.id, action_id=action_id)


def update_schedule(
    actor: Any,
    case: Case,
    plan: Plan,
    changes: dict[int, tuple[date | None, str]],
    expected_version: int,
) -> list[int]:
    """New due dates and assignees for the draft's actions; returns the ids that changed."""
    _draft(plan, expected_version)
    changed = []
    for action_id, (due_on, assignee) in changes.items():
        action = _action(plan, action_id)
        if due_on != action.due_on:
            _check_due(due_on, f"due_{action_id}", action.position + 1)
        if assignee not in ASSIGNEES:
            raise PlanError(_l("Not a valid choice."), f"assignee_{action_id}")
        if (action.due_on, action.assignee) != (due_on, assignee):
            action.due_on, action.assignee = due_on, assignee
            changed.append(action_id)
    if changed:
        _touch(plan)
        audit.record(actor, "plan.scheduled", case, plan_id=plan.id, action_ids=changed)
    return changed


def finalise(actor: Any, case: Case, plan: Plan, expected_version: int) -> None:
    _draft(plan, expected_version)
    if not plan.actions:
        raise PlanError(_l("A plan needs at least one action before it is finalised."))
    plan.status = "final"
    plan.finalised_at = utcnow()
    plan.finalised_by_id = actor.id
    emit(PlanFinalised(case_id=case.id, plan_id=plan.id))
    audit.record(actor, "plan.finalised", case, plan_id=plan.id, number=plan.number)


def set_action_status(
    actor: Any,
    case: Case,
    plan: Plan,
    action_id: int,
    status: str,
    reason: str | None,
    expected_version: int | None = None,
) -> None:
    """Follow up an action of the finalised plan; abandoning needs a reason."""
    if plan.is_draft:
        raise PlanError(_l("Finalise the plan before following up its actions."))
    if expected_version is not None and plan.version != expected_version:
        raise StaleEdit()
    if status not in ACTION_STATUSES:
        raise PlanError(_l("Not a valid choice."), "status")
    reason = (reason or "").strip() or None
    if status == "abandoned" and not reason:
        raise PlanError(_l("Say why the action is abandoned."), "reason")
    if reason and len(reason) > 2000:
        raise PlanError(_l("At most %(max)d characters.", max=2000), "reason")
    action = _action(plan, action_id)
    needed = action.consent_purpose if status == "done" else None
    if needed and current_consent(case, needed) is None:
        raise PlanError(
            _l(
                "This action is done only with the person's consent (%(purpose)s). Record "
                "their consent first.",
                purpose=CONSENT_PURPOSES[needed],
            ),
            "status",
        )
    previous = action.status
    action.status = status
    action.abandon_reason = reason if status == "abandoned" else None
    action.status_changed_at = utcnow()
    action.status_changed_by_id = actor.id
    _touch(plan)
    emit(
        PlanActionStatusChanged(
            case_id=case.id, plan_id=plan.id, action_id=action_id, previous=previous, status=status
        )
    )
    audit.record(
        actor,
        "plan.action_status",
        case,
        plan_id=plan.id,
        action_id=action_id,
        status=status,
        previous=previous,
    )


def set_statuses(
    actor: Any,
    case: Case,
    plan: Plan,
    action_ids: list[int],
    status: str,
    reason: str | None,
    expected_version: int,
) -> int:
    """Give several actions of the finalised plan one status at once, at the version the agent
    saw (a stale page is a 409 for all of them, none is changed). Returns how many changed."""
    if plan.is_draft:
        raise PlanError(_l("Finalise the plan before following up its actions."))
    if plan.version != expected_version:
        raise StaleEdit()
    if not action_ids:
        raise PlanError(_l("Select at least one action."), "actions")
    changed = 0
    for action_id in dict.fromkeys(action_ids):
        action = _action(plan, action_id)
        if action.status == status and status != "abandoned":
            continue
        set_action_status(actor, case, plan, action_id, status, reason)
        changed += 1
    return changed


# --- Where each action sends the person -------------------------------------------------------

# The printed plan tells the person where to go for each step. The plan knows the service; the
# features built on plans may know the very organisation (referrals: the one the action was
# referred to). Each finder returns {action id: organisation}; later finders win.
ACTION_PLACES: ExtensionPoint[Callable[[Case], dict[int, Any]]] = ExtensionPoint(
    "plans.action_places", "the organisation each plan action sends the person to (printed plan)"
)


def action_places(case: Case) -> dict[int, Any]:
    places: dict[int, Any] = {}
    for finder in ACTION_PLACES:
        places.update(finder(case))
    return places


def delete_plans_of(case_ids: tuple[int, ...]) -> dict[str, int]:
    """Retention: these cases' plans (and their actions) go."""
    return {"plans": run(delete(Plan).where(Plan.case_id.in_(case_ids)))}
