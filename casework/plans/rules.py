"""The plan rules, read from ``seed/plan_rules.yaml``: data an administrator can edit, not code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from casework.cases.choices import CONSENT_PURPOSES

LEVELS_WITH_ACTIONS = ("low", "moderate", "high", "urgent")
# Services whose actions orient the person to an organisation: a referral is made from them.
REFERRABLE_SERVICES = (
    "pasi_partner",
    "regionalisation",
    "francisation_quebec",
    "mtess",
    "qualifications_quebec",
)


@dataclass(frozen=True)
class ActionTemplate:
    label: str
    label_en: str | None
    service: str
    assignee: str
    # The consent purpose the action needs (« avec le consentement de la personne »).
    consent: str | None = None


@dataclass(frozen=True)
class Rule:
    domain: str
    need: str
    objective: str
    objective_en: str | None
    actions: tuple[ActionTemplate, ...]
    # One more action for each household member the values attestation concerns (a spouse 16
    # and over, children 18 and over); its label names the member with « {member} ».
    member_action: ActionTemplate | None = None


@dataclass(frozen=True)
class RuleBook:
    offsets: dict[str, int]
    services: dict[str, dict[str, str]]
    rules: dict[tuple[str, str], Rule]

    def for_need(self, domain: str, need: str) -> Rule | None:
        return self.rules.get((domain, need))


class RulesError(ValueError):
    """The rules file is missing or inconsistent."""


_cache: dict[Path, tuple[float, RuleBook]] = {}


def load_rules(seed_dir: str | Path) -> RuleBook:
    """Parse the rules, re-reading the file only when it changed."""
    path = Path(seed_dir) / "plan_rules.yaml"
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise RulesError(f"{path}: {error.strerror}") from error
    cached = _cache.get(path)
    if cached and cached[0] == modified:
        return cached[1]
    book = _parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path)
    _cache[path] = (modified, book)
    return book


def _parse(document: dict, path: Path) -> RuleBook:
    try:
        offsets = {level: int(document["due_offsets_days"][level]) for level in LEVELS_WITH_ACTIONS}
        services = {code: dict(labels) for code, labels in document["services"].items()}
        rules = {}
        for item in document["rules"]:
            actions = tuple(
                ActionTemplate(
                    a["label"], a.get("label_en"), a["service"], a["assignee"], a.get("consent")
                )
                for a in item["actions"]
            )
            member = item.get("member_action")
            member_action = (
                ActionTemplate(
                    member["label"], member.get("label_en"), member["service"], member["assignee"]
                )
                if member
                else None
            )
            for action in (*actions, *([member_action] if member_action else [])):
                if (
                    action.service not in services
                    or action.assignee not in ("agent", "person")
                    or (action.consent is not None and action.consent not in CONSENT_PURPOSES)
                ):
                    raise RulesError(f"{path}: {item['domain']}/{item['need']}: {action.label}")
            if member_action and "{member}" not in member_action.label:
                raise RulesError(f"{path}: {item['domain']}/{item['need']}: {{member}}")
            rules[(item["domain"], item["need"])] = Rule(
                item["domain"],
                item["need"],
                item["objective"],
                item.get("objective_en"),
                actions,
                member_action,
            )
    except (KeyError, TypeError, ValueError) as error:
        raise RulesError(f"{path}: {error}") from error
    return RuleBook(offsets, services, rules)
