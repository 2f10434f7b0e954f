"""Demo catalog, rate card and a few scoping issues for `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.roles import Role
from engagements.models import Opportunity
from scoping import services
from scoping.models import (
    DeliveryRole,
    OfferingActivity,
    OfferingCategory,
    ScopingIssue,
    ScopingStatus,
    ServiceOffering,
)

# Price level of each currency against USD for the demo price lists (rounded to 5).
CURRENCY_FACTORS = {"USD": "1", "EUR": "0.92", "GBP": "0.79", "AUD": "1.52", "SGD": "1.34"}

RATE_CARD = [  # name, USD bill rate, USD cost rate, the people role that delivers it
    ("Engineer", "200", "95", Role.PS_ENGINEER),
    ("Senior Engineer", "250", "120", Role.PS_ENGINEER),
    ("Technical Architect", "300", "150", Role.TECHNICAL_ARCHITECT),
    ("Project Manager", "180", "85", Role.PROJECT_MANAGER),
    ("Trainer", "190", "80", Role.PS_ENGINEER),
    ("Partner Consultant", "170", "130", Role.PARTNER_CONSULTANT),
]

PACKAGED = [  # code, name, category, USD price, unit, included hours, description
    (
        "PKG-RAPID-IMPL",
        "Rapid Implementation",
        OfferingCategory.IMPLEMENTATION,
        "24000",
        "package",
        "120",
        "Fixed-scope platform implementation for one team in six weeks.",
    ),
    (
        "PKG-MIGRATE",
        "Packaged Migration",
        OfferingCategory.MIGRATION,
        "36000",
        "package",
        "180",
        "Migration of up to 50 projects from a supported source system.",
    ),
    (
        "EXP-40",
        "Expert Services Block (40 hours)",
        OfferingCategory.EXPERT_SERVICES,
        "9600",
        "block",
        "40",
        "Forty hours of a senior engineer, used within twelve months.",
    ),
    (
        "TRN-ADMIN",
        "Administrator Training",
        OfferingCategory.TRAINING,
        "4500",
        "session",
        "8",
        "One-day instructor-led course for up to 12 administrators.",
    ),
    (
        "TRN-DEV",
        "Developer Workshop",
        OfferingCategory.TRAINING,
        "3800",
        "session",
        "8",
        "One-day hands-on workshop for up to 15 developers.",
    ),
]

CUSTOM = [  # code, name, category, description, activities (description, role, hours)
    (
        "CUS-IMPL",
        "Custom Implementation",
        OfferingCategory.IMPLEMENTATION,
        "Implementation scoped to the customer's architecture and integrations.",
        [
            ("Discovery workshops", "Technical Architect", "24"),
            ("Solution design", "Technical Architect", "40"),
            ("Platform build", "Senior Engineer", "120"),
            ("Integrations", "Engineer", "80"),
            ("Project management", "Project Manager", "40"),
            ("Knowledge transfer", "Trainer", "16"),
        ],
    ),
    (
        "CUS-MIGRATE",
        "Custom Migration",
        OfferingCategory.MIGRATION,
        "Migration from legacy tooling with custom mapping and validation.",
        [
            ("Source assessment", "Technical Architect", "24"),
            ("Migration planning", "Senior Engineer", "40"),
            ("Migration execution", "Engineer", "160"),
            ("Validation", "Engineer", "40"),
            ("Project management", "Project Manager", "32"),
        ],
    ),
    (
        "CUS-CICD",
        "CI/CD Transformation",
        OfferingCategory.CONSULTING,
        "Redesign of build and release pipelines with the customer's teams.",
        [
            ("Current-state assessment", "Technical Architect", "32"),
            ("Pipeline design", "Senior Engineer", "60"),
            ("Pipeline implementation", "Engineer", "120"),
            ("Team enablement", "Trainer", "24"),
            ("Project management", "Project Manager", "40"),
        ],
    ),
    (
        "CUS-READY",
        "Readiness Assessment / Health Check",
        OfferingCategory.ASSESSMENT,
        "Review of an existing platform against good practice, with a written report.",
        [
            ("Stakeholder interviews", "Technical Architect", "16"),
            ("Platform review", "Senior Engineer", "24"),
            ("Report and recommendations", "Technical Architect", "16"),
        ],
    ),
]


def _local(amount: str, currency: str) -> Decimal:
    value = Decimal(amount) * Decimal(CURRENCY_FACTORS[currency])
    return ((value / 5).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 5).quantize(Decimal("0.01"))


def seed_catalog() -> None:
    for currency in CURRENCY_FACTORS:
        for name, bill, cost, person_role in RATE_CARD:
            DeliveryRole.objects.get_or_create(
                name=name,
                currency=currency,
                defaults={
                    "bill_rate": _local(bill, currency),
                    "cost_rate": _local(cost, currency),
                    "person_role": person_role,
                },
            )
        for code, name, category, price, unit, hours, description in PACKAGED:
            ServiceOffering.objects.get_or_create(
                code=code,
                currency=currency,
                defaults={
                    "name": name,
                    "kind": ServiceOffering.Kind.PACKAGED,
                    "category": category,
                    "unit_price": _local(price, currency),
                    "unit_label": unit,
                    "included_hours": Decimal(hours),
                    "description": description,
                    "scoping_guidelines": "Use when the customer's scope fits the package as described.",
                },
            )
    for code, name, category, description, activities in CUSTOM:
        offering, created = ServiceOffering.objects.get_or_create(
            code=code,
            currency="",
            defaults={
                "name": name,
                "kind": ServiceOffering.Kind.CUSTOM,
                "category": category,
                "description": description,
                "scoping_guidelines": "Start from the default activities and adjust hours after discovery.",
                "delivery_kit_url": f"https://kits.example.com/{code.lower()}",
            },
        )
        if created:
            OfferingActivity.objects.bulk_create(
                [
                    OfferingActivity(
                        offering=offering, description=d, role_name=r, hours=Decimal(h), position=i
                    )
                    for i, (d, r, h) in enumerate(activities)
                ]
            )


def seed_issues() -> int:
    """A handful of scoping issues in different states, made through the services as the EM."""
    if ScopingIssue.objects.exists():
        return 0
    candidates = list(
        Opportunity.objects.filter(
            is_closed=False,
            engagement_manager__user__isnull=False,
            currency__in=["USD", "EUR", "GBP"],
            salesforce_id__startswith="006DM",
        )
        .select_related("engagement_manager__user", "account")
        .order_by("salesforce_id")[:6]
    )
    offerings = {o.code: o for o in ServiceOffering.objects.filter(currency__in=["", "USD", "EUR", "GBP"])}

    def packaged(code: str, currency: str) -> ServiceOffering:
        return ServiceOffering.objects.get(code=code, currency=currency)

    plans = [
        ("strawman", ScopingStatus.STRAWMAN),
        ("feedback", ScopingStatus.ESTIMATE_FEEDBACK),
        ("agreed", ScopingStatus.SOW_IN_PROGRESS),
        ("ta", ScopingStatus.ESTIMATE_FEEDBACK),
        ("assist", ScopingStatus.OPEN),
        ("discovery", ScopingStatus.AWAITING_DISCOVERY),
    ]
    for opportunity, (plan, status) in zip(candidates, plans, strict=False):
        assert opportunity.engagement_manager is not None
        actor = opportunity.engagement_manager.user
        assert actor is not None
        issue = services.scoping_issue_create(
            actor=actor,
            opportunity=opportunity,
            title=f"{opportunity.account.name} — scoping",
            current_state="Self-managed CI on ageing servers; releases monthly with manual steps.",
            constraints="Fixed budget this fiscal year; change freeze in the last two weeks of the quarter.",
            desired_outcomes="Weekly releases, one platform for all teams, audit trail for compliance.",
            requirements="SSO, on-premises runners, migration of 40 repositories.",
            service_types=[OfferingCategory.IMPLEMENTATION, OfferingCategory.TRAINING],
        )
        if plan in ("strawman", "feedback", "agreed", "ta"):
            estimate = services.estimate_create(actor=actor, issue=issue)
            if plan == "agreed":
                services.estimate_add_offering(
                    actor=actor, estimate=estimate, offering=packaged("PKG-RAPID-IMPL", estimate.currency)
                )
                services.estimate_add_offering(
                    actor=actor,
                    estimate=estimate,
                    offering=packaged("TRN-ADMIN", estimate.currency),
                    quantity=2,
                )
                services.estimate_agree(actor=actor, estimate=estimate)
            else:
                code = "CUS-CICD" if plan == "ta" else "CUS-IMPL"
                services.estimate_add_offering(actor=actor, estimate=estimate, offering=offerings[code])
                if plan == "feedback":
                    services.estimate_share(actor=actor, estimate=estimate)
                    services.estimate_revise(
                        actor=actor, estimate=estimate, reason="Customer asked for phased delivery."
                    )
                if plan == "ta":
                    services.estimate_agree(actor=actor, estimate=estimate)
        if plan == "assist":
            services.ta_request_assistance(
                actor=actor,
                issue=issue,
                note="Customer runs air-gapped runners; need a TA view on the architecture.",
            )
        if status != ScopingStatus.OPEN and plan != "agreed":
            issue.refresh_from_db()
            services.scoping_issue_move(actor=actor, issue=issue, status=status)
        elif plan == "agreed":
            services.scoping_issue_move(actor=actor, issue=issue, status=status)
    return len(candidates)
