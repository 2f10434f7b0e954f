"""A SOW a customer signs: the PDF (rendered by WeasyPrint, read back with pypdf) names the supplier
entity configured in the admin, its address and master agreement, the customer's legal name and
address from the account, the effective date, the engagement by its opportunity's name and the
pricing in words; it omits empty sections, carries the reference and "Page X of Y" on every page
and ends with a signature and acceptance block for both parties."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from people.models import Region
from sow.models import MANDATORY_SECTIONS, PricingType, SowVersion, SupplierEntity
from sow.pdf import document_html, render_pdf
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def pages_of(version: SowVersion, *, draft: bool = False) -> list[str]:
    reader = PdfReader(io.BytesIO(render_pdf(document_html(version, draft=draft))))
    return [page.extract_text() for page in reader.pages]


@pytest.fixture
def supplier(db) -> SupplierEntity:
    return SupplierEntity.objects.create(
        legal_name="Pipeline Software Ltd",
        address="1 Harbour Exchange Square\nLondon E14 9GE",
        agreement_reference="MSA-2026-001",
        signatory_name="Morgan Lee",
        signatory_title="VP Professional Services",
    )


@pytest.fixture
def signable(draft: SowVersion) -> SowVersion:
    account = draft.sow.opportunity.account
    account.legal_name = "Harbor Bank plc"
    account.address = "20 Quay Street\nBristol BS1 4DJ"
    account.save()
    for name in MANDATORY_SECTIONS:
        setattr(draft, name, f"{name.replace('_', ' ').capitalize()} for Harbor Bank. " * 40)
    draft.staffing_requirements = ""
    draft.risks = ""
    draft.effective_date = dt.date(2027, 3, 1)
    draft.save()
    return draft


def test_the_pdf_names_both_parties_the_agreement_and_the_effective_date(supplier, signable):
    text = "\n".join(pages_of(signable))
    flat = " ".join(text.split())
    assert "Pipeline Software Ltd" in text and "1 Harbour Exchange Square" in text
    assert "Harbor Bank plc" in text and "20 Quay Street" in text and "Bristol BS1 4DJ" in text
    assert "Master Services Agreement MSA-2026-001" in flat
    assert "Effective date 1 March 2027" in flat


def test_the_pdf_uses_customer_facing_names_and_omits_empty_sections(supplier, signable):
    text = " ".join("\n".join(pages_of(signable)).split())
    assert signable.sow.opportunity.name in text  # "Harbor Bank — Migration"
    assert signable.sow.title not in text  # the internal scoping title, "Harbor Bank migration"
    assert "Pricing Fixed fee" in text
    assert "Staffing requirements" not in text and "Risks" not in text
    assert "Customer responsibilities" in text
    assert "COGS" not in text and "margin" not in text.lower()


@pytest.mark.parametrize(
    ("pricing", "words"),
    [
        (PricingType.FIXED_FEE, "Fixed fee"),
        (PricingType.TIME_AND_MATERIALS, "Time and materials"),
        (PricingType.SKU, "Packaged service"),
    ],
)
def test_pricing_reads_in_words(supplier, signable, pricing, words):
    signable.pricing_type = pricing
    signable.save()
    text = " ".join("\n".join(pages_of(signable)).split())
    assert f"Pricing {words}" in text and f"Total ({words})" in text
    assert "SKU" not in text


def test_every_page_carries_the_reference_and_its_number(supplier, signable):
    pages = pages_of(signable)
    assert len(pages) >= 2
    reference = f"{signable.sow.reference} v1"
    for number, page in enumerate(pages, start=1):
        assert page.count(reference) >= 2, number  # running header and footer
        assert f"Page {number} of {len(pages)}" in page


def test_the_last_page_holds_the_signature_block_for_both_parties(supplier, signable):
    last = " ".join(pages_of(signable)[-1].split())
    assert "Signature and acceptance" in last
    assert "For the supplier Pipeline Software Ltd" in last
    assert "For the customer Harbor Bank plc" in last
    assert len(re.findall(r"\bSignature\b", last)) >= 2
    for label in ("Name", "Title", "Date"):
        assert len(re.findall(rf"\b{label}\b", last)) >= 2, label
    assert "Morgan Lee" in last and "VP Professional Services" in last


def test_a_region_with_its_own_entity_contracts_through_it(supplier, signable):
    region = Region.objects.get(pk=signable.sow.opportunity.region_id)
    SupplierEntity.objects.create(
        region=region,
        legal_name="Pipeline Software Inc.",
        address="500 Market St",
        agreement_reference="US-MSA-7",
    )
    text = " ".join("\n".join(pages_of(signable)).split())
    assert "Pipeline Software Inc." in text and "US-MSA-7" in text and "MSA-2026-001" not in text


def test_without_a_legal_name_the_account_name_contracts(supplier, draft):
    text = "\n".join(pages_of(draft))
    assert "For the customer Harbor Bank" in " ".join(text.split())


def test_the_effective_date_is_set_with_the_sections(em, draft):
    url = reverse("sow:edit", args=[draft.pk])
    data = {name: getattr(draft, name) for name in ("objectives", "scope")}
    data.update(pricing_type="fixed_fee", version=draft.version, effective_date="2027-04-01")
    response = client_for(em).post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.effective_date == dt.date(2027, 4, 1)
    page = client_for(em).get(draft.get_absolute_url()).content.decode()
    assert "2027-04-01" in page


def test_administrators_configure_the_supplier_entity(admin_person, director):
    assert client_for(director).get(reverse("admin:sow_supplierentity_add")).status_code == 403
    admin_client = client_for(admin_person)
    response = admin_client.post(
        reverse("admin:sow_supplierentity_add"),
        {
            "legal_name": "Pipeline Software GmbH",
            "address": "Hauptstrasse 1\nBerlin",
            "agreement_title": "Master Services Agreement",
            "agreement_reference": "DE-MSA-3",
        },
    )
    assert response.status_code == 302
    assert SupplierEntity.objects.get().agreement_reference == "DE-MSA-3"
    again = admin_client.post(
        reverse("admin:sow_supplierentity_add"),
        {
            "legal_name": "Second default",
            "address": "x",
            "agreement_title": "MSA",
            "agreement_reference": "2",
        },
    )
    assert again.status_code == 200 and SupplierEntity.objects.count() == 1
