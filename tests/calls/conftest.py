"""A hand-built forecast hierarchy: director → two managers → three EMs, with their deals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.fiscal import FiscalQuarter
from core.roles import Role
from engagements.models import Confidence
from tests.engagements.factories import OpportunityFactory


def deal(em: Any, region: Any, amount: str, *, won: bool = False, colour: str = Confidence.GREY) -> Any:
    quarter = FiscalQuarter.current()
    return OpportunityFactory(
        engagement_manager=em,
        region=region,
        amount=Decimal(amount),
        currency="USD",
        close_date=quarter.start + dt.timedelta(days=20),
        is_closed=won,
        is_won=won,
        stage="Closed Won" if won else "Negotiation",
        em_confidence=Confidence.GREEN if won else colour,
    )


@pytest.fixture
def org(make_person: Any, region_amer: Any) -> dict[str, Any]:
    director = make_person(Role.PS_DIRECTOR, username="dir", name="Dana Director", region=region_amer)
    m1 = make_person(Role.EM_MANAGER, username="m1", name="Mia Manager", manager=director)
    m2 = make_person(Role.EM_MANAGER, username="m2", name="Max Manager", manager=director)
    e1 = make_person(Role.ENGAGEMENT_MANAGER, username="e1", name="Ella One", manager=m1)
    e2 = make_person(Role.ENGAGEMENT_MANAGER, username="e2", name="Eric Two", manager=m1)
    e3 = make_person(Role.ENGAGEMENT_MANAGER, username="e3", name="Emma Three", manager=m2)
    # e1: won 100, Green 50, Amber 30, Red 999 → system commit 150, best case 180
    deal(e1, region_amer, "100", won=True)
    deal(e1, region_amer, "50", colour=Confidence.GREEN)
    deal(e1, region_amer, "30", colour=Confidence.AMBER)
    deal(e1, region_amer, "999", colour=Confidence.RED)
    # e2: Green 200 → 200 / 200
    deal(e2, region_amer, "200", colour=Confidence.GREEN)
    # e3: won 40, Amber 60, Grey 500 → 40 / 100
    deal(e3, region_amer, "40", won=True)
    deal(e3, region_amer, "60", colour=Confidence.AMBER)
    deal(e3, region_amer, "500")
    return {"director": director, "m1": m1, "m2": m2, "e1": e1, "e2": e2, "e3": e3}
