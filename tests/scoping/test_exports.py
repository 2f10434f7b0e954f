"""The estimate's CSV download: every field quoted, hostile text neutralised, numbers kept."""

import pytest
from django.urls import reverse

from scoping import services
from scoping.models import EstimateLine, ScopingIssue
from tests.conftest import client_for
from tests.core.hostile_input import HOSTILE_CELLS, hostile_cells_found, read_safe_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile_estimate(em, issue):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    for n in range(len(HOSTILE_CELLS)):
        services.estimate_add_line(
            actor=em.user,
            estimate=estimate,
            kind="free",
            description=f"Line {n}",
            quantity="1",
            unit_price="100",
        )
    estimate.refresh_from_db()
    services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=estimate.version,
        contingency_percent="0",
        expenses="0",
        discount="100",
        lines=[],
    )
    # Text stored before single-line rules existed, or through the admin, may hold anything.
    for line, text in zip(estimate.lines.order_by("position"), HOSTILE_CELLS, strict=True):
        EstimateLine.objects.filter(pk=line.pk).update(description=text)
    ScopingIssue.objects.filter(pk=issue.pk).update(title="Workshop;=1+1")
    return estimate


def test_estimate_export_neutralises_every_hostile_cell(em, hostile_estimate):
    response = client_for(em).get(reverse("scoping:estimate_export", args=[hostile_estimate.pk]))
    rows = read_safe_export(response)
    assert hostile_cells_found(rows) == set(HOSTILE_CELLS)
    assert rows[0][:2] == ["Scoping issue", "Workshop;'=1+1"]


def test_estimate_export_keeps_negative_amounts_as_numbers(em, hostile_estimate):
    rows = read_safe_export(
        client_for(em).get(reverse("scoping:estimate_export", args=[hostile_estimate.pk]))
    )
    summary = {row[1]: row[7] for row in rows if row[0] == ""}
    # 10 lines × 1 × 100.00, less a 100.00 discount.
    assert summary["Discount"] == "-100.00"
    assert summary["Total"] == "900.00"
