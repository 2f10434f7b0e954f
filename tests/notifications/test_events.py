"""Every kind of event tells the right people once, in the app and by email.

Expected recipients are written out from the fixtures (who is the EM, the directors, PS Operations,
the TAs, the person booked), never read back from the code that chooses them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.roles import Role
from engagements import services as opportunity_services
from notifications.models import Kind, Notification
from scoping import services as scoping_services
from sow import services as sow_services
from sow import tasks as sow_tasks
from sow.models import SowDocument
from staffing import services as staffing_services
from tests.engagements.factories import OpportunityFactory
from tests.people.factories import PersonFactory, delivery_person
from tests.sow.factories import blank_pdf, take_to
from tests.staffing.factories import StaffingRequirementFactory

pytestmark = pytest.mark.django_db


def in_app(kind: str) -> list[str]:
    """Usernames shown a notification of `kind` in the app, one entry per notification."""
    return sorted(
        Notification.objects.filter(kind=kind, in_app=True).values_list("user__username", flat=True)
    )


def emailed(subject_prefix: str) -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if m.subject.startswith(subject_prefix))


@pytest.fixture
def psops(make_person, region_amer):
    return make_person(Role.PS_OPERATIONS, username="psops", region=region_amer, name="Olu Ops")


@pytest.fixture
def ta(make_person):
    return make_person(Role.TECHNICAL_ARCHITECT, username="ta", name="Tara Architect")


def test_sow_steps_tell_the_right_people_once(
    em, director, second_director, psops, draft, django_capture_on_commit_callbacks
):
    reference = draft.sow.reference
    with django_capture_on_commit_callbacks(execute=True):
        version = take_to(draft, "submitted", em=em, director=director)
    # Submitted: every director, not the EM who submitted.
    assert in_app(Kind.SOW_SUBMITTED) == ["director", "director2"]
    assert emailed("SOW for approval") == sorted([director.user.email, second_director.user.email])

    with django_capture_on_commit_callbacks(execute=True):
        version = sow_services.sow_approve(
            actor=director.user, version=version, expected_version=version.version, comment="Go"
        )
    # Approved: the author, who is also the deal's EM (told once), not the approver.
    assert in_app(Kind.SOW_APPROVED) == ["em.amer"]
    assert emailed("SOW approved") == [em.user.email]

    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        version = sow_services.sow_mark_sent(
            actor=em.user, version=version, expected_version=version.version, sent_on=today, recipients="cfo"
        )
    # Sent by the EM: the approver hears of it.
    assert in_app(Kind.SOW_SENT) == ["director"]
    assert emailed("SOW sent") == [director.user.email]

    with django_capture_on_commit_callbacks(execute=True):
        version = sow_services.sow_mark_signed(
            actor=em.user,
            version=version,
            expected_version=version.version,
            signed_on=today,
            signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
        )
    assert in_app(Kind.SOW_SIGNED) == ["director", "psops"]
    assert emailed("SOW signed") == sorted([director.user.email, psops.user.email])

    lead = PersonFactory(role=Role.PROJECT_MANAGER, region=em.region, user=None, email="lead@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sow_services.sow_hand_off(
            actor=em.user,
            version=version,
            expected_version=version.version,
            delivery_lead=lead,
            kickoff_date=today + dt.timedelta(days=7),
            staffing_confirmed=False,
        )
    # Hand-off: the delivery lead (no login: by email), PS Operations; the EM handed off, so not them.
    assert in_app(Kind.SOW_HANDED_OFF) == ["psops"]
    assert emailed("Handed off to delivery") == sorted(["lead@example.com", psops.user.email])
    lead_note = Notification.objects.get(kind=Kind.SOW_HANDED_OFF, person=lead)
    assert lead_note.user is None and not lead_note.in_app
    assert reference in lead_note.title
    # Each step told each person once.
    assert len(mail.outbox) == Notification.objects.count() == 2 + 1 + 1 + 2 + 2


def test_hand_off_by_someone_else_tells_the_em_too(em, make_person, psops, draft, director):
    version = take_to(draft, "signed", em=em, director=director)
    admin = make_person(Role.ENGAGEMENT_MANAGER, username="root", superuser=True)
    lead = make_person(Role.PROJECT_MANAGER, username="lead", region=em.region)
    sow_services.sow_hand_off(
        actor=admin.user,
        version=version,
        expected_version=version.version,
        delivery_lead=lead,
        kickoff_date=timezone.localdate(),
        staffing_confirmed=False,
    )
    assert in_app(Kind.SOW_HANDED_OFF) == ["em.amer", "lead", "psops"]


def test_changes_requested_tells_the_em_with_the_comment(
    em, director, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take_to(draft, "changes_requested", em=em, director=director)
    [note] = Notification.objects.filter(kind=Kind.SOW_CHANGES_REQUESTED)
    assert note.user == em.user and "Add a phase gate" in note.body
    [message] = [m for m in mail.outbox if m.subject.startswith("Changes requested")]
    assert message.to == [em.user.email] and "Add a phase gate" in message.body


def test_each_submission_is_its_own_event(em, director, draft):
    version = take_to(draft, "changes_requested", em=em, director=director)
    version = sow_services.sow_reopen(actor=em.user, version=version, expected_version=version.version)
    sow_services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    assert in_app(Kind.SOW_SUBMITTED) == ["director", "director"]


def _big_estimate(em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Atlas — Platform")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Atlas platform")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Fee", quantity="1", unit_price="90000"
    )
    return issue, estimate


def test_estimate_above_the_threshold_tells_the_tas_once(
    em, ta, make_person, region_amer, django_capture_on_commit_callbacks
):
    second_ta = make_person(Role.TECHNICAL_ARCHITECT, username="ta2")
    with django_capture_on_commit_callbacks(execute=True):
        issue, estimate = _big_estimate(em, region_amer)
        scoping_services.estimate_add_line(
            actor=em.user, estimate=estimate, kind="free", description="More", quantity="1", unit_price="10"
        )
    assert in_app(Kind.TA_REVIEW_NEEDED) == ["ta", "ta2"]
    assert emailed("TA review needed") == sorted([ta.user.email, second_ta.user.email])
    links = set(Notification.objects.filter(kind=Kind.TA_REVIEW_NEEDED).values_list("link", flat=True))
    assert links == {estimate.get_absolute_url()}


def test_ta_send_back_and_approval_tell_the_em_with_the_comment(
    em, ta, region_amer, django_capture_on_commit_callbacks
):
    issue, estimate = _big_estimate(em, region_amer)
    with django_capture_on_commit_callbacks(execute=True):
        scoping_services.ta_send_back(actor=ta.user, issue=issue, comment="Split phase 2 out")
    [note] = Notification.objects.filter(kind=Kind.TA_SENT_BACK)
    assert note.user == em.user and "Split phase 2 out" in note.body
    assert note.link == estimate.get_absolute_url()
    assert emailed("TA sent back") == [em.user.email]
    with django_capture_on_commit_callbacks(execute=True):
        scoping_services.ta_approve(actor=ta.user, issue=issue, comment="Fine now")
    assert in_app(Kind.TA_APPROVED) == ["em.amer"]
    assert emailed("TA approved") == [em.user.email]


def test_ta_assistance_asked_and_given(em, ta, region_amer, django_capture_on_commit_callbacks):
    issue, _ = _big_estimate(em, region_amer)
    with django_capture_on_commit_callbacks(execute=True):
        scoping_services.ta_request_assistance(actor=em.user, issue=issue, note="Sizing the data move?")
    assert in_app(Kind.TA_ASSISTANCE_REQUESTED) == ["ta"]
    assert "Sizing the data move?" in Notification.objects.get(kind=Kind.TA_ASSISTANCE_REQUESTED).body
    with django_capture_on_commit_callbacks(execute=True):
        scoping_services.ta_mark_assisted(actor=ta.user, issue=issue, comment="Use the bulk loader")
    assert in_app(Kind.TA_ASSISTANCE_ANSWERED) == ["em.amer"]
    assert emailed("TA help given") == [em.user.email]


def test_em_assigned_tells_the_new_em(
    em, em_manager, make_person, region_amer, django_capture_on_commit_callbacks
):
    newcomer = make_person(Role.ENGAGEMENT_MANAGER, username="em.new", region=region_amer, manager=em_manager)
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Borealis — Upgrade")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = opportunity_services.opportunity_assign_em(
            actor=em_manager.user, opportunity=opp, engagement_manager=newcomer, expected_version=opp.version
        )
        # Assigning the same EM again changes nothing and tells nobody.
        opportunity_services.opportunity_assign_em(
            actor=em_manager.user,
            opportunity=fresh,
            engagement_manager=newcomer,
            expected_version=fresh.version,
        )
    assert in_app(Kind.EM_ASSIGNED) == ["em.new"]
    [message] = mail.outbox
    assert message.to == [newcomer.user.email] and "Borealis — Upgrade" in message.subject


def test_staffing_proposed_and_confirmed_tell_the_person_booked(
    em, director, psops, draft, make_person, django_capture_on_commit_callbacks
):
    signed = take_to(draft, "signed", em=em, director=director)
    requirement = StaffingRequirementFactory(sow=signed.sow)
    engineer = make_person(Role.PS_ENGINEER, username="sam")
    offline = delivery_person("Robin Lee", email="robin@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        proposal = staffing_services.assignment_propose(
            actor=em.user, requirement=requirement, person=engineer
        )
        staffing_services.assignment_propose(actor=em.user, requirement=requirement, person=offline)
    assert in_app(Kind.STAFFING_PROPOSED) == ["sam"]
    assert emailed("Proposed for") == sorted([engineer.user.email, "robin@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        staffing_services.assignment_confirm(actor=psops.user, assignment=proposal)
    assert in_app(Kind.STAFFING_CONFIRMED) == ["sam"]
    assert emailed("Confirmed on") == [engineer.user.email]
    assert "20 h a week" in Notification.objects.get(kind=Kind.STAFFING_CONFIRMED).body


def test_failed_pdf_render_tells_the_administrators(
    em, make_person, draft, settings, django_capture_on_commit_callbacks
):
    admin = make_person(Role.PS_OPERATIONS, username="root", superuser=True)
    settings.SOW_PDF_TEMPLATE = "sow/no-such-template.html"
    document = SowDocument.objects.create(sow_version=draft, kind=SowDocument.Kind.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        assert sow_tasks.render_sow_pdf.delay(document.pk).get() == "failed"
    [note] = Notification.objects.filter(kind=Kind.PDF_RENDER_FAILED)
    assert note.user == admin.user and "TemplateDoesNotExist" in note.body
    assert emailed("PDF failed") == [admin.user.email]


def test_failed_salesforce_push_tells_the_administrators_once_per_run(
    fake_sf, em, em_manager, make_person, region_amer, django_capture_on_commit_callbacks
):
    from engagements.models import Opportunity
    from salesforce.sync import salesforce_sync_run
    from tests.salesforce.test_sync import ACCOUNT, EM_USER, OPP, link

    link(fake_sf, em)
    fake_sf.add_account(ACCOUNT, name="Acme")
    fake_sf.add_opportunity(OPP, Name="Acme — Migration", AccountId=ACCOUNT, Engagement_Manager__c=EM_USER)
    salesforce_sync_run()
    opp = Opportunity.objects.get(salesforce_id=OPP)
    admin = make_person(Role.PS_OPERATIONS, username="root", superuser=True)
    newcomer = make_person(Role.ENGAGEMENT_MANAGER, username="em.new", region=region_amer, manager=em_manager)
    opportunity_services.opportunity_assign_em(
        actor=em_manager.user, opportunity=opp, engagement_manager=newcomer, expected_version=opp.version
    )  # the newcomer has no Salesforce user id: the push fails
    with django_capture_on_commit_callbacks(execute=True):
        run = salesforce_sync_run().run
        salesforce_sync_run()  # nothing new failed: nobody told again
    assert run.push_failed == 1
    [note] = Notification.objects.filter(kind=Kind.SALESFORCE_PUSH_FAILED)
    assert note.user == admin.user and note.link.endswith("?status__exact=failed")
    assert emailed("1 Salesforce push(es) failed") == [admin.user.email]


def test_change_request_steps_tell_the_right_people_once(
    em, director, second_director, draft, django_capture_on_commit_callbacks
):
    from sow.services import change_requests as cr_services
    from tests.sow.test_change_requests import add_labour, fresh

    signed = take_to(draft, "signed", em=em, director=director)
    cr = cr_services.change_request_create(
        actor=em.user,
        version=signed,
        title="Two more pipelines",
        reason="The customer adds two business units.",
        schedule_impact="Two more weeks.",
        new_end_date=timezone.localdate() + dt.timedelta(days=120),
    )
    add_labour(em.user, cr)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cr_services.change_request_submit(
            actor=em.user, change_request=cr, expected_version=fresh(cr).version
        )
    assert in_app(Kind.CR_SUBMITTED) == ["director", "director2"]
    with django_capture_on_commit_callbacks(execute=True):
        cr_services.change_request_request_changes(
            actor=director.user,
            change_request=cr,
            expected_version=fresh(cr).version,
            comment="Price the UAT",
        )
    assert in_app(Kind.CR_CHANGES_REQUESTED) == ["em.amer"]
    assert "Price the UAT" in Notification.objects.get(kind=Kind.CR_CHANGES_REQUESTED).body
    with django_capture_on_commit_callbacks(execute=True):
        cr_services.change_request_reopen(
            actor=em.user, change_request=cr, expected_version=fresh(cr).version
        )
        cr_services.change_request_submit(
            actor=em.user, change_request=cr, expected_version=fresh(cr).version
        )
        cr_services.change_request_approve(
            actor=second_director.user, change_request=cr, expected_version=fresh(cr).version
        )
    # The second submission is its own event: each director told again, once.
    assert in_app(Kind.CR_SUBMITTED) == ["director", "director", "director2", "director2"]
    assert in_app(Kind.CR_APPROVED) == ["em.amer"]
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        cr_services.change_request_mark_sent(
            actor=em.user,
            change_request=cr,
            expected_version=fresh(cr).version,
            sent_on=today,
            recipients="cfo",
        )
        cr_services.change_request_mark_signed(
            actor=em.user,
            change_request=cr,
            expected_version=fresh(cr).version,
            signed_on=today,
            signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
        )
    # Signed, recorded by the EM: whoever approved it hears of it.
    assert in_app(Kind.CR_SIGNED) == ["director2"]
    assert len(mail.outbox) == Notification.objects.count()
