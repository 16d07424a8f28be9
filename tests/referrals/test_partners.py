"""Issue 18, point 2: the right partners for each action, in every region, for every need."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casework.extensions import db
from tests import helpers

PASI_VOLETS_BY_DOMAIN = {"settlement": {1}, "community": {1, 2}}
RECRUITERS = {"economic_development", "employer_recruitment"}


def walk(app, category: str, **person):
    """(region, domain, need, service, case, suggestions) for every region × every need whose
    plan rule orients to an organisation."""
    from casework.cases.models import Case
    from casework.plans.models import PlanAction
    from casework.plans.operations import rules
    from casework.plans.rules import REFERRABLE_SERVICES
    from casework.reference.models import Domain, Need, Region
    from casework.referrals.operations import suggest

    book = rules()
    needs = db.session.scalars(select(Need).join(Domain).order_by(Domain.position)).all()
    for region in db.session.scalars(select(Region).order_by(Region.code)):
        agent = helpers.create_user(role="agent", region=region.code)
        record = helpers.create_case(agent.id, immigration_category=category, **person)
        case = db.session.get(Case, record.id)
        for need in needs:
            rule = book.for_need(need.domain.code, need.code)
            assert rule is not None, (need.domain.code, need.code)
            services = {a.service for a in rule.actions if a.service in REFERRABLE_SERVICES}
            for service in sorted(services):
                action = PlanAction(need_id=need.id, service=service, label="x")
                yield region, need.domain, need, service, case, suggest(case, action)


@pytest.mark.parametrize("category", ["economic", "asylum"])
def test_every_suggestion_is_of_a_kind_allowed_and_every_region_has_a_candidate(app, ctx, category):
    """Every region × every need: each suggestion is of a kind allowed for the need, and every
    region has an in-region candidate for its settlement needs."""
    walked, missing = 0, []
    for region, domain, need, service, case, suggestions in walk(app, category):
        for suggestion in suggestions:
            organisation = suggestion.organisation
            where = (region.code, domain.code, need.code, service, organisation.code)
            assert organisation.kind in domain.organisation_kinds, where
            if domain.code in ("settlement", "community"):
                assert organisation.kind not in RECRUITERS, where
            if service == "pasi_partner":
                wanted = set(PASI_VOLETS_BY_DOMAIN.get(domain.code, set()))
                wanted |= {4} if category == "asylum" else set()
                volets = {v.number for v in organisation.volets}
                assert organisation.kind == "pasi_partner" and volets & wanted, where
            if service == "regionalisation":
                assert organisation.regionalisation, where
            walked += 1
        in_region = [
            s
            for s in suggestions
            if s.serves_region
            and (service == "regionalisation" or s.organisation.serves_region(case.region_id))
            and not s.organisation.province_wide
        ]
        if domain.code == "settlement" and not in_region:
            missing.append((region.code, need.code, service))
    assert walked > 17 * 10
    assert missing == []


def test_recruitment_bodies_stay_available_for_employment(app, ctx):
    from casework.reference.models import Domain, Organisation
    from casework.referrals.operations import eligible

    employment = db.session.scalar(select(Domain).where(Domain.code == "employment"))
    settlement = db.session.scalar(select(Domain).where(Domain.code == "settlement"))
    for code in ("quebec_international", "sded", "monteregie_economique"):
        body = db.session.scalar(select(Organisation).where(Organisation.code == code))
        assert eligible(body, "employer", set(employment.organisation_kinds), set())
        assert not eligible(body, "employer", set(settlement.organisation_kinds), {1})
        assert not eligible(body, "pasi_partner", set(employment.organisation_kinds), {1})


def test_a_refugee_in_a_host_city_is_offered_the_reception_partner(app, ctx):
    from casework.cases.models import Case
    from casework.plans.models import PlanAction
    from casework.reference.models import Domain, Need
    from casework.referrals.operations import suggest

    agent = helpers.create_user(role="agent", region="14")
    record = helpers.create_case(
        agent.id, immigration_category="gar", destination_city="Joliette", city="Joliette"
    )
    housing = db.session.scalar(
        select(Need).join(Domain).where(Domain.code == "settlement", Need.code == "housing")
    )
    action = PlanAction(need_id=housing.id, service="pasi_partner", label="x")
    ranked = suggest(db.session.get(Case, record.id), action)
    codes = [s.organisation.code for s in ranked]
    assert codes[0] == "rpce_lanaudiere", codes
    assert "PASI component 3" in ranked[0].reasons or "Volet 3 du PASI" in " ".join(
        ranked[0].reasons
    )
