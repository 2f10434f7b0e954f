"""Each scoping write leaves one audit entry, in the same transaction, naming who did it, what they
did and each change in words; a refused write leaves none."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from core.models import AuditEntry
from scoping import services
from scoping.models import Estimate

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


def discovery(em, **overrides):
    values = {
        "title": "Discovery",
        "assignee": em,
        "current_state": "",
        "constraints": "",
        "desired_outcomes": "",
        "requirements": "",
        "service_types": [],
        "external_link": "",
    }
    return {**values, **overrides}


def big_estimate(em, issue, amount="80000"):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="free",
        description="Fixed fee",
        quantity="1",
        unit_price=amount,
    )
    return Estimate.objects.get(pk=estimate.pk)


# --------------------------------------------------------------------------- scoping issues


def test_opening_an_issue_is_recorded_with_what_it_was_opened_with(em, opp):
    issue = services.scoping_issue_create(actor=em.user, opportunity=opp, title="Platform rollout")
    entry = the_one_entry(issue)
    assert (entry.actor, entry.action, entry.object_url) == (
        em.user,
        "opened the scoping issue",
        issue.get_absolute_url(),
    )
    assert change(entry, "title") == ("", "Platform rollout")
    assert change(entry, "assignee") == ("", em.name)


def test_editing_discovery_records_each_changed_field_in_words(em, issue):
    services.scoping_issue_update(
        actor=em.user,
        issue=issue,
        expected_version=issue.version,
        **discovery(em, title="New title", current_state="Jenkins", service_types=["migration"]),
    )
    entry = the_one_entry(issue)
    assert (entry.actor, entry.action) == (em.user, "edited the discovery record")
    assert change(entry, "title") == (issue.title, "New title")
    assert change(entry, "current state") == ("—", "Jenkins")
    assert change(entry, "service types") == ("—", "migration")
    assert issue.history.latest().history_user == em.user


def test_a_stale_discovery_edit_records_nothing(em, issue):
    seen = issue.version
    services.scoping_issue_update(actor=em.user, issue=issue, expected_version=seen, **discovery(em))
    count = len(entries(issue))
    with pytest.raises(Conflict):
        services.scoping_issue_update(
            actor=em.user, issue=issue, expected_version=seen, **discovery(em, title="Late")
        )
    assert len(entries(issue)) == count


def test_a_board_move_records_the_status_as_the_board_names_it(em, issue):
    services.scoping_issue_move(actor=em.user, issue=issue, status="strawman")
    entry = the_one_entry(issue)
    assert (entry.actor, entry.action) == (em.user, "moved on the board")
    assert change(entry, "status") == ("Open", "Strawman in progress")


def test_a_refused_move_records_nothing(leadership, em, issue):
    with pytest.raises(PermissionDenied):
        services.scoping_issue_move(actor=leadership.user, issue=issue, status="closed")
    with pytest.raises(ValidationError):
        services.scoping_issue_move(actor=em.user, issue=issue, status="ready_for_approval")
    assert entries(issue) == []


# --------------------------------------------------------------------------- TA review


def test_asking_a_ta_for_help_records_the_request_and_the_note(em, issue):
    services.ta_request_assistance(actor=em.user, issue=issue, note="Air-gapped runners")
    entry = the_one_entry(issue)
    assert (entry.actor, entry.action, entry.note) == (
        em.user,
        "asked a Technical Architect for help",
        "Air-gapped runners",
    )
    assert change(entry, "ta assistance") == ("—", "Assistance requested")


def test_a_ta_approval_records_the_reviewer_the_version_and_the_new_review_state(em, ta, issue):
    big_estimate(em, issue)
    count = len(entries(issue))
    services.ta_approve(actor=ta.user, issue=issue, comment="Architecture is sound")
    entry = the_one_entry(issue, since=count)
    assert (entry.actor, entry.action, entry.note) == (
        ta.user,
        "approved the estimate",
        "Architecture is sound",
    )
    assert change(entry, "estimate reviewed") == ("", "v1")
    assert change(entry, "TA review") == ("Needs TA review", "TA approved")


def test_sending_back_records_the_comment(em, ta, issue):
    big_estimate(em, issue)
    count = len(entries(issue))
    services.ta_send_back(actor=ta.user, issue=issue, comment="Split phase 2 out")
    entry = the_one_entry(issue, since=count)
    assert (entry.actor, entry.action, entry.note) == (ta.user, "sent back for changes", "Split phase 2 out")
    assert change(entry, "TA review") == ("Needs TA review", "Sent back by TA")


def test_a_refused_review_records_nothing(em, issue):
    big_estimate(em, issue)
    count = len(entries(issue))
    with pytest.raises(PermissionDenied):
        services.ta_approve(actor=em.user, issue=issue)
    assert len(entries(issue)) == count


# --------------------------------------------------------------------------- estimates


def test_adding_a_line_records_the_line_the_new_total_and_the_review_it_now_needs(em, issue):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    assert the_one_entry(estimate).action == "started the estimate"
    services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="free",
        description="Fixed fee",
        quantity="2",
        unit_price="40000",
    )
    entry = the_one_entry(estimate, since=1)
    assert (entry.actor, entry.action) == (em.user, "added a line")
    assert change(entry, "line") == ("", "Fixed fee: 2 × 40,000.00")
    assert change(entry, "total") == ("0.00", "80,000.00")
    assert change(entry, "TA review") == ("Not needed", "Needs TA review")


def test_a_line_added_to_a_shared_estimate_is_refused_and_records_nothing(em, issue, rate_card):
    estimate = big_estimate(em, issue)
    services.estimate_share(actor=em.user, estimate=estimate)
    count = len(entries(estimate))
    with pytest.raises(ValidationError):
        services.estimate_add_line(
            actor=em.user, estimate=estimate, kind="free", description="More", quantity="1", unit_price="5"
        )
    assert len(entries(estimate)) == count


def test_saving_the_calculator_records_settings_lines_and_total(em, issue, custom_offering):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    estimate = Estimate.objects.get(pk=estimate.pk)
    count = len(entries(estimate))
    design, build = estimate.lines.order_by("position")
    services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=estimate.version,
        contingency_percent="10",
        expenses="0",
        discount="0",
        lines=[
            services.LineChange(line_id=design.pk, description=design.description, delete=True),
            services.LineChange(line_id=build.pk, description=build.description, hours="100"),
        ],
    )
    entry = the_one_entry(estimate, since=count)
    assert (entry.actor, entry.action) == (em.user, "saved the calculator")
    assert change(entry, "contingency percent") == ("0.00", "10.00")
    lines = [(line["before"], line["after"]) for line in entry.changes if line["field"] == "line"]
    assert sorted(lines) == sorted(
        [
            (f"{custom_offering.name}: Design: Technical Architect, 24.00 h at 300.00", ""),
            (
                f"{custom_offering.name}: Build: Engineer, 80.00 h at 200.00",
                f"{custom_offering.name}: Build: Engineer, 100.00 h at 200.00",
            ),
        ]
    )
    # 100 h × 200 + 10 % contingency
    assert change(entry, "total") == ("23,200.00", "22,000.00")


def test_agreeing_records_the_versions_it_superseded(em, issue, custom_offering):
    v1 = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_offering(actor=em.user, estimate=v1, offering=custom_offering)
    services.estimate_share(actor=em.user, estimate=v1)
    assert entries(v1)[-1].action == "shared the estimate"
    v2 = services.estimate_revise(actor=em.user, estimate=v1, reason="Phased delivery")
    revised = the_one_entry(v2)
    assert (revised.action, revised.note) == ("revised the estimate", "Phased delivery")
    services.estimate_agree(actor=em.user, estimate=v2)
    entry = the_one_entry(v2, since=1)
    assert (entry.actor, entry.action) == (em.user, "marked the estimate agreed")
    assert change(entry, "status") == ("Draft", "Agreed")
    assert change(entry, "v1") == ("Shared", "Superseded")
    assert v1.history.latest().history_user == em.user
    assert Estimate.objects.get(pk=v1.pk).status == "superseded"


def test_removing_a_line_records_it(em, issue, rate_card):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    line = services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="activity",
        description="Cut-over",
        role_name="Engineer",
        hours="8",
    )
    count = len(entries(estimate))
    services.estimate_delete_line(actor=em.user, line=line)
    entry = the_one_entry(estimate, since=count)
    assert (entry.actor, entry.action) == (em.user, "removed a line")
    assert change(entry, "line") == ("Cut-over: Engineer, 8.00 h at 200.00", "")
    assert change(entry, "total") == ("1,600.00", "0.00")
    assert Estimate.objects.get(pk=estimate.pk).total == Decimal("0")
