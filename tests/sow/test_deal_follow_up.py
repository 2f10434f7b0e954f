"""Approving a SOW moves its scoping issue to Approved; signing it records the booking date."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEntry
from scoping.models import ScopingStatus
from sow import services
from tests.sow.factories import blank_pdf, take_to


def test_approving_a_sow_moves_its_scoping_issue_to_approved(draft, em, director):
    issue = draft.sow.scoping_issue
    issue.refresh_from_db()
    assert issue.status != ScopingStatus.APPROVED
    take_to(draft, "approved", em=em, director=director)
    issue.refresh_from_db()
    assert issue.status == ScopingStatus.APPROVED
    assert AuditEntry.objects.filter(action__contains="its SOW was approved").exists()


def test_requesting_changes_leaves_the_scoping_issue_where_it_was(draft, em, director):
    issue = draft.sow.scoping_issue
    issue.refresh_from_db()
    status_before = issue.status
    take_to(draft, "changes_requested", em=em, director=director)
    issue.refresh_from_db()
    assert issue.status == status_before


def test_a_closed_scoping_issue_stays_closed_when_its_sow_is_approved(draft, em, director):
    submitted = take_to(draft, "submitted", em=em, director=director)
    issue = draft.sow.scoping_issue
    issue.refresh_from_db()
    type(issue).objects.filter(pk=issue.pk).update(status=ScopingStatus.CLOSED)
    services.sow_approve(actor=director.user, version=submitted, expected_version=submitted.version)
    issue.refresh_from_db()
    assert issue.status == ScopingStatus.CLOSED


def test_signing_records_the_booking_date_on_the_opportunity(draft, em, director):
    sent = take_to(draft, "approved", em=em, director=director)
    opportunity = draft.sow.opportunity
    assert opportunity.booked_on is None
    today = timezone.localdate()  # sent and signed the day it was approved
    sent = services.sow_mark_sent(
        actor=em.user, version=sent, expected_version=sent.version, sent_on=today, recipients="cfo@x.example"
    )
    assert type(opportunity).objects.get(pk=opportunity.pk).booked_on is None
    services.sow_mark_signed(
        actor=em.user,
        version=sent,
        expected_version=sent.version,
        signed_on=today,
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )
    opportunity.refresh_from_db()
    assert opportunity.booked_on == today
    # The EM's version is untouched: an open edit of the EM fields still saves.
    assert opportunity.history.filter(booked_on=today).exists()


def test_signing_does_not_move_the_opportunity_version(draft, em, director):
    opportunity = draft.sow.opportunity
    opportunity.refresh_from_db()
    version_before = opportunity.version
    take_to(draft, "signed", em=em, director=director)
    opportunity.refresh_from_db()
    assert opportunity.version == version_before
    assert opportunity.booked_on == timezone.localdate()
