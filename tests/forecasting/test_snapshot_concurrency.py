"""Two weekly snapshot runs at once (beat fired twice, or a redelivered task) leave one snapshot with
each opportunity once. Needs PostgreSQL: SQLite serialises every writer anyway."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import snapshot_take, week_of
from tests.engagements.factories import OpportunityFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("week_exists", [False, True], ids=["first-run-of-the-week", "re-run"])
def test_concurrent_snapshots_of_a_week_leave_one_snapshot_with_each_opportunity_once(week_exists):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (DATABASE_URL)")
    OpportunityFactory.create_batch(150)
    week = week_of()
    if week_exists:
        snapshot_take(week=week)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def take() -> None:
        try:
            barrier.wait(timeout=30)
            snapshot_take(week=week)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    snapshot = ForecastSnapshot.objects.get(week=week)
    assert snapshot.rows_count == 150
    rows = ForecastSnapshotRow.objects.filter(snapshot=snapshot)
    assert rows.count() == 150
    assert rows.values("opportunity_id").distinct().count() == 150
