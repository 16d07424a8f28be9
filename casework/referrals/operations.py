"""Service layer for referrals: ranked suggestions, lifecycle, consent gate, disclosure register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from casework.cases.models import Case, Person
from casework.cases.operations import current_consent
from casework.cases.retention import ANONYMOUS, run
from casework.core import audit
from casework.core.domain import Conflict, DomainError, StaleEdit
from casework.core.events import ExtensionPoint, emit
from casework.core.pagination import Page, paginate
from casework.core.permissions import Scope, region_ids, scope_for
from casework.extensions import db
from casework.plans.models import PlanAction
from casework.plans.operations import latest_completed_assessment
from casework.plans.rules import REFERRABLE_SERVICES
from casework.reference.languages import language_name
from casework.reference.models import HostCity, Need, Organisation, Region
from casework.referrals import outcomes
from casework.referrals.approval import approval_required
from casework.referrals.events import ReferralStatusChanged
from casework.referrals.models import Disclosure, Referral, ReferralEvent

DEDICATED_ORGANISATION = {
    "francisation_quebec": "francisation_quebec",
    "mtess": "mtess",
    "qualifications_quebec": "qualifications_quebec",
}
OPEN_STATUSES = ("submitted", "returned", "approved", "sent", "accepted")

STATUSES = {
    "draft": _l("Draft"),
    "submitted": _l("Awaiting review"),
    "returned": _l("Returned to the agent"),
    "approved": _l("Approved"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "completed": _l("Completed"),
    "not_completed": _l("Not completed"),
}
# What the button that makes each move says.
MOVE_LABELS = {
    "submitted": _l("Submit for review"),
    "approved": _l("Approve"),
    "returned": _l("Return to the agent"),
    "sent": _l("Send to the organisation"),
    "accepted": _l("Accept"),
    "declined": _l("Decline"),
    "completed": _l("Mark as completed"),
    "not_completed": _l("Mark as not completed"),
}
NOT_COMPLETED_REASONS = {
    "person_refused": _l("The person refused"),
    "unreachable": _l("Unable to contact the person"),
    "no_capacity": _l("No capacity"),
    "no_longer_needed": _l("No longer needed"),
    "other": _l("Other"),
}


@dataclass(frozen=True)
class Transition:
    role: str
    needs_comment: bool = False
    # True: only when the region requires an advisor's approval for the referral's kind;
    # False: only when it does not (referrals.approval); None: either way.
    approval: bool | None = None


# The lifecycle: which role may move a referral from one status to the next.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "submitted"): Transition("agent", approval=True),
    ("returned", "submitted"): Transition("agent", approval=True),
    ("draft", "sent"): Transition("agent", approval=False),
    ("returned", "sent"): Transition("agent", approval=False),
    ("submitted", "approved"): Transition("advisor"),
    ("submitted", "returned"): Transition("advisor", needs_comment=True),
    ("approved", "sent"): Transition("agent"),
    ("sent", "accepted"): Transition("partner"),
    ("sent", "declined"): Transition("partner", needs_comment=True),
    ("accepted", "completed"): Transition("partner"),
    ("accepted", "not_completed"): Transition("partner"),
}


class ReferralError(DomainError):
    """A rule about referrals was broken (the referral is left as it was)."""


class InvalidTransition(Conflict):
    """The referral is not in a status that allows this move, or not for this role (409)."""


# --- Suggestions ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    organisation: Organisation
    score: int
    reasons: list[str] = field(default_factory=list)
    serves_region: bool = True


def open_loads() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Referral.organisation_id, func.count(Referral.id))
            .where(Referral.status.in_(OPEN_STATUSES))
            .group_by(Referral.organisation_id)
        ).all()
    )


def suggest(case: Case, action: PlanAction) -> list[Suggestion]:
    """Organisations ranked by fit for ``action``, each with the reasons; same input, same order.

    Only organisations of a kind allowed for the need's domain are offered (seed/domains.yaml);
    a PASI action only to PASI partners of the right volet, a regionalisation action only to the
    regionalisation network."""
    person: Person = case.person
    need = db.session.get(Need, action.need_id) if action.need_id else None
    domain = need.domain if need else None
    host_city = db.session.scalar(
        select(HostCity.id).where(HostCity.name == person.destination_city)
    )
    organisations = db.session.scalars(
        select(Organisation)
        .options(
            selectinload(Organisation.regions),
            selectinload(Organisation.volets),
            selectinload(Organisation.domains),
        )
        .where(Organisation.active.is_(True))
    ).all()
    volets = wanted_volets(person, domain.code if domain else None, host_city)
    kinds = set(domain.organisation_kinds) if domain is not None else None
    loads = open_loads()
    suggestions = []
    for organisation in organisations:
        if not eligible(organisation, action.service, kinds, volets):
            continue
        suggestions.append(
            _score(organisation, case, person, action.service, domain, volets, loads)
        )
    return sorted(suggestions, key=lambda s: (-s.score, s.organisation.name, s.organisation.id))


def eligible(
    organisation: Organisation, service: str, kinds: set[str] | None, volets: set[int]
) -> bool:
    """Whether ``organisation`` may be offered for an action orienting to ``service`` in a
    domain that allows ``kinds``; a PASI action wants a partner of one of ``volets``."""
    if kinds is not None and organisation.kind not in kinds:
        return False
    dedicated = DEDICATED_ORGANISATION.get(service)
    if dedicated is not None:
        return organisation.code == dedicated
    if service == "regionalisation":
        return organisation.regionalisation
    if service == "pasi_partner":
        return organisation.kind == "pasi_partner" and bool(
            volets.intersection(volet.number for volet in organisation.volets)
        )
    return organisation.code not in DEDICATED_ORGANISATION.values()


def _score(organisation, case, person, service, domain, volets, loads) -> Suggestion:
    domain_code = domain.code if domain is not None else None
    dedicated = DEDICATED_ORGANISATION.get(service)
    suggestion = Suggestion(organisation, 0)
    reasons = suggestion.reasons
    if dedicated is not None:
        suggestion.score += 50
        reasons.append(str(_l("The service this action orients to")))
    if service == "regionalisation":
        suggestion.score += 50
        reasons.append(str(_l("Regionalisation services for people settling outside Montréal")))
    if organisation.province_wide:
        suggestion.score += 20
        reasons.append(str(_l("Serves all of Québec")))
    elif organisation.serves_region(case.region_id):
        suggestion.score += 40
        region = next(r for r in organisation.regions if r.id == case.region_id)
        reasons.append(str(_l("Serves the region (%(region)s)", region=region.label)))
    elif service != "regionalisation":
        suggestion.serves_region = False
        reasons.append(str(_l("Outside the person's region")))
    _by_city(suggestion, person)
    matching = sorted(volets.intersection(v.number for v in organisation.volets))
    if matching:
        suggestion.score += 15
        reasons.append(str(_l("PASI component %(n)d", n=matching[-1])))
    if organisation.is_illustrative("placeholder"):
        suggestion.score -= 30
        reasons.append(str(_l("Illustrative placeholder: the action plan names no partner here")))
    if domain_code and domain_code in {d.code for d in organisation.domains}:
        suggestion.score += 15
        reasons.append(str(_l("Works in this domain")))
    shared = [code for code in person.languages_spoken if code in (organisation.languages or [])]
    if shared and shared != ["fr"]:
        suggestion.score += 10
        names = ", ".join(language_name(code) for code in shared)
        reasons.append(str(_l("Speaks the person's languages (%(codes)s)", codes=names)))
    load = loads.get(organisation.id, 0)
    if organisation.capacity:
        ratio = load / organisation.capacity
        suggestion.score -= min(20, int(ratio * 20))
        reasons.append(
            str(
                _l(
                    "Load: %(open)d open for a capacity of %(capacity)d",
                    open=load,
                    capacity=organisation.capacity,
                )
            )
        )
    return suggestion


CITY_BONUS = 15
OTHER_CITIES_PENALTY = 10


def _by_city(suggestion: Suggestion, person: Person) -> None:
    """Within its region an organisation may serve some cities only (empty list: all of them)."""
    city = person.city or person.destination_city
    serves = suggestion.organisation.serves_city(city)
    if serves is True:
        suggestion.score += CITY_BONUS
        suggestion.reasons.append(str(_l("Serves the city of %(city)s", city=city)))
    elif serves is False:
        suggestion.score -= OTHER_CITIES_PENALTY
        suggestion.reasons.append(str(_l("Serves other cities than %(city)s", city=city)))


# The PASI volets of each domain's needs: the PASI has organisations take part in
# Accompagnement Québec « pour les domaines de l'installation et de la vie collective »
# (l. 603–605), the first through volet 1 (l. 591, 607), the second also through volet 2, the
# full participation (l. 593). Volet 3 is the reception of government-assisted refugees in
# their host city (l. 595–596), volet 4 the support of asylum seekers (l. 598).
DOMAIN_VOLETS = {"settlement": {1}, "community": {1, 2}}


def wanted_volets(person: Person, domain_code: str | None, host_city: int | None) -> set[int]:
    """The PASI volets whose partners may take a PASI action for this person and domain."""
    volets = set(DOMAIN_VOLETS.get(domain_code or "", set()))
    if person.immigration_category == "gar" and host_city is not None:
        volets.add(3)
    if person.immigration_category == "asylum":
        volets.add(4)
    return volets


# --- Creating and moving referrals ------------------------------------------------------------


def create(
    actor: Any,
    case: Case,
    action: PlanAction,
    organisation: Organisation | None,
    override_reason: str | None,
    interest: str | None = None,
    availability: str | None = None,
    note: str | None = None,
) -> Referral:
    """A draft referral for a plan action; an organisation outside the region needs a reason.
    ``note`` is the agent's word to the reviewer and the organisation (sent with the referral)."""
    if action.plan.case_id != case.id or action.plan.is_draft:
        raise ReferralError(_l("Refer from an action of the finalised plan."))
    if action.service not in REFERRABLE_SERVICES:
        raise ReferralError(_l("This action does not orient to an organisation."))
    offered = {suggestion.organisation.id for suggestion in suggest(case, action)}
    if organisation is None or organisation.id not in offered:
        raise ReferralError(_l("Choose an organisation from the list."), "organisation_id")
    override_reason = _text(override_reason, "override_reason")
    note = _text(note, "note")
    outside = not organisation.serves_region(case.region_id)
    # Regionalisation organisations work from Montréal for people settling elsewhere: being
    # outside the person's destination region is their purpose, not an exception.
    if outside and action.service != "regionalisation" and not override_reason:
        raise ReferralError(
            _l(
                "This organisation does not serve the person's region: give the reason to refer there anyway."
            ),
            "override_reason",
        )
    details = None
    if organisation.code == "mtess":
        details = requalification_details(case, interest, availability)
    referral = Referral(
        kind="requalification" if details else "service",
        details=details or {},
        case_id=case.id,
        plan_action_id=action.id,
        organisation_id=organisation.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        purpose=action.label[:200],
        override_reason=override_reason if outside else None,
        note=note,
    )
    referral.events.append(ReferralEvent(actor_id=actor.id, from_status=None, to_status="draft"))
    db.session.add(referral)
    db.session.flush()
    audit.record(
        actor, "referral.created", case, referral_id=referral.id, organisation_id=organisation.id
    )
    return referral


def _text(value: str | None, field_name: str, limit: int = 2000) -> str | None:
    value = (value or "").strip() or None
    if value and len(value) > limit:
        raise ReferralError(_l("At most %(max)d characters.", max=limit), field_name)
    return value


# The statuses in which the agent may still change what the referral says.
REVISABLE = ("draft", "returned")


def revise(
    actor: Any,
    referral: Referral,
    note: str | None,
    override_reason: str | None,
    expected_version: int,
) -> list[str]:
    """The agent changes the note (and the reason for an organisation outside the region) of a
    draft or returned referral; returns the fields changed. Reviewed referrals stay as reviewed."""
    if referral.version != expected_version:
        raise StaleEdit()
    if referral.status not in REVISABLE or actor.role != "agent":
        raise InvalidTransition()
    note = _text(note, "note")
    override_reason = _text(override_reason, "override_reason")
    outside = not referral.organisation.serves_region(referral.region_id)
    if referral.override_reason and outside and not override_reason:
        raise ReferralError(
            _l("Give the reason to refer outside the person's region."), "override_reason"
        )
    wanted = {"note": note, "override_reason": override_reason if outside else None}
    changed = [name for name, value in wanted.items() if getattr(referral, name) != value]
    for name in changed:
        setattr(referral, name, wanted[name])
    if changed:
        try:
            db.session.flush()
        except StaleDataError as error:
            raise StaleEdit() from error
        audit.record(
            actor, "referral.revised", referral.case, referral_id=referral.id, fields=changed
        )
    return changed


def follow_case(case: Case) -> None:
    """Referrals follow their case when it moves to another agent (scopes are checked on them)."""
    db.session.execute(
        update(Referral)
        .where(Referral.case_id == case.id)
        .values(agent_id=case.agent_id, region_id=case.region_id)
        .execution_options(synchronize_session="fetch")
    )


INTEREST_LEVELS = {
    "high": _l("Strong interest"),
    "medium": _l("Some interest"),
    "low": _l("Mild interest"),
}
INTEREST_POINTS = {"high": 3, "medium": 2, "low": 1}
PRIORITY_LABELS = {"high": _l("High"), "medium": _l("Moderate"), "low": _l("Low")}


def offers_requalification(case: Case, action: PlanAction) -> bool:
    """An MTESS action for a person whose completed assessment records interest (Encadré 8)."""
    assessment = latest_completed_assessment(case)
    return (
        action.service == "mtess" and assessment is not None and assessment.requalification_interest
    )


def history(referral: Referral) -> list[ReferralEvent]:
    return list(
        db.session.scalars(
            select(ReferralEvent)
            .options(joinedload(ReferralEvent.actor))
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        )
    )


def requalification_details(
    case: Case, interest: str | None, availability: str | None
) -> dict | None:
    """What the MTESS referral states (Encadré 8), or None when the assessment records no interest.

    The priority adds the demand for the targeted occupation to the person's interest level:
    none off the in-demand list, one point on it, more for the ranks an administrator set (the
    document's list is unranked, « notamment »: no score comes from its printed order).
    """
    from casework.reference.lookup import occupation_by_code

    assessment = latest_completed_assessment(case)
    if assessment is None or not assessment.requalification_interest:
        return None
    if interest not in INTEREST_LEVELS:
        raise ReferralError(_l("Say how strong the person's interest is."), "interest")
    availability = (availability or "").strip()
    if not availability or len(availability) > 300:
        raise ReferralError(
            _l("Give the person's availability (at most 300 characters)."), "availability"
        )
    target = occupation_by_code(assessment.target_cnp)
    score = occupation_demand(target) + INTEREST_POINTS[interest]
    person = case.person
    return {
        "current_occupation": assessment.current_occupation,
        "current_cnp": assessment.current_cnp,
        "target_cnp": assessment.target_cnp,
        "target_title": target.title if target else None,
        "french_level": person.french_level_self,
        "french_scale": person.french_level_scale,
        "availability": availability,
        "interest": interest,
        "priority_score": score,
        "priority": "high" if score >= 4 else "medium" if score >= 2 else "low",
    }


def occupation_demand(target: Any) -> int:
    """0 off the in-demand list; 1 on it, unranked; 1 + the ranks below it when ranked."""
    from casework.reference.models import Occupation

    if target is None or not target.active:
        return 0
    if target.priority is None:
        return 1
    ranked = db.session.scalar(
        select(func.count(Occupation.id)).where(
            Occupation.active.is_(True), Occupation.priority.is_not(None)
        )
    )
    return 1 + max(0, (ranked or 0) - target.priority + 1)


def todo_statuses(role: str) -> tuple[str, ...]:
    """The statuses a role has a next step from: its « à traiter »."""
    return tuple(
        dict.fromkeys(frm for (frm, _to), rule in TRANSITIONS.items() if rule.role == role)
    )


TODO = "todo"  # the queue's filter for todo_statuses(role)


def allowed_moves(user: Any, referral: Referral) -> list[str]:
    candidates = [
        (to, rule)
        for (frm, to), rule in TRANSITIONS.items()
        if frm == referral.status and rule.role == user.role
    ]
    if any(rule.approval is not None for _to, rule in candidates):
        required = approval_required(referral.region_id, referral.kind)
        candidates = [(to, r) for to, r in candidates if r.approval in (None, required)]
    return [to for to, _rule in candidates]


def consent_purpose(referral: Referral) -> str:
    return "share_mtess" if referral.organisation.code == "mtess" else "share_partner"


def add_outcome(actor: Any, referral: Referral, outcome: outcomes.OutcomeValues) -> None:
    """What a completed referral led to later (« training finished » months after the
    completion, then « job obtained »), reported by the organisation that completed it: the
    same checks and audit as at completion, a new row (the earlier ones stay)."""
    if referral.status != "completed" or actor.role != TRANSITIONS[("accepted", "completed")].role:
        raise InvalidTransition()
    family = outcomes.family_of(referral)
    if family is None:
        raise ReferralError(_l("This referral has no outcome to record."))
    outcomes.record(actor, referral, outcome, source="partner")


def move(
    actor: Any,
    referral: Referral,
    to_status: str,
    comment: str | None,
    expected_version: int,
    reason: str | None = None,
    outcome: outcomes.OutcomeValues | None = None,
) -> None:
    """One step of the lifecycle, recorded with who and when; anything else is refused. A
    completion may carry what it led to (``outcome``: enrolled, training, job), checked before
    anything is stored."""
    if referral.version != expected_version:
        raise StaleEdit()
    rule = TRANSITIONS.get((referral.status, to_status))
    if rule is None or rule.role != actor.role:
        raise InvalidTransition()
    if rule.approval is not None and rule.approval != approval_required(
        referral.region_id, referral.kind
    ):
        raise InvalidTransition()
    comment = (comment or "").strip() or None
    if comment and len(comment) > 2000:
        raise ReferralError(_l("At most %(max)d characters.", max=2000), "comment")
    if to_status == "not_completed":
        if reason not in NOT_COMPLETED_REASONS:
            raise ReferralError(_l("Say why the referral was not completed."), "reason")
        comment = f"{NOT_COMPLETED_REASONS[reason]}{' — ' + comment if comment else ''}"
    if rule.needs_comment and not comment:
        raise ReferralError(_l("A comment is needed for this decision."), "comment")
    family = outcomes.family_of(referral) if outcome is not None else None
    if outcome is not None:
        if to_status != "completed" or family is None:
            raise ReferralError(_l("This referral has no outcome to record."))
        outcomes.validate(family, outcome)
    if to_status == "sent":
        _disclose(actor, referral)
    previous = referral.status
    transition = ReferralEvent(
        actor_id=actor.id, from_status=previous, to_status=to_status, comment=comment
    )
    referral.events.append(transition)
    referral.status = to_status
    referral.last_comment = comment
    db.session.flush()
    audit.record(actor, f"referral.{to_status}", referral.case, referral_id=referral.id)
    if outcome is not None:
        outcomes.record(actor, referral, outcome, source="partner")
    emit(
        ReferralStatusChanged(
            case_id=referral.case_id,
            referral_id=referral.id,
            previous=previous,
            status=to_status,
            transition_id=transition.id,
        )
    )


def _disclose(actor: Any, referral: Referral) -> None:
    # The agent's note goes with the referral: the register says so when there is one.
    notes = ["note"] if referral.note else []
    disclose(actor, referral, ["identity", "contact", "languages", "need", *notes])


def disclose(actor: Any, referral: Referral, categories: list[str]) -> Disclosure:
    """The consent gate: nothing leaves without an express consent in force for the purpose.
    Records what goes to the referral's organisation in the register of disclosures."""
    purpose = consent_purpose(referral)
    consent = current_consent(referral.case, purpose)
    if consent is None:
        raise ReferralError(
            _l(
                "The person has not consented to this disclosure. Record their consent for this purpose first."
            )
        )
    disclosure = Disclosure(
        referral_id=referral.id,
        case_id=referral.case_id,
        organisation_id=referral.organisation_id,
        disclosed_by_id=actor.id,
        categories=categories,
        legal_basis=f"consent:{purpose}",
        consent_id=consent.id,
    )
    db.session.add(disclosure)
    return disclosure


# --- Lists ----------------------------------------------------------------------------------


def visible(user: Any, ids_only: bool = False) -> Select:
    """The referrals ``user`` may see, newest first (their ids only, when ``ids_only``)."""
    if ids_only:
        statement = select(Referral.id)
    else:
        statement = select(Referral).options(
            joinedload(Referral.organisation), joinedload(Referral.case).joinedload(Case.person)
        )
    return statement.where(*_scope(user)).order_by(Referral.updated_at.desc(), Referral.id.desc())


def referrals_in_order(referral_ids: list[int]) -> list[Referral]:
    """The referrals ``referral_ids`` names, in that order, with their organisation, case and
    person: one query for a page of ids chosen by a cheaper one."""
    loaded = db.session.scalars(
        select(Referral)
        .options(
            joinedload(Referral.organisation), joinedload(Referral.case).joinedload(Case.person)
        )
        .where(Referral.id.in_(referral_ids))
    ).unique()
    by_id = {referral.id: referral for referral in loaded}
    return [by_id[referral_id] for referral_id in referral_ids]


def _scope(user: Any) -> tuple:
    scope = scope_for(user.role, "referrals.read")
    if scope is Scope.CASELOAD:
        return (Referral.agent_id == user.id,)
    if scope is Scope.REGION:
        return (Referral.region_id.in_(region_ids(user)),)
    if scope is Scope.ORGANISATION:
        return (
            Referral.organisation_id == user.organisation_id,
            Referral.status.in_(("sent", "accepted", "declined", "completed", "not_completed")),
        )
    return (Referral.id.is_(None),)


def status_counts(user: Any, unchanged_since: Any = None) -> dict[str, int]:
    """How many referrals ``user`` sees in each status (one query); with ``unchanged_since``,
    only those not changed since then (the queue's « unchanged for » filter)."""
    statement = (
        select(Referral.status, func.count(Referral.id))
        .where(*_scope(user))
        .group_by(Referral.status)
    )
    if unchanged_since is not None:
        statement = statement.where(Referral.updated_at <= unchanged_since)
    return dict(db.session.execute(statement).all())


@dataclass
class QueueFilters:
    status: str = ""
    organisation_id: int | None = None
    domain: str = ""
    waiting_days: int | None = None
    # The dashboard's funnel: first submitted between these UTC moments, and a stage reached.
    submitted_between: tuple[Any, Any] | None = None
    reached: str = ""


# The stages the dashboard's funnel counts, in order. Stage names, not statuses: a column
# counts the referrals that reached the stage.
STAGE_LABELS = {
    "submitted": _l("Submission"),
    "sent": _l("Sending"),
    "accepted": _l("Acceptance"),
    "declined": _l("Refusal"),
    "completed": _l("Completion"),
}
FUNNEL_STAGES = tuple(STAGE_LABELS)


def first_submitted_between(start: Any, end: Any) -> Select:
    """Ids of the referrals first submitted for review in [start, end) (UTC)."""
    submitted = ReferralEvent.to_status == "submitted"
    # A referral first submitted in the period was submitted in it: the period's submissions
    # bound the referrals whose first submission is looked up, whatever the history's length.
    submitted_then = select(ReferralEvent.referral_id).where(
        submitted, ReferralEvent.occurred_at >= start, ReferralEvent.occurred_at < end
    )
    first = (
        select(ReferralEvent.referral_id, func.min(ReferralEvent.occurred_at).label("at"))
        .where(submitted, ReferralEvent.referral_id.in_(submitted_then))
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    return select(first.c.referral_id).where(first.c.at >= start, first.c.at < end)


@dataclass(frozen=True)
class QueueBadge:
    """A badge on the referrals of the queue that another feature picks out (reminders: « no
    answer yet »); ``find`` gets the page's referral ids and returns those that carry it."""

    name: str
    label: Any
    find: Callable[[list[int]], set[int]]


QUEUE_BADGES: ExtensionPoint[QueueBadge] = ExtensionPoint(
    "referrals.queue_badges", "badges on the referrals queue from the features built on referrals"
)


def queue_badges(referral_ids: list[int]) -> list[tuple[Any, set[int]]]:
    """Each badge's label and the referrals of ``referral_ids`` that carry it (one query each)."""
    return [(badge.label, badge.find(referral_ids)) for badge in QUEUE_BADGES]


def queue_page(user: Any, filters: QueueFilters, number: int) -> Page:
    """One page of the queue. The sort reads ids only (a directorate's advisor sorts the 3,400
    submitted referrals of four regions to show 25); the referrals shown are then read with
    their organisation, case and person (issue 23)."""
    page = paginate(queue(user, filters, ids_only=True), number)
    return replace(page, items=referrals_in_order(page.items))


def queue(user: Any, filters: QueueFilters, now=None, ids_only: bool = False) -> Select:
    """``visible(user)`` narrowed by the queue's filters."""
    from datetime import timedelta

    from casework.core.time import utcnow
    from casework.reference.models import Domain

    statement = visible(user, ids_only)
    if filters.status in STATUSES:
        statement = statement.where(Referral.status == filters.status)
    elif filters.status == TODO:
        statement = statement.where(Referral.status.in_(todo_statuses(user.role)))
    if filters.organisation_id:
        statement = statement.where(Referral.organisation_id == filters.organisation_id)
    if filters.domain:
        statement = statement.where(
            Referral.plan_action_id.in_(
                select(PlanAction.id)
                .join(Need, Need.id == PlanAction.need_id)
                .join(Domain, Domain.id == Need.domain_id)
                .where(Domain.code == filters.domain)
            )
        )
    if filters.waiting_days:
        limit = (now or utcnow()) - timedelta(days=filters.waiting_days)
        statement = statement.where(Referral.updated_at <= limit)
    if filters.submitted_between:
        statement = statement.where(
            Referral.id.in_(first_submitted_between(*filters.submitted_between))
        )
    if filters.reached in FUNNEL_STAGES:
        statement = statement.where(
            Referral.id.in_(
                select(ReferralEvent.referral_id).where(ReferralEvent.to_status == filters.reached)
            )
        )
    return statement


@dataclass
class BulkOutcome:
    """What a decision on a selection did: the referrals moved, and those left as they were."""

    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def approve_many(actor: Any, versions: dict[int, int]) -> BulkOutcome:
    """Approve the submitted referrals given (id → version seen)."""
    return _decide_many(actor, versions, "approved", None)


def return_many(actor: Any, versions: dict[int, int], comment: str | None) -> BulkOutcome:
    """Return the submitted referrals given (id → version seen) to their agents, one comment
    for all; each records who, when and the comment, and is audited like a single return."""
    comment = (comment or "").strip()
    if not comment:
        raise ReferralError(
            _l("Write a comment for the agents: it tells them what to change."), "comment"
        )
    if len(comment) > 2000:
        raise ReferralError(_l("At most %(max)d characters.", max=2000), "comment")
    return _decide_many(actor, versions, "returned", comment)


def _decide_many(
    actor: Any, versions: dict[int, int], to_status: str, comment: str | None
) -> BulkOutcome:
    """Each referral is moved on its own: one that moved meanwhile, lies outside the reviewer's
    region or is not awaiting review is skipped (and rolled back alone), the others are moved."""
    from casework.core.permissions import in_scope

    outcome = BulkOutcome()
    scope = scope_for(actor.role, "referrals.transition")
    for referral_id, seen in sorted(versions.items()):
        referral = db.session.get(Referral, referral_id)
        if referral is None or scope is None or not in_scope(actor, scope, referral):
            outcome.skipped.append(referral_id)
            continue
        try:
            with db.session.begin_nested():
                move(actor, referral, to_status, comment, seen)
        except (StaleEdit, StaleDataError, InvalidTransition, DomainError):
            outcome.skipped.append(referral_id)
            continue
        outcome.done.append(referral_id)
    return outcome


@dataclass(frozen=True)
class OrganisationLoad:
    organisation: Organisation
    open: int
    median_response_days: float | None


def response_days(referral_ids: Select | None = None) -> dict[int, list[float]]:
    """Days from sending to the organisation's answer (accepted or declined), by organisation.

    ``referral_ids`` (a SELECT of referral ids) narrows the referrals counted; one query.
    """
    sent = (
        select(ReferralEvent.referral_id, ReferralEvent.occurred_at)
        .where(ReferralEvent.to_status == "sent")
        .subquery()
    )
    statement = (
        select(Referral.organisation_id, sent.c.occurred_at, ReferralEvent.occurred_at)
        .join(sent, sent.c.referral_id == Referral.id)
        .join(ReferralEvent, ReferralEvent.referral_id == Referral.id)
        .where(ReferralEvent.to_status.in_(("accepted", "declined")))
    )
    if referral_ids is not None:
        statement = statement.where(Referral.id.in_(referral_ids))
    delays: dict[int, list[float]] = {}
    for organisation_id, sent_at, answered_at in db.session.execute(statement):
        delays.setdefault(organisation_id, []).append(
            (answered_at - sent_at).total_seconds() / 86400
        )
    return delays


def median_days(delays: list[float] | None) -> float | None:
    from statistics import median

    return round(median(delays), 1) if delays else None


def organisation_loads(user: Any) -> list[OrganisationLoad]:
    """Open referrals against capacity, and the median days from sending to an answer."""
    statement = (
        select(Organisation)
        .options(selectinload(Organisation.regions))
        .where(Organisation.active.is_(True))
    )
    if scope_for(user.role, "referrals.review") is Scope.REGION:
        statement = statement.where(
            Organisation.regions.any(Region.id.in_(region_ids(user))) | ~Organisation.regions.any()
        )
    organisations = db.session.scalars(statement.order_by(Organisation.name)).all()
    loads = open_loads()
    delays = response_days()
    return [
        OrganisationLoad(o, loads.get(o.id, 0), median_days(delays.get(o.id)))
        for o in organisations
    ]


def referred_organisations(case: Case) -> dict[int, Organisation]:
    """The organisation each action of the case's plans was referred to (the latest referral)."""
    return {r.plan_action_id: r.organisation for r in of_case(case) if r.plan_action_id}


def of_case(case: Case) -> list[Referral]:
    return list(
        db.session.scalars(
            select(Referral)
            .options(joinedload(Referral.organisation))
            .where(Referral.case_id == case.id)
            .order_by(Referral.id)
        )
    )


def anonymise_cases(case_ids: tuple[int, ...]) -> None:
    """Retention: what was written in these cases' referrals goes; organisations, dates and
    outcomes stay (statistics), and so does the disclosure register."""
    referrals = select(Referral.id).where(Referral.case_id.in_(case_ids))
    run(
        update(Referral)
        .where(Referral.id.in_(referrals))
        .values(purpose=ANONYMOUS, last_comment=None, override_reason=None, note=None, details={})
    )
    run(update(ReferralEvent).where(ReferralEvent.referral_id.in_(referrals)).values(comment=None))
