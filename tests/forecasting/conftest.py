import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from engagements.models import Opportunity
from forecasting.models import BookingsPlan, ExchangeRate
from tests.engagements.factories import OpportunityFactory

Q4 = FiscalQuarter.parse("FY27-Q4", start_month=2)  # 1 Nov 2026 – 31 Jan 2027


@pytest.fixture
def quarter():
    return Q4


@pytest.fixture
def other_em_amer(make_person, region_amer):
    return make_person(Role.ENGAGEMENT_MANAGER, username="em.amer2", region=region_amer, name="Jordan Brooks")


@pytest.fixture
def book(db, em, other_em, region_amer, region_emea):
    """The hand-built data set the expected figures below are computed from by hand."""
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.10"), effective_date=dt.date(2026, 1, 1))
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=Decimal("400000"))
    BookingsPlan.objects.create(quarter="FY27-Q4", region=region_amer, amount=Decimal("250000"))
    reviewed = timezone.now()

    def make(**kw):
        return OpportunityFactory(
            region=kw.pop("region", region_amer),  # noqa: E731
            engagement_manager=kw.pop("engagement_manager", em),
            em_reviewed_at=kw.pop("em_reviewed_at", reviewed),
            **kw,
        )

    return {
        "won": make(
            name="Won",
            amount=Decimal("100000"),
            close_date=dt.date(2026, 11, 10),
            is_closed=True,
            is_won=True,
            em_confidence="Green",
            em_confidence_rationale="x",
        ),
        "green": make(
            name="Green",
            amount=Decimal("50000"),
            close_date=dt.date(2026, 12, 15),
            em_confidence="Green",
            em_confidence_rationale="x",
        ),
        "amber_eur": make(
            name="Amber EUR",
            amount=Decimal("20000"),
            currency="EUR",
            close_date=dt.date(2027, 1, 31),
            em_confidence="Amber",
            em_confidence_rationale="x",
        ),
        "red_emea": make(
            name="Red EMEA",
            amount=Decimal("30000"),
            close_date=dt.date(2026, 11, 30),
            em_confidence="Red",
            em_confidence_rationale="x",
            region=region_emea,
            engagement_manager=other_em,
            em_reviewed_at=reviewed - dt.timedelta(days=30),
        ),
        "grey_gbp": make(
            name="Grey GBP",
            amount=Decimal("10000"),
            currency="GBP",
            close_date=dt.date(2026, 12, 1),
            em_confidence="Grey",
            em_reviewed_at=None,
        ),
        "lost": make(
            name="Lost",
            amount=Decimal("40000"),
            close_date=dt.date(2026, 11, 20),
            is_closed=True,
            is_won=False,
            em_confidence="Red",
            em_confidence_rationale="x",
        ),
        "next_quarter": make(
            name="Next quarter",
            amount=Decimal("70000"),
            close_date=dt.date(2027, 2, 1),
            em_confidence="Green",
            em_confidence_rationale="x",
        ),
        "removed": make(
            name="Removed",
            amount=Decimal("99999"),
            close_date=dt.date(2026, 12, 1),
            em_confidence="Green",
            em_confidence_rationale="x",
            removed_in_salesforce_at=timezone.now(),
        ),
    }


def opp(book: dict[str, Opportunity], key: str) -> Opportunity:
    return book[key]


# Shared with the SOW tests: an issue with an agreed estimate, its catalog, PS Directors.
from tests.sow.conftest import catalog, director, draft, ready_issue  # noqa: E402, F401
