"""The story of a demo case: its assessments, its timeline and its consents (pure).

What the agents write (notes, assets, timeline entries) comes from seed/demo/notes.yaml and the
shares from cases.yaml (illustrative values).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from babel import Locale

from casework.cases.operations import InteractionFields
from casework.demo.people import Identity, children_ages
from casework.demo.planning import (
    OPEN_LEVEL_NAMES,
    AssessmentPlan,
    CasePlan,
    CaseTables,
    ConsentPlan,
    Draw,
    Occupation,
    Setting,
    day_between,
    weighted,
    working_moment,
)

FRENCH = Locale.parse("fr_CA")
DOMAINS = ("settlement", "francisation", "community", "employment", "immigration")
MAX_INTERACTIONS = 12


@dataclass
class _Story:
    """Moments of one case, shared by the builders of its timeline."""

    opened_at: datetime
    end: datetime  # now, or the closing moment
    interview: date | None = None
    reassessed: date | None = None
    draft: date | None = None


def plan_story(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, draw: Draw
) -> None:
    """The assessments, timeline and consents of ``plan``, and why it closed when it did."""
    story = _Story(plan.opened_at, _end_of_story(rng, setting, plan))
    if plan.status == "closed":
        plan.closing_reason = weighted(rng, setting.tables.closing_reasons)
        plan.closing_summary = rng.choice(setting.tables.closing_summaries[plan.closing_reason])
    if plan.status != "new":
        _plan_assessments(rng, setting, person, plan, story, draw)
    plan.interactions = _timeline(rng, setting, person, plan, story)
    plan.consents = _consents(rng, setting.tables, plan, story, setting.today)


def _end_of_story(rng: random.Random, setting: Setting, plan: CasePlan) -> datetime:
    latest = setting.now - timedelta(minutes=10)
    if plan.status != "closed":
        return latest
    span = (latest - plan.opened_at).days
    return min(plan.opened_at + timedelta(days=rng.randint(60, max(span - 1, 60))), latest)


# --- Assessments ----------------------------------------------------------------------------


def _plan_assessments(
    rng: random.Random,
    setting: Setting,
    person: Identity,
    plan: CasePlan,
    story: _Story,
    draw: Draw,
) -> None:
    last_day = min(story.end.date(), setting.today)
    story.interview = min(plan.opened_at.date() + timedelta(days=rng.randint(0, 14)), last_day)
    first = _first_assessment(rng, setting, person, plan, story.interview)
    plan.assessments.append(first)
    if (last_day - story.interview).days >= 90 and draw.reassessment:
        story.reassessed = day_between(
            rng,
            story.interview + timedelta(days=90),
            min(story.interview + timedelta(days=180), last_day),
        )
        plan.assessments.append(_reassessment(rng, setting, first, story.reassessed))
    if plan.status in ("active", "on_hold") and draw.draft:
        previous = plan.assessments[-1]
        story.draft = day_between(rng, previous.interview_date, last_day)
        plan.assessments.append(_draft(rng, setting, previous, story.draft))


def _first_assessment(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, day: date
) -> AssessmentPlan:
    tables = setting.tables
    mode = weighted(rng, tables.interview_modes)
    occupation = _requalification(rng, setting, person)
    levels = _first_levels(rng, setting, person, plan, occupation is not None)
    language = person.interpreter_language
    remote = language is not None and (
        mode != "in_person" or rng.random() < _remote_chance(setting, plan.region)
    )
    return AssessmentPlan(
        levels=levels,
        notes=_need_notes(rng, tables, levels),
        assets=_assets(rng, tables, person, plan, occupation),
        interview_date=day,
        interview_mode=mode,
        interpreter_language=language,
        interpreter_remote=remote,
        interpretation_pilot=remote and plan.region in setting.pilot_regions,
        requalification_interest=occupation is not None,
        current_occupation=_occupation_title(occupation, person.gender) if occupation else None,
        current_cnp=occupation.cnp if occupation else None,
        target_cnp=_target_cnp(rng, setting, occupation) if occupation else None,
    )


def _remote_chance(setting: Setting, region: str) -> float:
    """The pilot's regions (seed/regions.yaml, mesures 4.5.2, 7.6.3, 13.1.2) interpret at a
    distance more often (illustrative shares)."""
    return 0.7 if region in setting.pilot_regions else 0.25


def _requalification(rng: random.Random, setting: Setting, person: Identity) -> Occupation | None:
    if person.category == "student" or person.age > 55 or not setting.target_cnps:
        return None
    tables = setting.tables
    return (
        rng.choice(tables.prior_occupations)
        if rng.random() < tables.requalification_chance
        else None
    )


def _occupation_title(occupation: Occupation, gender: str) -> str:
    return occupation.feminine if gender == "woman" else occupation.masculine


def _target_cnp(rng: random.Random, setting: Setting, occupation: Occupation) -> str:
    if occupation.target in setting.target_cnps:
        return occupation.target
    return rng.choice(setting.target_cnps)


def _first_levels(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, requalification: bool
) -> dict[str, str]:
    weights = _need_weights(person, plan, setting)
    low, high = setting.tables.open_needs_range[person.category]
    wanted = rng.randint(low, high)
    chosen = ["employment.requalification"] if requalification else []
    chosen = [key for key in chosen if key in setting.need_keys]
    while len(chosen) < wanted and any(w > 0 for k, w in weights.items() if k not in chosen):
        pool = {k: w for k, w in weights.items() if k not in chosen and w > 0}
        chosen.append(weighted(rng, pool))
    return {key: _level(rng, setting.tables, person, key) for key in chosen}


def _need_weights(person: Identity, plan: CasePlan, setting: Setting) -> dict[str, float]:
    ages = children_ages(plan, setting.today)
    spouse_here = any(member.relationship == "spouse" for member in plan.household)
    child_needs = setting.tables.child_needs
    weights = {}
    for key, weight in setting.tables.need_weights[person.category].items():
        if key not in setting.need_keys:
            continue
        if key in child_needs:
            low, high = child_needs[key]
            weight = weight if any(low <= a <= high for a in ages) else 0.0
        if key.startswith("francisation.") and not person.low_french:
            weight *= 0.5 if key == "francisation.specialised_course" else 0.05
        if key == "immigration.permanent_residence" and plan.person.permanent_residence_date:
            weight = 0.0
        if key == "immigration.family_sponsorship" and spouse_here:
            weight = 0.0
        weights[key] = weight
    return weights


def _level(rng: random.Random, tables: CaseTables, person: Identity, key: str) -> str:
    domain = key.split(".", 1)[0]
    if domain == "francisation":
        weights = tables.francisation_severity[person.french_level]
    else:
        weights = tables.severity[person.category][domain]
    return rng.choices(OPEN_LEVEL_NAMES, weights=weights)[0]


def _need_notes(
    rng: random.Random, tables: CaseTables, levels: Mapping[str, str]
) -> dict[str, str]:
    return {
        key: rng.choice(tables.need_notes[key])
        for key in levels
        if key in tables.need_notes and levels[key] != "none" and rng.random() < 0.4
    }


def _assets(
    rng: random.Random,
    tables: CaseTables,
    person: Identity,
    plan: CasePlan,
    occupation: Occupation | None,
) -> dict[str, str]:
    city = plan.person.city or ""
    country = tables.country_display.get(person.country) or FRENCH.territories.get(
        person.country, ""
    )
    texts = {
        "settlement": rng.choice(tables.assets["settlement"]),
        "francisation": _languages_asset(rng, tables, person),
        "community": rng.choice(tables.assets["community"]),
        "employment": _employment_asset(rng, tables, person, occupation),
        "immigration": rng.choice(tables.assets["immigration"]),
    }
    return {
        domain: texts[domain].format(city=city, country=country)
        for domain in DOMAINS
        if (domain == "employment" and occupation) or rng.random() < tables.asset_chance[domain]
    }


def _languages_asset(rng: random.Random, tables: CaseTables, person: Identity) -> str:
    if person.french_level == "beginner" and rng.random() < 0.4:
        return rng.choice(tables.assets["francisation"])
    names = [_language_name(code) for code in person.languages]
    if len(names) == 1:
        return f"Parle {names[0]} ; grande motivation à apprendre le français"
    return f"Parle {', '.join(names[:-1])} et {names[-1]}"


def _employment_asset(
    rng: random.Random, tables: CaseTables, person: Identity, occupation: Occupation | None
) -> str:
    if occupation is not None:
        return f"{occupation.diploma} ({{country}}) ; {rng.randint(3, 15)} ans d'expérience"
    return rng.choice(tables.assets["student" if person.category == "student" else "employment"])


def _reassessment(
    rng: random.Random, setting: Setting, previous: AssessmentPlan, day: date
) -> AssessmentPlan:
    levels = dict(previous.levels)
    for key, level in previous.levels.items():
        roll = rng.random()
        if roll < 0.45:
            levels[key] = "none"
        elif roll < 0.7 and level != "low":
            levels[key] = OPEN_LEVEL_NAMES[OPEN_LEVEL_NAMES.index(level) - 1]
    _open_new_needs(rng, setting, levels, rng.randint(0, 2))
    notes = {key: note for key, note in previous.notes.items() if levels.get(key, "none") != "none"}
    return replace(
        previous,
        levels=levels,
        notes=notes,
        interview_date=day,
        interview_mode=weighted(rng, setting.tables.interview_modes),
    )


def _open_new_needs(
    rng: random.Random, setting: Setting, levels: dict[str, str], wanted: int
) -> None:
    candidates = [
        key
        for key in setting.need_keys
        if levels.get(key, "none") == "none" and key.split(".")[0] in ("employment", "community")
    ]
    for key in rng.sample(candidates, min(wanted, len(candidates))):
        levels[key] = rng.choice(("low", "moderate"))
    while len([v for v in levels.values() if v != "none"]) < 2 and candidates:
        levels[candidates.pop(0)] = "low"


def _draft(
    rng: random.Random, setting: Setting, previous: AssessmentPlan, day: date
) -> AssessmentPlan:
    levels = dict(previous.levels)
    _open_new_needs(rng, setting, levels, 1)
    met = rng.random() < 0.6
    return replace(
        previous,
        levels=levels,
        interview_date=day if met else None,
        interview_mode=weighted(rng, setting.tables.interview_modes) if met else None,
        complete=False,
    )


# --- Timeline -------------------------------------------------------------------------------


def _timeline(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, story: _Story
) -> list[InteractionFields]:
    partner = _partner(rng, setting, plan.region)
    context = {"partner": partner, "city": plan.person.city or ""}
    tables = setting.tables
    entries = [_intake(rng, tables, person, plan, story, context)]
    if story.interview is None:
        entries.append(_booking_call(rng, person, story))
    else:
        entries.append(_interview_entry(rng, person, plan.assessments[0], story))
        entries += _follow_ups(rng, tables, person, plan, story, context)
    if story.reassessed is not None:
        entries.append(_reassessment_entry(rng, person, plan, story))
    if story.draft is not None:
        entries.append(
            _note(
                rng,
                story,
                story.draft,
                "Réévaluation commencée ; à terminer au prochain rendez-vous.",
            )
        )
    if plan.status == "on_hold":
        day = day_between(rng, (story.interview or story.opened_at.date()), story.end.date())
        entries.append(_note(rng, story, day, rng.choice(tables.hold_notes)))
    entries = sorted(entries, key=lambda entry: entry.occurred_at)
    if plan.status == "closed":
        entries = entries[: MAX_INTERACTIONS - 1]
        entries.append(_closing_entry(tables, plan, story))
    return entries[:MAX_INTERACTIONS]


def _partner(rng: random.Random, setting: Setting, region: str) -> str:
    names = setting.partners.get(region)
    return rng.choice(names) if names else "l'organisme partenaire"


def _intake(
    rng: random.Random,
    tables: CaseTables,
    person: Identity,
    plan: CasePlan,
    story: _Story,
    context: Mapping[str, str],
) -> InteractionFields:
    kind, summary = tables.intake_notes[plan.origin]
    moment = working_moment(rng, story.opened_at.date(), story.opened_at, story.end)
    if kind == "meeting":
        return _contact(rng, person, "meeting", moment, summary.format(**context), "in_person", 20)
    return InteractionFields(kind=kind, occurred_at=moment, summary=summary.format(**context))


def _booking_call(rng: random.Random, person: Identity, story: _Story) -> InteractionFields:
    day = day_between(rng, story.opened_at.date(), story.end.date())
    summary = "Appel pour fixer le premier entretien d'évaluation des besoins."
    if person.interpreter_language:
        summary = (
            summary[:-1]
            + f" ; interprète en {_language_name(person.interpreter_language)} réservé."
        )
    return _contact(
        rng, person, "phone", working_moment(rng, day, story.opened_at, story.end), summary, "phone"
    )


def _language_name(code: str) -> str:
    return FRENCH.languages.get(code, code)


def _contact(
    rng: random.Random,
    person: Identity,
    kind: str,
    moment: datetime,
    summary: str,
    mode: str,
    minutes: int | None = None,
    remote: bool | None = None,
) -> InteractionFields:
    """A call or a meeting, with the interpreter the person needs."""
    language = person.interpreter_language
    if minutes is None:
        minutes = rng.randint(5, 35) if kind == "phone" else rng.randint(30, 90)
    if language:
        minutes = min(minutes + rng.choice((10, 15, 30)), 600)
    return InteractionFields(
        kind=kind,
        occurred_at=moment,
        summary=summary,
        duration_minutes=minutes,
        mode=mode,
        interpreter_language=language,
        interpreter_remote=bool(language)
        and (remote if remote is not None else mode != "in_person"),
    )


def _interview_entry(
    rng: random.Random, person: Identity, first: AssessmentPlan, story: _Story
) -> InteractionFields:
    moment = working_moment(rng, story.interview, story.opened_at, story.end)
    kind = "phone" if first.interview_mode == "phone" else "meeting"
    if first.interpreter_language:
        summary = f"Premier entretien d'évaluation des besoins avec interprète en {_language_name(first.interpreter_language)}."
        if first.interpreter_remote:
            summary = summary[:-1] + ", interprétation à distance."
    else:
        summary = rng.choice(
            (
                "Premier entretien d'évaluation des besoins dans les cinq domaines.",
                "Entretien d'évaluation des besoins ; plan d'action à préparer.",
                f"Premier entretien d'évaluation des besoins, en {_language_name(person.preferred_language)}.",
            )
        )
    minutes = rng.randint(60, 120)
    return _contact(
        rng, person, kind, moment, summary, first.interview_mode, minutes, first.interpreter_remote
    )


def _follow_ups(
    rng: random.Random,
    tables: CaseTables,
    person: Identity,
    plan: CasePlan,
    story: _Story,
    context: Mapping[str, str],
) -> list[InteractionFields]:
    wanted = {"active": (1, 8), "on_hold": (1, 6), "closed": (1, 7)}[plan.status]
    choices = [
        entry for key in plan.assessments[0].open_needs for entry in tables.follow_ups.get(key, ())
    ]
    choices += list(tables.generic_follow_ups)
    entries = []
    for kind, summary in rng.sample(choices, min(rng.randint(*wanted), len(choices))):
        day = day_between(rng, story.interview, story.end.date())
        moment = working_moment(rng, day, story.opened_at, story.end)
        text = summary.format(**context)
        if kind in ("phone", "meeting"):
            mode = "phone" if kind == "phone" else rng.choice(("in_person", "in_person", "video"))
            entries.append(_contact(rng, person, kind, moment, text, mode))
        else:
            entries.append(InteractionFields(kind=kind, occurred_at=moment, summary=text))
    return entries


def _reassessment_entry(
    rng: random.Random, person: Identity, plan: CasePlan, story: _Story
) -> InteractionFields:
    before, after = plan.assessments[0], plan.assessments[1]
    solved = len([key for key in before.open_needs if after.levels.get(key) == "none"])
    summary = {
        0: "Réévaluation des besoins : plan d'action ajusté.",
        1: "Réévaluation des besoins : un besoin réglé depuis la première évaluation.",
    }.get(
        solved, f"Réévaluation des besoins : {solved} besoins réglés depuis la première évaluation."
    )
    kind = "phone" if after.interview_mode == "phone" else "meeting"
    moment = working_moment(rng, story.reassessed, story.opened_at, story.end)
    return _contact(
        rng,
        person,
        kind,
        moment,
        summary,
        after.interview_mode,
        rng.randint(45, 90),
        after.interpreter_remote,
    )


def _note(rng: random.Random, story: _Story, day: date, summary: str) -> InteractionFields:
    return InteractionFields(
        kind="note",
        occurred_at=working_moment(rng, day, story.opened_at, story.end),
        summary=summary,
    )


def _closing_entry(tables: CaseTables, plan: CasePlan, story: _Story) -> InteractionFields:
    return InteractionFields(
        kind="note",
        occurred_at=story.end,
        summary=tables.closing_notes[plan.closing_reason or "other"],
    )


# --- Consents -------------------------------------------------------------------------------


def _consents(
    rng: random.Random, tables: CaseTables, plan: CasePlan, story: _Story, today: date
) -> list[ConsentPlan]:
    if rng.random() >= 0.7:
        return []
    purposes = ["share_partner"]
    if plan.assessments and plan.assessments[0].requalification_interest:
        purposes.append("share_mtess")
    if plan.person.email:
        purposes.append("contact_email")
    if plan.person.phone:
        purposes.append("contact_sms")
    wanted = min(rng.choices((1, 2, 3), weights=(5, 3, 1))[0], len(purposes))
    given_on = story.interview or story.opened_at.date()
    return [
        _consent(rng, tables, purpose, given_on, today) for purpose in rng.sample(purposes, wanted)
    ]


def _consent(
    rng: random.Random, tables: CaseTables, purpose: str, given_on: date, today: date
) -> ConsentPlan:
    method = weighted(rng, tables.consent_methods)
    withdrawn = None
    if (today - given_on).days > 14 and rng.random() < 0.08:
        withdrawn = day_between(rng, given_on + timedelta(days=7), today)
    return ConsentPlan(purpose, given_on, method, withdrawn)
