"""Render a 10-page SOW with WeasyPrint: median seconds and the rendering process's peak memory."""

from __future__ import annotations

import io
import resource
import statistics
import time
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sow.models import SowVersion

GOAL_SECONDS = 2.0
GOAL_MB = 250


def _build_version() -> SowVersion:
    from django.contrib.auth import get_user_model

    from core.roles import Role
    from engagements.models import Account, Opportunity
    from people.models import Person, Region
    from people.services import person_sync_login_groups
    from scoping import services as scoping_services
    from scoping.models import DeliveryRole, OfferingActivity, ServiceOffering
    from sow import services

    region, _ = Region.objects.get_or_create(code="EMEA", defaults={"name": "EMEA"})
    user = get_user_model().objects.create_user(
        "bench.sow", password="bench-password-1", email="b@example.com"
    )
    person = Person.objects.create(
        user=user, name="Bench EM", email="bench.sow@example.com", role=Role.ENGAGEMENT_MANAGER, region=region
    )
    person_sync_login_groups(person=person)
    account = Account.objects.create(name="Bench Industries", region=region)
    import datetime as dt

    opportunity = Opportunity.objects.create(
        name="Bench Industries — Platform",
        account=account,
        region=region,
        stage="Negotiation",
        close_date=dt.date.today(),
        amount=Decimal("48000"),
        engagement_manager=person,
    )
    for name, bill, cost in (("Engineer", "200", "95"), ("Technical Architect", "300", "150")):
        DeliveryRole.objects.create(
            name=name, currency="USD", bill_rate=Decimal(bill), cost_rate=Decimal(cost)
        )
    offering = ServiceOffering.objects.create(
        code="CUS-BENCH", name="Custom Implementation", kind="custom", category="implementation"
    )
    for index in range(30):
        OfferingActivity.objects.create(
            offering=offering,
            role_name="Engineer" if index % 3 else "Technical Architect",
            description=f"Workstream {index + 1}",
            hours=Decimal("4"),
            position=index,
        )
    issue = scoping_services.scoping_issue_create(
        actor=user, opportunity=opportunity, title="Bench rollout", desired_outcomes="Faster releases. " * 20
    )
    estimate = scoping_services.estimate_create(actor=user, issue=issue)
    scoping_services.estimate_add_offering(actor=user, estimate=estimate, offering=offering)
    scoping_services.estimate_agree(actor=user, estimate=estimate)
    version = services.sow_create(actor=user, issue=issue).versions.get()
    paragraph = (
        "The delivery team will work with the customer's platform group to plan, build and verify "
        "each workstream, with weekly status reports and a named escalation path. "
    )
    for name in (
        "deliverables",
        "assumptions",
        "out_of_scope",
        "customer_responsibilities",
        "staffing_requirements",
        "period_of_performance",
        "payment_schedule",
        "risks",
    ):
        items = "\n".join(f"- **Item {i + 1}.** {paragraph * 2}" for i in range(11))
        setattr(version, name, items)
    version.save()
    return version


def run() -> None:
    from pypdf import PdfReader

    from sow.pdf import document_html, render_pdf

    version = _build_version()
    html = document_html(version, draft=True)
    pages = len(PdfReader(io.BytesIO(render_pdf(html))).pages)  # warm-up, and the page count
    times = []
    for _ in range(7):
        start = time.perf_counter()
        render_pdf(html)
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"SOW PDF, {pages} pages: median {statistics.median(times):.2f} s (goal <= {GOAL_SECONDS} s), "
        f"peak memory of the rendering process {peak_mb:.0f} MB (goal <= {GOAL_MB} MB)"
    )
