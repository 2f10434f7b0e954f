"""Change requests on signed SOWs: drafting, scope lines of every kind and their money, the contract
value, and every transition for every role (allowed and refused), through the services.

The signed SOW of these tests (tests/sow/conftest.py `ready_issue`): USD 26,000 from 20 h of Technical
Architect at 300 (cost 150) and 100 h of Engineer at 200 (cost 100); COGS USD 13,000; margin target
35 % (the settings default for migrations)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import Conflict
from core.models import AuditEntry
from scoping.models import DeliveryRole
from sow import access
from sow.models import ChangeRequest, ChangeRequestApproval, ChangeRequestLine
from sow.services import change_requests as services
from tests.sow.factories import blank_pdf, take_to

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def signed(em, director, draft):
    return take_to(draft, "signed", em=em, director=director)


@pytest.fixture
def cr(em, signed):
    return services.change_request_create(
        actor=em.user,
        version=signed,
        title="Two more pipelines",
        reason="The customer adds two business units.",
        schedule_impact="Two more weeks.",
        new_end_date=timezone.localdate() + dt.timedelta(days=120),
    )


def role(name: str) -> DeliveryRole:
    return DeliveryRole.objects.get(name=name)


def add_labour(actor, change_request, change="added", hours="40", name="Engineer", **kw):
    return services.change_request_line_add(
        actor=actor,
        change_request=change_request,
        change=change,
        kind="labour",
        description=kw.pop("description", f"{name} work"),
        delivery_role=role(name),
        hours=hours,
        **kw,
    )


def add_other(actor, change_request, kind, price, cost=None, change="added", **kw):
    return services.change_request_line_add(
        actor=actor,
        change_request=change_request,
        change=change,
        kind=kind,
        description=kw.pop("description", f"{kind} line"),
        price=price,
        cost=cost,
        **kw,
    )


def fresh(change_request) -> ChangeRequest:
    return ChangeRequest.objects.get(pk=change_request.pk)


def bring_to(change_request, state, *, em, director):
    """Take a draft change request to `state` through the services."""
    if not change_request.lines.exists():
        add_labour(em.user, change_request)
    change_request = fresh(change_request)
    if state == "draft":
        return change_request
    change_request = services.change_request_submit(
        actor=em.user, change_request=change_request, expected_version=change_request.version
    )
    if state == "submitted":
        return change_request
    if state == "changes_requested":
        return services.change_request_request_changes(
            actor=director.user,
            change_request=change_request,
            expected_version=change_request.version,
            comment="Price the travel",
        )
    change_request = services.change_request_approve(
        actor=director.user, change_request=change_request, expected_version=change_request.version
    )
    if state == "approved":
        return change_request
    today = timezone.localdate()
    change_request = services.change_request_mark_sent(
        actor=em.user,
        change_request=change_request,
        expected_version=change_request.version,
        sent_on=today,
        recipients="cfo@harbor.example",
    )
    if state == "sent":
        return change_request
    return services.change_request_mark_signed(
        actor=em.user,
        change_request=change_request,
        expected_version=change_request.version,
        signed_on=today,
        signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
    )


# --------------------------------------------------------------------------- drafting


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "sent"])
def test_a_change_request_needs_a_signed_sow(em, director, draft, state):
    version = take_to(draft, state, em=em, director=director)
    with pytest.raises(ValidationError) as exc:
        services.change_request_create(actor=em.user, version=version, title="More")
    assert "change requests are made on a signed SOW" in str(exc.value)
    assert not ChangeRequest.objects.exists()


def test_handed_off_sows_take_change_requests_and_numbers_run_per_sow(em, director, draft):
    version = take_to(draft, "handed_off", em=em, director=director)
    first = services.change_request_create(actor=em.user, version=version, title="One")
    second = services.change_request_create(actor=em.user, version=version, title="Two")
    assert (first.label, second.label) == ("CR-1", "CR-2")
    assert str(second) == f"{version.sow.reference} CR-2"
    assert first.currency == "USD" and first.author == em.user and first.status == "draft"


def test_title_is_required_and_the_end_date_not_before_signature(em, signed):
    with pytest.raises(ValidationError) as exc:
        services.change_request_create(actor=em.user, version=signed, title="  ")
    assert "title" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.change_request_create(
            actor=em.user, version=signed, title="x", new_end_date=signed.signed_at - dt.timedelta(days=1)
        )
    assert "new_end_date" in exc.value.error_dict


def test_edit_is_claimed_at_the_version_seen(em, cr):
    seen = cr.version
    services.change_request_update(
        actor=em.user, change_request=cr, expected_version=seen, title="Three more pipelines"
    )
    with pytest.raises(Conflict):
        services.change_request_update(actor=em.user, change_request=cr, expected_version=seen, title="Stale")
    assert fresh(cr).title == "Three more pipelines"


# --------------------------------------------------------------------------- lines and money


def test_labour_lines_copy_the_rate_card_and_sign_by_change(em, cr):
    added = add_labour(em.user, cr, "added", "40", "Engineer")
    removed = add_labour(em.user, cr, "removed", "10", "Technical Architect")
    changed = add_labour(em.user, cr, "changed", "-8", "Engineer")
    # Engineer 200 / 100, Technical Architect 300 / 150 per hour.
    assert (added.hours_delta, added.price_delta, added.cost_delta) == (D("40"), D("8000.00"), D("4000.00"))
    assert (removed.hours_delta, removed.price_delta, removed.cost_delta) == (
        D("-10"),
        D("-3000.00"),
        D("-1500.00"),
    )
    assert (changed.hours_delta, changed.price_delta, changed.cost_delta) == (
        D("-8"),
        D("-1600.00"),
        D("-800.00"),
    )
    # A later rate-card change never rewrites the line.
    DeliveryRole.objects.filter(name="Engineer").update(bill_rate=D("999"))
    assert ChangeRequestLine.objects.get(pk=added.pk).price_delta == D("8000.00")


def test_margin_with_every_kind_of_line(em, cr):
    add_labour(em.user, cr, "added", "40", "Engineer")  # +8,000 / +4,000
    add_labour(em.user, cr, "removed", "10", "Technical Architect")  # −3,000 / −1,500
    add_labour(em.user, cr, "changed", "-8", "Engineer")  # −1,600 / −800
    add_other(em.user, cr, "packaged", "5000", "2000")  # +5,000 / +2,000
    add_other(em.user, cr, "pass_through", "1350")  # licence at cost (100 %): +1,350 / +1,350
    add_other(em.user, cr, "expenses", "5000")  # travel at cost (100 %): +5,000 / +5,000
    add_other(em.user, cr, "discount", "500")  # −500 / 0
    totals = services.change_request_totals(fresh(cr))
    price = D("8000") - D("3000") - D("1600") + D("5000") + D("1350") + D("5000") - D("500")
    cost = D("4000") - D("1500") - D("800") + D("2000") + D("1350") + D("5000")
    assert (totals.price_delta, totals.cost_delta) == (price, cost) == (D("14250"), D("10050"))
    assert totals.margin.percent == (price - cost) / price * 100
    assert (totals.contract_price, totals.contract_cogs) == (D("26000") + price, D("13000") + cost)
    expected = (D("40250") - D("23050")) / D("40250") * 100
    assert totals.new_margin.percent == expected
    assert f"{expected:.2f}" == "42.73"
    assert totals.target_percent == D("35") and not totals.new_margin.below_target


def test_pass_through_and_travel_cost_at_their_configured_percentages(settings, em, cr):
    settings.SOW_PASS_THROUGH_COST_PERCENT = "80"
    settings.SOW_EXPENSES_COST_PERCENT = "90"
    licence = add_other(em.user, cr, "pass_through", "1350")
    travel = add_other(em.user, cr, "expenses", "5000")
    entered = add_other(em.user, cr, "pass_through", "1000", "1000", description="Partner fee at cost")
    assert licence.cost_delta == D("1080.00")  # 1,350 × 0.8
    assert travel.cost_delta == D("4500.00")  # 5,000 × 0.9
    assert entered.cost_delta == D("1000.00")


def test_a_priced_line_without_cost_needs_a_reason(em, cr):
    with pytest.raises(ValidationError) as exc:
        add_other(em.user, cr, "packaged", "5000", "0")
    assert "cost" in exc.value.error_dict
    line = add_other(em.user, cr, "packaged", "5000", "0", no_cost_reason="Partner delivers it free")
    assert line.cost_delta == 0 and line.no_cost_reason == "Partner delivers it free"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "labour", "delivery_role": None, "hours": "5"}, "delivery_role"),
        ({"kind": "labour", "hours": "abc"}, "hours"),
        ({"kind": "labour", "hours": "0"}, "hours"),
        ({"kind": "packaged", "price": ""}, "price"),
        ({"kind": "packaged", "price": "-5"}, "price"),
        ({"kind": "nonsense", "price": "5"}, "kind"),
        ({"kind": "packaged", "price": "5", "change": "moved"}, "change"),
        ({"kind": "packaged", "price": "5", "description": " "}, "description"),
    ],
)
def test_bad_line_input_is_a_field_error_and_adds_nothing(em, cr, kwargs, field):
    args = {
        "change": "added",
        "description": "Line",
        "delivery_role": role("Engineer"),
        **kwargs,
    }
    with pytest.raises(ValidationError) as exc:
        services.change_request_line_add(actor=em.user, change_request=cr, **args)
    assert field in exc.value.error_dict
    assert not cr.lines.exists()


def test_removing_a_line_is_audited(em, cr):
    line = add_labour(em.user, cr)
    services.change_request_line_delete(actor=em.user, line=line)
    assert not cr.lines.exists()
    entry = AuditEntry.objects.filter(action="removed a scope line").get()
    assert entry.object_id == str(cr.pk)
    assert "Engineer work" in entry.changes[0]["before"]


# --------------------------------------------------------------------------- contract value


def test_contract_value_is_the_original_plus_approved_sent_and_signed_change_requests(em, director, signed):
    def make(title, hours, state):
        change_request = services.change_request_create(
            actor=em.user, version=signed, title=title, reason="Customer asked"
        )
        add_labour(em.user, change_request, hours=hours)
        return bring_to(change_request, state, em=em, director=director)

    make("Approved", "10", "approved")  # +2,000
    make("Sent", "20", "sent")  # +4,000
    make("Signed", "5", "signed")  # +1,000
    make("Draft", "100", "draft")  # not counted
    make("Submitted", "100", "submitted")
    make("Sent back", "100", "changes_requested")
    withdrawn = make("Withdrawn", "100", "approved")
    services.change_request_withdraw(
        actor=em.user, change_request=withdrawn, expected_version=withdrawn.version, reason="Dropped"
    )
    value = services.contract_value(signed)
    assert value.original == D("26000.00")
    assert [row.price_delta for row in value.rows] == [
        D(x) for x in ("2000", "4000", "1000", "20000", "20000", "20000", "20000")
    ]
    assert value.current == D("26000") + D("2000") + D("4000") + D("1000") == D("33000")
    assert value.signed == D("26000") + D("1000")


def test_the_new_margin_counts_the_change_requests_approved_before(em, director, signed):
    first = services.change_request_create(actor=em.user, version=signed, title="First", reason="More")
    add_other(em.user, first, "packaged", "4000", "1000")
    bring_to(first, "approved", em=em, director=director)
    second = services.change_request_create(actor=em.user, version=signed, title="Second")
    add_other(em.user, second, "packaged", "1000", "900")
    totals = services.change_request_totals(fresh(second))
    assert totals.contract_price == D("26000") + D("4000") + D("1000")
    assert totals.contract_cogs == D("13000") + D("1000") + D("900")


# --------------------------------------------------------------------------- submission


def test_submission_needs_lines_and_a_reason(em, signed):
    change_request = services.change_request_create(actor=em.user, version=signed, title="Nothing yet")
    with pytest.raises(ValidationError) as exc:
        services.change_request_submit(
            actor=em.user, change_request=change_request, expected_version=change_request.version
        )
    assert "Add the scope that changes (from a revised estimate or by hand)." in exc.value.messages
    assert "Say why the scope changes." in exc.value.messages
    assert fresh(change_request).status == "draft"


def test_below_target_needs_a_justification(em, cr):
    # A packaged line at 100 % cost: the contract goes 26,000 / 13,000 → 46,000 / 33,000 = 28.3 %.
    add_other(em.user, cr, "packaged", "20000", "20000")
    with pytest.raises(ValidationError) as exc:
        services.change_request_submit(actor=em.user, change_request=cr, expected_version=fresh(cr).version)
    assert any("with this change, 28.3 %, is below the 35.0 % target" in m for m in exc.value.messages)
    done = services.change_request_submit(
        actor=em.user, change_request=cr, expected_version=fresh(cr).version, justification="Strategic"
    )
    assert done.status == "submitted" and done.below_target_justification == "Strategic"


def test_submit_tells_the_directors_and_queues_the_draft_pdf(
    em, director, cr, django_capture_on_commit_callbacks
):
    add_labour(em.user, cr)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_submit(actor=em.user, change_request=cr, expected_version=fresh(cr).version)
    [message] = mail.outbox
    assert director.user.email in message.to
    assert message.subject == f"Change request for approval: {cr.sow.reference} CR-1"
    document = cr.documents.get()
    assert (document.kind, document.status) == ("draft", "ready")


# --------------------------------------------------------------------------- transitions × roles


@pytest.fixture
def actors(em, em_manager, other_em, leadership, director, second_director, admin_person):
    return {
        "em": em,
        "em_manager": em_manager,
        "other_em": other_em,
        "leadership": leadership,
        "director": director,
        "second_director": second_director,
        "admin": admin_person,
    }


EDITORS = {"em", "em_manager", "admin"}
DECIDERS = {"director", "second_director", "admin"}
# transition -> (state it starts from, state it ends in, roles allowed)
TRANSITIONS = {
    "submit": ("draft", "submitted", EDITORS),
    "approve": ("submitted", "approved", DECIDERS),
    "request_changes": ("submitted", "changes_requested", DECIDERS),
    "reopen": ("changes_requested", "draft", EDITORS),
    "sent": ("approved", "sent", EDITORS),
    "signed": ("sent", "signed", EDITORS),
    "withdraw": ("approved", "withdrawn", EDITORS),
}


def run(transition, actor, change_request):
    args = {"actor": actor.user, "change_request": change_request, "expected_version": change_request.version}
    today = timezone.localdate()
    if transition == "submit":
        return services.change_request_submit(**args)
    if transition == "approve":
        return services.change_request_approve(**args, comment="Fine")
    if transition == "request_changes":
        return services.change_request_request_changes(**args, comment="Add travel")
    if transition == "reopen":
        return services.change_request_reopen(**args)
    if transition == "sent":
        return services.change_request_mark_sent(**args, sent_on=today, recipients="cfo@harbor.example")
    if transition == "signed":
        return services.change_request_mark_signed(
            **args, signed_on=today, signed_copy=SimpleUploadedFile("s.pdf", blank_pdf())
        )
    return services.change_request_withdraw(**args, reason="Customer dropped it")


@pytest.mark.parametrize("transition", list(TRANSITIONS))
@pytest.mark.parametrize(
    "who", ["em", "em_manager", "other_em", "leadership", "director", "second_director", "admin"]
)
def test_every_transition_for_every_role(transition, who, actors, em, director, cr):
    start, end, allowed = TRANSITIONS[transition]
    change_request = bring_to(cr, start, em=em, director=director)
    if who in allowed:
        done = run(transition, actors[who], change_request)
        assert done.status == end
        assert fresh(cr).status == end
    else:
        with pytest.raises(PermissionDenied):
            run(transition, actors[who], change_request)
        assert fresh(cr).status == start


@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_every_transition_is_refused_from_the_wrong_state(transition, actors, em, director, cr):
    start, _, allowed = TRANSITIONS[transition]
    wrong = "signed" if start != "signed" else "draft"
    change_request = bring_to(cr, wrong, em=em, director=director)
    who = "admin"
    with pytest.raises(ValidationError):
        run(transition, actors[who], change_request)
    assert fresh(cr).status == wrong


def test_a_director_may_not_approve_their_own_change_request(director, second_director, signed):
    director.user.is_superuser = True  # an administrator who is also a PS Director drafts it
    director.user.save()
    own = services.change_request_create(actor=director.user, version=signed, title="Own", reason="Gap")
    add_labour(director.user, own)
    own = services.change_request_submit(
        actor=director.user, change_request=own, expected_version=fresh(own).version
    )
    with pytest.raises(PermissionDenied) as exc:
        services.change_request_approve(actor=director.user, change_request=own, expected_version=own.version)
    assert str(exc.value) == access.can_decide_change_request.message
    assert fresh(own).status == "submitted"
    done = services.change_request_approve(
        actor=second_director.user, change_request=own, expected_version=own.version
    )
    assert done.status == "approved"


def test_request_changes_needs_a_comment(em, director, cr):
    change_request = bring_to(cr, "submitted", em=em, director=director)
    with pytest.raises(ValidationError) as exc:
        services.change_request_request_changes(
            actor=director.user,
            change_request=change_request,
            expected_version=change_request.version,
            comment=" ",
        )
    assert "comment" in exc.value.error_dict
    assert fresh(cr).status == "submitted"
    assert not ChangeRequestApproval.objects.exists()


def test_a_decision_on_a_stale_page_is_refused(em, director, second_director, cr):
    change_request = bring_to(cr, "submitted", em=em, director=director)
    seen = change_request.version
    services.change_request_request_changes(
        actor=second_director.user, change_request=change_request, expected_version=seen, comment="No"
    )
    with pytest.raises(Conflict) as exc:
        services.change_request_approve(
            actor=director.user, change_request=change_request, expected_version=seen
        )
    assert "it is now changes requested" in exc.value.message
    assert fresh(cr).status == "changes_requested"
    assert ChangeRequestApproval.objects.count() == 1


def test_decisions_are_recorded_and_audited_and_tell_the_em(
    em, director, cr, django_capture_on_commit_callbacks
):
    change_request = bring_to(cr, "submitted", em=em, director=director)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_approve(
            actor=director.user,
            change_request=change_request,
            expected_version=change_request.version,
            comment="Go",
        )
    approval = ChangeRequestApproval.objects.get()
    assert (approval.actor, approval.decision, approval.comment) == (director.user, "approved", "Go")
    entry = AuditEntry.objects.filter(action="approved step 1 of 1 (PS Director)", object_label=str(cr)).get()
    assert entry.note == "Go" and entry.object_id == str(cr.pk)
    assert {"field": "status", "before": "Submitted", "after": "Approved"} in entry.changes
    assert [m.subject for m in mail.outbox] == [f"Change request approved: {cr.sow.reference} CR-1"]
    assert em.user.email in mail.outbox[0].to
    assert cr.documents.filter(kind="final").exists()


def test_signed_needs_a_real_pdf_and_a_date_after_sending(em, director, cr):
    change_request = bring_to(cr, "sent", em=em, director=director)
    with pytest.raises(ValidationError) as exc:
        services.change_request_mark_signed(
            actor=em.user,
            change_request=change_request,
            expected_version=change_request.version,
            signed_on=timezone.localdate(),
            signed_copy=SimpleUploadedFile("s.pdf", b"not a pdf"),
        )
    assert "signed_copy" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.change_request_mark_signed(
            actor=em.user,
            change_request=change_request,
            expected_version=change_request.version,
            signed_on=change_request.sent_at - dt.timedelta(days=1),
            signed_copy=SimpleUploadedFile("s.pdf", blank_pdf()),
        )
    assert "signed_on" in exc.value.error_dict
    assert fresh(cr).status == "sent"


def test_a_signed_change_request_cannot_be_withdrawn_or_changed(em, director, cr):
    change_request = bring_to(cr, "signed", em=em, director=director)
    with pytest.raises(ValidationError):
        run("withdraw", em, change_request)
    with pytest.raises(ValidationError):
        add_labour(em.user, change_request)
    assert fresh(cr).signed_copy


def test_lines_are_frozen_once_submitted(em, director, cr):
    change_request = bring_to(cr, "submitted", em=em, director=director)
    with pytest.raises(ValidationError):
        add_labour(em.user, change_request)
    with pytest.raises(ValidationError):
        services.change_request_line_delete(actor=em.user, line=change_request.lines.get())
    assert change_request.lines.count() == 1


def test_other_roles_cannot_draft_or_add_lines(leadership, director, other_em, signed, em):
    for person in (leadership, director, other_em):
        with pytest.raises(PermissionDenied):
            services.change_request_create(actor=person.user, version=signed, title="x")
    change_request = services.change_request_create(actor=em.user, version=signed, title="x")
    for person in (leadership, director, other_em):
        with pytest.raises(PermissionDenied):
            add_labour(person.user, change_request)


def test_submitted_change_requests_wait_in_the_queue_summary(em, director, cr):
    from sow.selectors import change_request_queue, queue_summary

    before = queue_summary().waiting
    bring_to(cr, "submitted", em=em, director=director)
    assert queue_summary().waiting == before + 1
    assert change_request_queue() == [fresh(cr)]


def test_each_step_is_told_once_to_the_right_people(
    em, director, second_director, cr, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        submitted = bring_to(cr, "submitted", em=em, director=director)
    told = {(n.kind, n.user_id) for n in Notification.objects.filter(kind__startswith="cr_")}
    assert told == {("cr_submitted", director.user.pk), ("cr_submitted", second_director.user.pk)}
    links = set(Notification.objects.filter(kind="cr_submitted").values_list("link", flat=True))
    assert links == {f"/admin/sow/approvalqueueitem/change-requests/{cr.pk}/"}
    with django_capture_on_commit_callbacks(execute=True):
        back = services.change_request_request_changes(
            actor=director.user,
            change_request=submitted,
            expected_version=submitted.version,
            comment="Travel?",
        )
    assert list(
        Notification.objects.filter(kind="cr_changes_requested").values_list("user_id", flat=True)
    ) == [em.user.pk]
    reopened = services.change_request_reopen(
        actor=em.user, change_request=back, expected_version=back.version
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = services.change_request_submit(
            actor=em.user, change_request=reopened, expected_version=reopened.version
        )
        approved = services.change_request_approve(
            actor=second_director.user, change_request=again, expected_version=again.version
        )
    assert Notification.objects.filter(kind="cr_submitted").count() == 4  # two submissions, two directors
    assert list(Notification.objects.filter(kind="cr_approved").values_list("user_id", flat=True)) == [
        em.user.pk
    ]
    sent = run("sent", em, approved)
    with django_capture_on_commit_callbacks(execute=True):
        run("signed", em, sent)
    # The EM recorded the signature: the director who approved it hears, the EM does not.
    assert list(Notification.objects.filter(kind="cr_signed").values_list("user_id", flat=True)) == [
        second_director.user.pk
    ]
    assert Notification.objects.filter(kind="cr_signed", user=em.user).count() == 0
