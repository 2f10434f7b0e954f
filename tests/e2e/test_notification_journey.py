"""A TA sends an estimate back; the EM sees the bell, opens the notification and reads the comment
on the estimate; the list and the preferences on a desktop and a phone screen, clicked through in
Chromium (screenshots are written to E2E_SCREENSHOT_DIR when it is set)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.roles import Role
from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import notify
from scoping import services as scoping_services
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def big_estimate(em, region_amer):
    """An estimate of USD 90,000 on an issue of em.amer's: above the TA review threshold."""
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Atlas — Platform build")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Atlas platform")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="free",
        description="Platform fee",
        quantity="1",
        unit_price="90000",
    )
    return estimate


def test_ta_sends_back_and_the_em_reads_the_comment(page, live_server, log_in, em, make_person, big_estimate):
    make_person(Role.TECHNICAL_ARCHITECT, username="ta", name="Tara Architect")
    issue = big_estimate.scoping_issue
    log_in(page, "ta")
    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    page.get_by_label("Comment").fill("Split phase 2 out & add a 10 % contingency")
    page.get_by_role("button", name="Send back").click()
    expect(page.get_by_test_id("ta-state")).to_have_text("Sent back by TA")

    page.context.clear_cookies()
    log_in(page, "em.amer")
    bell = page.get_by_test_id("notification-bell")
    expect(bell.get_by_test_id("unread-count")).to_have_text("1")
    bell.click()
    item = page.get_by_test_id("notification").filter(has_text="TA sent back")
    expect(item).to_contain_text("Split phase 2 out & add a 10 % contingency")
    expect(item).to_contain_text("New")
    item.get_by_test_id("notification-open").click()

    page.wait_for_url(f"{live_server.url}{big_estimate.get_absolute_url()}")
    decision = page.get_by_test_id("ta-decision")
    expect(decision).to_contain_text("Sent back")
    expect(decision).to_contain_text("ta · ")  # who sent it back
    expect(decision).to_contain_text("Split phase 2 out & add a 10 % contingency")
    page.set_viewport_size({"width": 1440, "height": 900})
    shot(page, "estimate-sent-back", 1440, 900)
    # Opened means read: the bell has nothing unread.
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    [note] = Notification.objects.filter(user=em.user, kind=Kind.TA_SENT_BACK)
    assert note.read_at is not None

    page.get_by_test_id("notification-bell").click()
    expect(page.get_by_test_id("notification").filter(has_text="TA sent back")).to_contain_text("Read")


def shot(page, name: str, width: int, height: int) -> None:
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{width}x{height}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_em_marks_all_read_and_turns_an_email_off(page, live_server, log_in, em, big_estimate, width, height):
    for number, (kind, title) in enumerate(
        [
            (Kind.SOW_APPROVED, "SOW approved: SOW-00007 Atlas platform build"),
            (Kind.EM_ASSIGNED, "You are the EM of Atlas — Platform build"),
            (Kind.TA_SENT_BACK, "TA sent back Atlas platform v1"),
        ]
    ):
        notify(
            recipients=[em],
            kind=kind,
            title=title,
            body=f"{title}. Comment: keep <b>phase 1</b> as it is.",
            link=big_estimate.get_absolute_url(),
            event_key=f"journey:{number}",
        )
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "em.amer")
    # On a phone the menu folds away; the bell stays beside it.
    compact = "-compact" if width < 992 else ""
    expect(page.get_by_test_id(f"unread-count{compact}")).to_have_text("3")
    page.get_by_test_id(f"notification-bell{compact}").click()
    expect(page.get_by_test_id("notification")).to_have_count(3)
    expect(page.get_by_test_id("notification").first).to_contain_text("keep <b>phase 1</b> as it is")
    shot(page, "notifications", width, height)

    page.get_by_test_id("notification-read").first.click()
    expect(page.get_by_test_id("unread-summary")).to_have_text("2 unread")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_role("alert")).to_contain_text("Marked 2 notifications read.")
    expect(page.get_by_test_id("unread-summary")).to_have_text("0 unread")

    page.get_by_role("link", name="Preferences").click()
    expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    shot(page, "notification-preferences", width, height)
    page.get_by_label("A TA sent an estimate back: by email").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("alert")).to_contain_text("Your notification preferences were saved.")
    expect(page.get_by_label("A TA sent an estimate back: by email")).not_to_be_checked()
    expect(page.get_by_label("A TA sent an estimate back: in the app")).to_be_checked()
    pref = NotificationPreference.objects.get(user=em.user, kind=Kind.TA_SENT_BACK)
    assert (pref.in_app, pref.email) == (True, False)
