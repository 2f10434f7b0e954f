"""A Practice Manager reads the history of their own Person in the admin: nothing there changes the role,
and a forged revert is refused. Clicked through in Chromium."""

import pytest
from playwright.sync_api import expect

from core.roles import Role
from people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_practice_manager_finds_no_way_to_change_their_role_in_the_history(
    page, live_server, log_in, make_person
):
    me = make_person(Role.PRACTICE_MANAGER, username="practice", name="Priya Practice")
    record = me.history.earliest("history_date")
    log_in(page, "practice")

    page.goto(f"{live_server.url}/admin/")
    page.locator("#people-person").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Priya Practice").click()
    expect(page.locator("#id_role")).to_have_count(0)  # view-only: the role is text, not a choice
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history")).to_contain_text("Priya Practice")
    page.locator("#change-history a").first.click()

    expect(page.locator("h1")).to_contain_text("View")
    expect(page.locator("body")).to_contain_text("Practice Manager")
    expect(
        page.locator("select, textarea, input[type=text], input[type=email], input[type=number]")
    ).to_have_count(0)
    expect(page.get_by_role("button", name="Revert")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # A forged revert from the same browser session, with its CSRF token, is refused.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/admin/people/person/{me.pk}/history/{record.history_id}/",
        form={"csrfmiddlewaretoken": token, "role": Role.PS_DIRECTOR, "name": me.name, "email": me.email},
        headers={"Referer": page.url},
    )
    assert response.status == 403
    me = Person.objects.select_related("user").get(pk=me.pk)
    assert me.role == Role.PRACTICE_MANAGER
    assert me.user is not None
    assert not me.user.has_perm("sow.approve_sow")
