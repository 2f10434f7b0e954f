"""SOW test helpers: a minimal real PDF, and a draft taken through the SOW services to a later state."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from core.roles import Role
from sow import services
from sow.models import MANDATORY_SECTIONS
from tests.people.factories import PersonFactory


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def take_to(version, state: str, *, em, director):
    """Bring a draft to `state` (draft, submitted, changes_requested, approved, sent, signed,
    handed_off) through the SOW services, with every mandatory section filled."""
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name} text")
    version.save()
    if state == "draft":
        return version
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    if state == "submitted":
        return version
    if state == "changes_requested":
        return services.sow_request_changes(
            actor=director.user, version=version, expected_version=version.version, comment="Add a phase gate"
        )
    version = services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    if state == "approved":
        return version
    today = timezone.localdate()
    version = services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=today,
        recipients="cfo@harbor.example",
    )
    if state == "sent":
        return version
    version = services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=today,
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )
    if state == "signed":
        return version
    services.sow_hand_off(
        actor=em.user,
        version=version,
        expected_version=version.version,
        delivery_lead=PersonFactory(role=Role.PROJECT_MANAGER, region=em.region),
        kickoff_date=today,
        staffing_confirmed=True,
        staffing_override_reason="Staffed outside the tool",  # kept only if a requirement is not covered
    )
    version.refresh_from_db()
    return version
