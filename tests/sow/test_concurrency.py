"""Two decisions on one SOW version: the version the user saw is checked on the locked row, so exactly
one wins and the other is refused with a clear message."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from core.exceptions import Conflict
from sow import services
from sow.models import MANDATORY_SECTIONS, Approval, SowStatus, SowVersion
from tests.conftest import client_for


def submit(em, draft) -> SowVersion:
    for name in MANDATORY_SECTIONS:
        if not getattr(draft, name):
            setattr(draft, name, f"{name} text")
    draft.save()
    return services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)


def race(*calls: Callable[[SowVersion], Any], pk: int) -> list[tuple[str, Any]]:
    """Run each call in its own thread and database connection. Every thread first reads the version
    (as each user's page did), then all start deciding at the same moment."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list[tuple[str, Any]] = [("not run", None)] * len(calls)

    def run(index: int, call: Callable[[SowVersion], Any]) -> None:
        try:
            seen = SowVersion.objects.get(pk=pk)
            barrier.wait()
            outcomes[index] = ("won", call(seen))
        except Conflict as exc:
            outcomes[index] = ("conflict", exc)
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a decision never finished"
    return outcomes


@pytest.fixture
def on_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: row locks (select_for_update) between two connections; "
            "SQLite locks the whole database instead"
        )


@pytest.fixture
def submitted(on_postgresql, em, director, second_director, draft):
    return submit(em, draft)


def test_approve_and_withdraw_at_once_one_wins(submitted, em, director):
    seen = submitted.version

    def approve(version):
        return services.sow_approve(actor=director.user, version=version, expected_version=seen)

    def withdraw(version):
        return services.sow_withdraw(actor=em.user, version=version, expected_version=seen, reason="Lost")

    outcomes = race(approve, withdraw, pk=submitted.pk)

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict", "won"], outcomes
    final = SowVersion.objects.get(pk=submitted.pk)
    approve_won = outcomes[0][0] == "won"
    assert final.status == (SowStatus.APPROVED if approve_won else SowStatus.WITHDRAWN)
    assert Approval.objects.filter(sow_version=submitted).count() == (1 if approve_won else 0)
    assert final.version == seen + 1


def test_two_directors_approve_at_once_one_approval(submitted, director, second_director):
    seen = submitted.version

    def approve_as(person):
        return lambda version: services.sow_approve(
            actor=person.user, version=version, expected_version=seen, comment=person.name
        )

    outcomes = race(approve_as(director), approve_as(second_director), pk=submitted.pk)

    assert sorted(kind for kind, _ in outcomes) == ["conflict", "won"], outcomes
    approvals = list(Approval.objects.filter(sow_version=submitted))
    assert len(approvals) == 1
    winner = director if outcomes[0][0] == "won" else second_director
    assert approvals[0].actor == winner.user and approvals[0].comment == winner.name
    assert SowVersion.objects.get(pk=submitted.pk).status == SowStatus.APPROVED


# ---------------------------------------------------------------- one at a time (any database)


@pytest.mark.django_db
def test_stale_version_is_refused_and_nothing_changes(
    em, director, draft, django_capture_on_commit_callbacks
):
    version = submit(em, draft)
    seen = version.version  # the director opens the review page
    withdrawn = services.sow_withdraw(
        actor=em.user, version=version, expected_version=seen, reason="Customer paused"
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as exc:
        services.sow_approve(actor=director.user, version=version, expected_version=seen)

    assert "Someone else changed this SOW" in exc.value.message and "withdrawn" in exc.value.message
    fresh = SowVersion.objects.get(pk=version.pk)
    assert (fresh.status, fresh.version, fresh.decided_at) == ("withdrawn", withdrawn.version, None)
    assert not Approval.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_view_refuses_a_stale_page_with_a_message(em, director, draft):
    version = submit(em, draft)
    stale = version.version
    services.sow_request_changes(
        actor=director.user, version=version, expected_version=stale, comment="Add a phase gate"
    )
    response = client_for(em).post(
        reverse("sow:transition", args=[version.pk, "withdraw"]),
        {"version": stale, "reason": "Customer paused"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Someone else changed this SOW" in response.content.decode()
    assert SowVersion.objects.get(pk=version.pk).status == "changes_requested"


@pytest.mark.django_db
def test_view_without_the_version_seen_changes_nothing(em, draft):
    response = client_for(em).post(
        reverse("sow:transition", args=[draft.pk, "withdraw"]), {"reason": "Lost"}, follow=True
    )
    assert "This page was out of date" in response.content.decode()
    assert SowVersion.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
def test_admin_review_refuses_a_stale_page(em, director, second_director, draft):
    version = submit(em, draft)
    stale = version.version
    services.sow_approve(actor=second_director.user, version=version, expected_version=stale)
    review = reverse("admin:sow_approvalqueueitem_review", args=[version.pk])
    response = client_for(director).post(
        review, {"decision": "request_changes", "comment": "Tighten scope", "version": stale}, follow=True
    )
    assert response.status_code == 200
    assert "Someone else changed this SOW" in response.content.decode()
    assert SowVersion.objects.get(pk=version.pk).status == "approved"
    assert list(Approval.objects.values_list("decision", flat=True)) == ["approved"]
