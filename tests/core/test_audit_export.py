"""The audit trail's CSV download: every field quoted, hostile names and changes neutralised."""

import pytest
from django.urls import reverse

from core import actions
from tests.conftest import client_for
from tests.core.hostile_input import HOSTILE_CELLS, hostile_cells_found, read_safe_export
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_audit_export_neutralises_hostile_names_and_changes(admin_person, em, region_amer):
    opportunity = OpportunityFactory(engagement_manager=em, region=region_amer, name="Plain")
    for text in HOSTILE_CELLS:
        before = actions.snapshot(opportunity)
        opportunity.name = text
        opportunity.stage = text
        actions.save(opportunity, actor=em.user, action="renamed", before=before, note=text)
    response = client_for(admin_person).get(reverse("audit") + "?format=csv&kind=engagements.opportunity")
    rows = read_safe_export(response)
    assert rows[0][:3] == ["When (UTC)", "Kind", "Who"]
    assert len(rows) > len(HOSTILE_CELLS)
    assert hostile_cells_found(rows) == set(HOSTILE_CELLS)
