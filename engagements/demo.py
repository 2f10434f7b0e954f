"""Demo accounts and opportunities for `manage.py seed_demo`, spread over the previous, current
and next fiscal quarters. Deterministic (seeded random) and keyed by Salesforce-style ids, so a
second run finds everything in place and changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.fiscal import FiscalQuarter
from engagements.models import Account, Confidence, ConfidenceEvent, Opportunity, Risk
from people.models import Person, Region

ACCOUNT_NAMES = [
    "Acme Logistics",
    "Borealis Energy",
    "Cobalt Retail Group",
    "Delta Freight",
    "Evergreen Health",
    "Falcon Aerospace",
    "Granite Insurance",
    "Harbor Bank",
    "Ion Telecom",
    "Juniper Foods",
    "Keystone Manufacturing",
    "Lumen Media",
    "Meridian Pharma",
    "Northwind Traders",
    "Orion Automotive",
    "Pinnacle Software",
    "Quantum Analytics",
    "Riverbend Utilities",
    "Summit Hotels",
    "Tidewater Shipping",
    "Umbra Security",
    "Vertex Mining",
    "Willow Education",
    "Xenon Chemicals",
    "Yellowstone Outdoors",
    "Zephyr Airlines",
    "Atlas Government Services",
    "Beacon County",
    "Capital City Transit",
    "Department of Records",
    "Emerald Gaming",
    "Frontier Agriculture",
    "Globex Consulting",
    "Helios Solar",
    "Indigo Fashion",
    "Jade Financial",
    "Kite Robotics",
    "Lotus Wellness",
    "Mosaic Publishing",
    "Nimbus Cloud Services",
]
OFFERINGS = [
    "Platform Implementation",
    "CI/CD Transformation",
    "Cloud Migration",
    "Health Check",
    "Admin Training",
    "Expert Services Block",
    "GitOps Rollout",
    "Security Readiness Assessment",
    "Upgrade & Migration",
]
OPEN_STAGES = ["Qualification", "Discovery", "Solution Proposal", "Negotiation", "Contracting"]
PROBABILITY = {
    "Qualification": 10,
    "Discovery": 20,
    "Solution Proposal": 40,
    "Negotiation": 70,
    "Contracting": 90,
}
CURRENCIES = {
    "AMER": ["USD"],
    "PubSec": ["USD"],
    "EMEA": ["EUR", "EUR", "GBP"],
    "APAC": ["AUD", "SGD", "USD"],
}
RATIONALES: dict[str, list[str]] = {
    Confidence.GREEN: [
        "Customer confirmed budget; SOW in legal review, signature expected before quarter end.",
        "Verbal commit from the VP of Engineering; PO process under way.",
        "Renewal with services attached, same scope as last year.",
    ],
    Confidence.AMBER: [
        "Strong technical win, but procurement timeline unclear.",
        "Champion is supportive; waiting on the budget owner's sign-off, may slip a quarter.",
        "Scope agreed; customer wants to phase delivery which may move the close date.",
    ],
    Confidence.RED: [
        "Customer paused the project after a reorg; no decision this quarter.",
        "Competing partner offered a lower price; we are unlikely to win in this timeframe.",
        "Budget moved to next fiscal year.",
    ],
}
RISKS = [
    (
        "Customer has no internal owner for the platform after go-live.",
        "high",
        "Include an enablement track and a named admin in the SOW.",
    ),
    (
        "Legacy CI jobs are undocumented; migration effort may be underestimated.",
        "medium",
        "Run a two-day discovery workshop before fixing the price.",
    ),
    (
        "Security review of the SaaS tenant may delay kickoff.",
        "medium",
        "Share the security pack early with the customer's CISO.",
    ),
    (
        "Only one engineer in the region has the required Kubernetes depth.",
        "high",
        "Pair with a partner consultant; book the engineer now.",
    ),
    ("Customer expects fixed price on an unclear scope.", "high", "Offer a paid readiness assessment first."),
]


def _close_date(rng: random.Random, quarter: FiscalQuarter) -> dt.date:
    days = (quarter.end - quarter.start).days
    # Weight towards the end of the quarter, as real bookings are.
    offset = int(days * (rng.random() ** 0.6))
    return quarter.start + dt.timedelta(days=offset)


def seed(people: dict[str, Person], *, count: int = 150) -> int:
    """Create the demo accounts and opportunities that are missing; returns how many were created."""
    rng = random.Random(2026)
    regions = {r.code: r for r in Region.objects.all()}
    region_codes = ["AMER", "EMEA", "APAC", "PubSec"]
    accounts = []
    for index, name in enumerate(ACCOUNT_NAMES):
        code = "PubSec" if index in (26, 27, 28, 29) else region_codes[index % 3]
        account, _ = Account.objects.get_or_create(
            salesforce_id=f"001DM{index:013d}",
            defaults={
                "name": name,
                "region": regions[code],
                "segment": rng.choice(["Enterprise", "Mid-Market", "Strategic"]),
            },
        )
        accounts.append(account)

    ems_by_region: dict[str, list[Person]] = {}
    for person in people.values():
        if person.role == "engagement_manager" and person.region:
            ems_by_region.setdefault(person.region.code, []).append(person)

    existing = set(
        Opportunity.objects.filter(salesforce_id__startswith="006DM").values_list("salesforce_id", flat=True)
    )
    current = FiscalQuarter.current()
    quarters = [current.previous(), current, current.next()]
    now = timezone.now()
    new_opps: list[Opportunity] = []
    plans: list[tuple[str, str, int]] = []  # salesforce id, confidence, risk index
    for i in range(count):
        sf_id = f"006DM{i:013d}"
        # Draw every value even for rows that exist, so each row's values stay the same across runs.
        account = accounts[(i * 7) % len(accounts)]
        region = account.region
        assert region is not None
        quarter = quarters[i % 3]
        close_date = _close_date(rng, quarter)
        offering = rng.choice(OFFERINGS)
        amount = Decimal(rng.randrange(30, 900)) * Decimal("500")
        currency = rng.choice(CURRENCIES[region.code])
        roll = rng.random()
        if quarter == quarters[0]:
            is_closed, is_won = (
                (True, True) if roll < 0.55 else ((True, False) if roll < 0.85 else (False, False))
            )
        elif quarter == current:
            is_closed, is_won = (
                (True, True) if roll < 0.2 else ((True, False) if roll < 0.28 else (False, False))
            )
        else:
            is_closed, is_won = False, False
        today = timezone.localdate()
        if is_closed and close_date > today:
            # A deal closes on the day it is won or lost, never in the future.
            span = max(0, (today - quarter.start).days)
            close_date = quarter.start + dt.timedelta(days=int(span * rng.random()))
        stage = (
            ("Closed Won" if is_won else "Closed Lost")
            if is_closed
            else rng.choice(OPEN_STAGES if quarter != quarters[2] else OPEN_STAGES[:3])
        )
        ems = ems_by_region.get(region.code, [])
        em = rng.choice(ems) if ems and rng.random() < 0.85 else None
        confidence: str = Confidence.GREY
        if em is not None:
            confidence = rng.choices(
                [Confidence.GREEN, Confidence.AMBER, Confidence.RED, Confidence.GREY],
                weights=[30, 30, 15, 25],
            )[0]
            if is_won:
                confidence = Confidence.GREEN
        rationale = rng.choice(RATIONALES[confidence]) if confidence != Confidence.GREY else ""
        reviewed_days = rng.randrange(0, 14)
        risk_index = rng.randrange(len(RISKS)) if rng.random() < 0.25 else -1
        if sf_id in existing:
            continue
        new_opps.append(
            Opportunity(
                salesforce_id=sf_id,
                name=f"{account.name} — {offering}",
                account=account,
                owner_name=rng.choice(["Chris Doyle", "Pat Kim", "Robin Singh", "Taylor Moss", "Jamie Fox"]),
                owner_email="ae@example.com",
                stage=stage,
                type=rng.choice(["New Business", "Expansion", "Renewal"]),
                record_type="Professional Services",
                close_date=close_date,
                amount=amount,
                currency=currency,
                probability=100 if is_won else (0 if is_closed else PROBABILITY[stage]),
                forecast_category=("Closed" if is_won else "Omitted")
                if is_closed
                else rng.choice(["Pipeline", "Best Case", "Commit"]),
                is_closed=is_closed,
                is_won=is_won,
                region=region,
                engagement_manager=em,
                em_confidence=confidence,
                em_confidence_rationale=rationale,
                em_reviewed_at=(now - dt.timedelta(days=reviewed_days)) if em else None,
                last_synced_at=now - dt.timedelta(minutes=rng.randrange(5, 60)),
            )
        )
        plans.append((sf_id, confidence, risk_index))
    if not new_opps:
        return 0
    bulk_create_with_history(new_opps, Opportunity, batch_size=500)
    created = {
        o.salesforce_id: o for o in Opportunity.objects.filter(salesforce_id__in=[p[0] for p in plans])
    }
    events = []
    risks = []
    for sf_id, confidence, risk_index in plans:
        opp = created[sf_id]
        if confidence != Confidence.GREY and opp.engagement_manager and opp.em_reviewed_at:
            events.append(
                ConfidenceEvent(
                    opportunity=opp,
                    kind=ConfidenceEvent.Kind.CHANGED,
                    actor=opp.engagement_manager.user,
                    at=opp.em_reviewed_at,
                    from_confidence=Confidence.GREY,
                    to_confidence=confidence,
                    rationale=opp.em_confidence_rationale,
                )
            )
        if risk_index >= 0:
            description, severity, mitigation = RISKS[risk_index]
            risks.append(
                Risk(
                    opportunity=opp,
                    description=description,
                    severity=severity,
                    mitigation=mitigation,
                    owner=opp.engagement_manager.name if opp.engagement_manager else "",
                )
            )
    ConfidenceEvent.objects.bulk_create(events)
    bulk_create_with_history(risks, Risk)
    return len(new_opps)
