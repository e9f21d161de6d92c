"""Issue 15: a batch's submission on the business date (`batches.submitted_on`, migration
0019). `payouts.submit` sets it and the audit entry records it; a rejection clears it; a
database with batches submitted before 0019 gets it from the audit trail's `batch.submit`
entry (its recorded business date, else its timestamp's day in Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import JSON, column, insert, table, text

from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import Timestamp
from tests.support.api import ok
from tests.support.month import make_month
from tests.support.month import through_publicity as _through_publicity
from tests.support.v1_database import load_v1_database


@pytest.fixture
def month(staff, bank):
    return make_month(staff, bank)


def test_submit_keeps_the_business_date_and_a_rejection_clears_it(month):
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    business_day = dt.date.fromisoformat(batch["publicity_ends_on"]) + dt.timedelta(days=1)
    clerk1, approver1 = month.users["clerk1"], month.users["approver1"]
    submitted = ok(clerk1.post(f"/batches/{bid}/submit"))
    assert submitted["submitted_on"] == business_day.isoformat()
    assert month.batch(bid)["submitted_on"] == business_day.isoformat()
    rejected = ok(approver1.post(f"/batches/{bid}/reject", {"reason": "请核对账号"}))
    assert (rejected["submitted_on"], rejected["submitted_by"]) == (None, None)
    later = business_day + dt.timedelta(days=3)
    month.staff.set_business_date(later.isoformat())
    assert ok(clerk1.post(f"/batches/{bid}/submit"))["submitted_on"] == later.isoformat()
    audit = ok(month.users["auditor1"].request("GET", "/audit?action=batch.submit"))["items"]
    assert [a["after"]["submitted_on"] for a in audit] == [
        business_day.isoformat(),
        later.isoformat(),
    ]
    assert ok(approver1.post(f"/batches/{bid}/approve"))["submitted_on"] == later.isoformat()


# ------------------------------------------------------------------ migration 0019
AUDIT = table(
    "audit_log",
    column("at", Timestamp),
    column("actor"),
    column("action"),
    column("entity"),
    column("entity_id"),
    column("before", JSON),
    column("after", JSON),
)


def _submit_entry(engine, batch_id: int, at: dt.datetime, after: dict) -> None:
    with engine.begin() as c:
        c.execute(
            insert(AUDIT).values(
                at=at,
                actor="user:demo-clerk",
                action="batch.submit",
                entity="batch",
                entity_id=str(batch_id),
                before={"status": "ready"},
                after=after,
            )
        )


@pytest.fixture
def v1_at_0018(empty_database_url, tmp_path):
    """Version 1's database (five batches, each submitted on 2026-12-06 02:17 UTC by the wall
    clock) at 0018, with later `batch.submit` entries: batch 1 resubmitted at 17:30 UTC on
    2024-02-07 (already 2024-02-08 in Shanghai), batch 3 with its business date recorded, and
    batch 5 back to ready (a rejection cleared its submission)."""
    load_v1_database(empty_database_url, tmp_path)
    migrate.upgrade(empty_database_url, "0018")
    engine = make_engine(empty_database_url, sqlite_wal=False)
    _submit_entry(
        engine,
        1,
        dt.datetime(2024, 2, 7, 17, 30, tzinfo=dt.UTC),
        {"status": "submitted", "submitted_by": "user:demo-clerk"},
    )
    _submit_entry(
        engine,
        3,
        dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC),
        {"status": "submitted", "submitted_on": "2024-03-11"},
    )
    with engine.begin() as c:
        c.execute(
            text(
                "UPDATE batches SET status = 'ready', submitted_by = NULL, submitted_at = NULL,"
                " approved_by = NULL, approved_at = NULL WHERE id = 5"
            )
        )
    yield engine
    engine.dispose()


def _submitted_on(engine) -> dict[int, str | None]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, submitted_on FROM batches ORDER BY id")).all()
    return {row.id: (str(row.submitted_on) if row.submitted_on else None) for row in rows}


def test_0019_backfills_submitted_on_from_the_audit_trail(v1_at_0018):
    engine = v1_at_0018
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0019"
    assert _submitted_on(engine) == {
        1: "2024-02-08",  # the latest entry's timestamp, a Shanghai day ahead of UTC
        2: "2026-12-06",  # 02:17 UTC is 10:17 in Shanghai, the same day
        3: "2024-03-11",  # the business date the entry recorded
        4: "2026-12-06",
        5: None,  # not submitted
    }


def test_0019_downgrades_and_upgrades_again(v1_at_0018):
    engine = v1_at_0018
    migrate.upgrade(engine)
    config = migrate.alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")
        connection.commit()
    migrate.upgrade(engine)
    assert _submitted_on(engine)[3] == "2024-03-11"
