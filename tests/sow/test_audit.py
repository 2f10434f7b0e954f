"""Each SOW write leaves one audit entry, in the same transaction, naming who did it, what they did,
each change in words and the user's comment or reason; a refused write leaves none."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import Conflict
from core.models import AuditEntry
from core.roles import Role
from sow import services
from sow.models import Approval, HandOff, SowVersion
from tests.sow.factories import blank_pdf, take_to

pytestmark = pytest.mark.django_db


def entries(obj):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).order_by("at", "pk")
    )


def the_one_entry(obj, since=0):
    """The single entry written about `obj` after the first `since` ones."""
    new = entries(obj)[since:]
    assert len(new) == 1, [entry.action for entry in new]
    return new[0]


def change(entry, field):
    lines = [(line["before"], line["after"]) for line in entry.changes if line["field"] == field]
    assert len(lines) == 1, entry.changes
    return lines[0]


def seen(version):
    return SowVersion.objects.get(pk=version.pk)


# --------------------------------------------------------------------------- drafting


def test_drafting_a_sow_is_recorded_on_the_sow_with_its_title(em, draft):
    sow = draft.sow
    entry = the_one_entry(sow)
    assert (entry.actor, entry.action, entry.object_url) == (
        em.user,
        "drafted the SOW",
        sow.get_absolute_url(),
    )
    assert change(entry, "title") == ("", "Harbor Bank migration")
    assert change(entry, "scoping issue") == ("", str(sow.scoping_issue))
    assert entries(draft) == []  # the first version is part of the drafting, told once
    assert sow.history.latest().history_user == em.user
    assert draft.history.latest().history_user == em.user


def test_editing_a_draft_records_each_changed_section_in_words(em, draft):
    expiry = timezone.localdate() + dt.timedelta(days=45)
    services.sow_update_sections(
        actor=em.user,
        version=draft,
        expected_version=draft.version,
        pricing_type="time_materials",
        expiry_date=expiry,
        deliverables="- Migration plan",
    )
    entry = the_one_entry(draft)
    assert (entry.actor, entry.action, entry.object_url) == (
        em.user,
        "edited the SOW",
        draft.get_absolute_url(),
    )
    assert change(entry, "deliverables") == ("—", "- Migration plan")
    assert change(entry, "pricing type") == ("Fixed fee", "Time and materials")
    assert change(entry, "expiry date") == (draft.expiry_date.isoformat(), expiry.isoformat())
    assert seen(draft).history.latest().history_user == em.user


def test_a_stale_section_edit_records_nothing(em, draft):
    stale = draft.version
    services.sow_update_sections(
        actor=em.user, version=draft, expected_version=stale, pricing_type="fixed_fee", expiry_date=None
    )
    count = len(entries(draft))
    with pytest.raises(Conflict):
        services.sow_update_sections(
            actor=em.user,
            version=draft,
            expected_version=stale,
            pricing_type="fixed_fee",
            expiry_date=None,
            scope="Late",
        )
    assert len(entries(draft)) == count


# --------------------------------------------------------------------------- costs


def test_cost_lines_added_changed_and_removed_are_told_on_the_version(em, draft):
    line = services.cost_line_add(
        actor=em.user, version=draft, kind="travel", description="Flights", amount="100"
    )
    added = the_one_entry(draft)
    assert (added.actor, added.action) == (em.user, "added a cost line")
    assert change(added, "cost line") == ("", "Flights: travel, 100.00")

    services.cost_line_update(actor=em.user, line=line, description="Flights to Boston", amount="250")
    changed = the_one_entry(draft, since=1)
    assert (changed.actor, changed.action) == (em.user, "changed a cost line")
    assert change(changed, "cost line") == ("Flights: travel, 100.00", "Flights to Boston: travel, 250.00")

    services.cost_line_delete(actor=em.user, line=line)
    removed = the_one_entry(draft, since=2)
    assert (removed.actor, removed.action) == (em.user, "removed a cost line")
    assert change(removed, "cost line") == ("Flights to Boston: travel, 250.00", "")


def test_a_role_line_is_told_with_its_hours_and_copied_rate(em, draft):
    services.cost_line_add(
        actor=em.user, version=draft, kind="role", description="Workshop", role_name="Engineer", hours="8"
    )
    assert change(the_one_entry(draft), "cost line") == ("", "Workshop: Engineer, 8.00 h at 100.00")


def test_a_refused_cost_line_records_nothing(em, leadership, draft):
    with pytest.raises(PermissionDenied):
        services.cost_line_add(
            actor=leadership.user, version=draft, kind="travel", description="x", amount="5"
        )
    with pytest.raises(ValidationError):
        services.cost_line_add(actor=em.user, version=draft, kind="travel", description="x", amount="-5")
    assert entries(draft) == []


# --------------------------------------------------------------------------- transitions


def submit(em, director, version):
    return services.sow_submit(actor=em.user, version=version, expected_version=version.version)


def approve(em, director, version):
    return services.sow_approve(
        actor=director.user, version=version, expected_version=version.version, comment="Good margin"
    )


def request_changes(em, director, version):
    return services.sow_request_changes(
        actor=director.user, version=version, expected_version=version.version, comment="Add a phase gate"
    )


def reopen(em, director, version):
    return services.sow_reopen(actor=em.user, version=version, expected_version=version.version)


def withdraw(em, director, version):
    return services.sow_withdraw(
        actor=em.user, version=version, expected_version=version.version, reason="Customer paused"
    )


def mark_sent(em, director, version):
    return services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=timezone.localdate(),
        recipients="cfo@harbor.example",
    )


def mark_signed(em, director, version):
    return services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=timezone.localdate(),
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )


# name -> (state it starts from, the call, who acts, action, note, status before → after)
TRANSITIONS = {
    "submit": ("draft", submit, "em", "submitted for approval", "", ("Draft", "Submitted")),
    "approve": (
        "submitted",
        approve,
        "director",
        "approved step 1 of 1 (PS Director)",
        "Good margin",
        ("Submitted", "Approved"),
    ),
    "request_changes": (
        "submitted",
        request_changes,
        "director",
        "requested changes at step 1 of 1 (PS Director)",
        "Add a phase gate",
        ("Submitted", "Changes requested"),
    ),
    "reopen": ("changes_requested", reopen, "em", "reopened", "", ("Changes requested", "Draft")),
    "withdraw": ("submitted", withdraw, "em", "withdrew", "Customer paused", ("Submitted", "Withdrawn")),
    "mark_sent": ("approved", mark_sent, "em", "marked sent", "", ("Approved", "Sent")),
    "mark_signed": ("sent", mark_signed, "em", "marked signed", "", ("Sent", "Signed")),
}


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_each_transition_records_one_entry_with_its_actor_action_and_note(name, em, director, draft):
    start, call, who, action, note, status = TRANSITIONS[name]
    version = take_to(draft, start, em=em, director=director)
    since = len(entries(version))
    actor = {"em": em, "director": director}[who]
    call(em, director, seen(version))
    entry = the_one_entry(version, since=since)
    assert (entry.actor, entry.action, entry.note, entry.object_url) == (
        actor.user,
        action,
        note,
        version.get_absolute_url(),
    )
    assert change(entry, "status") == status
    assert seen(version).history.latest().history_user == actor.user


def test_submitting_below_target_records_the_justification(em, director, draft, settings):
    settings.SOW_DEFAULT_MARGIN_TARGET = "60"
    version = take_to(draft, "draft", em=em, director=director)
    services.sow_submit(
        actor=em.user, version=version, expected_version=version.version, justification="Strategic logo"
    )
    entry = the_one_entry(version)
    assert change(entry, "below target justification") == ("—", "Strategic logo")


def test_marking_sent_and_signed_records_the_dates_recipients_and_signed_copy(em, director, draft):
    version = take_to(draft, "approved", em=em, director=director)
    since = len(entries(version))
    today = timezone.localdate().isoformat()
    version = mark_sent(em, director, version)
    sent = the_one_entry(version, since=since)
    assert change(sent, "sent at") == ("—", today)
    assert change(sent, "sent to") == ("—", "cfo@harbor.example")
    mark_signed(em, director, version)
    signed = the_one_entry(version, since=since + 1)
    assert change(signed, "signed at") == ("—", today)
    assert change(signed, "signed copy") == ("—", "a file")


def test_a_decision_appears_on_the_audit_trail_once(em, director, draft):
    version = take_to(draft, "submitted", em=em, director=director)
    approve(em, director, seen(version))
    assert Approval.objects.filter(sow_version=version).count() == 1
    assert AuditEntry.objects.filter(action="approved step 1 of 1 (PS Director)").count() == 1
    assert not AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Approval)).exists()


def test_revising_is_told_on_the_new_version_and_approving_it_supersedes_the_old(em, director, draft):
    v1 = take_to(draft, "approved", em=em, director=director)
    v2 = services.sow_revise(actor=em.user, version=seen(v1), expected_version=seen(v1).version)
    revised = the_one_entry(v2)
    assert (revised.actor, revised.action) == (em.user, "revised")
    assert change(revised, "version") == ("v1", "v2")

    v2 = take_to(v2, "submitted", em=em, director=director)
    approve(em, director, seen(v2))
    approved = entries(v2)[-1]
    assert (approved.actor, approved.action) == (director.user, "approved step 1 of 1 (PS Director)")
    assert change(approved, "v1") == ("Approved", "Superseded")
    assert seen(v1).history.latest().history_user == director.user


def test_handing_off_records_what_delivery_was_given(em, director, draft, make_person):
    lead = make_person(Role.PROJECT_MANAGER, name="Pat Lead")
    version = take_to(draft, "signed", em=em, director=director)
    since = len(entries(version))
    kickoff = timezone.localdate() + dt.timedelta(days=7)
    services.sow_hand_off(
        actor=em.user,
        version=seen(version),
        expected_version=seen(version).version,
        delivery_lead=lead,
        kickoff_date=kickoff,
        staffing_confirmed=True,
        notes="Kickoff in Boston",
    )
    entry = the_one_entry(version, since=since)
    assert (entry.actor, entry.action, entry.note) == (em.user, "handed off", "Kickoff in Boston")
    assert change(entry, "status") == ("Signed", "Handed off")
    assert change(entry, "delivery lead") == ("", "Pat Lead")
    assert change(entry, "kickoff date") == ("", kickoff.isoformat())
    assert change(entry, "staffing confirmed") == ("", "yes")
    assert HandOff.objects.get(sow_version=version).history.latest().history_user == em.user
    assert not AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(HandOff)).exists()


def test_a_refused_transition_records_nothing(em, leadership, director, draft):
    version = take_to(draft, "submitted", em=em, director=director)
    since = len(entries(version))
    with pytest.raises(PermissionDenied):
        services.sow_approve(actor=em.user, version=seen(version), expected_version=seen(version).version)
    with pytest.raises(ValidationError):
        services.sow_request_changes(
            actor=director.user, version=seen(version), expected_version=seen(version).version, comment=""
        )
    with pytest.raises(Conflict):
        services.sow_withdraw(
            actor=em.user, version=seen(version), expected_version=seen(version).version - 1, reason="Lost"
        )
    assert len(entries(version)) == since
    assert not Approval.objects.exists()


# --------------------------------------------------------------------------- PDFs


def test_asking_for_a_pdf_is_recorded_on_the_version(em, draft):
    services.sow_request_pdf(actor=em.user, version=draft)
    entry = the_one_entry(draft)
    assert (entry.actor, entry.action, entry.object_url) == (
        em.user,
        "asked for the draft PDF",
        draft.get_absolute_url(),
    )
