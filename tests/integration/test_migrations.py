"""The migrations build exactly the models' schema, and PostgreSQL guards the books."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from loanledger.domain.policy import DEFAULT_POLICY_DOC, V2_FIELDS
from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import (
    AuditEntry,
    Bank,
    Base,
    Enterprise,
    JournalEntry,
    Loan,
    LoanEvent,
    PolicyVersion,
    Posting,
    Product,
)
from loanledger.services.policy_book import PolicyBook


def test_empty_database_upgraded_to_head_equals_the_models(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
            assert context.get_current_revision() == head
    finally:
        engine.dispose()


def _checks_and_partial_indexes(connection, schema: str | None = None) -> dict[str, str]:
    """Every CHECK constraint's and every partial index's SQL as the database keeps it.
    Alembic's comparison above leaves these out, so a constraint built from the vocabulary
    (domain.vocabulary) that came out different from its migration would go unnoticed."""
    inspector = inspect(connection)
    found: dict[str, str] = {}
    for table in Base.metadata.sorted_tables:
        for check in inspector.get_check_constraints(table.name, schema=schema):
            found[f"{table.name}.{check['name']}"] = check["sqltext"]
        for index in inspector.get_indexes(table.name, schema=schema):
            options = index.get("dialect_options", {})
            where = options.get("sqlite_where", options.get("postgresql_where"))
            if where is not None:
                found[f"{table.name}.{index['name']}"] = str(where)
    return found


def test_migrations_build_the_models_checks(empty_database_url, tmp_path):
    """Each CHECK and partial index of the migrated database is the one the models create."""
    migrate.upgrade(empty_database_url)
    migrated_engine = make_engine(empty_database_url, sqlite_wal=False)
    if migrated_engine.dialect.name == "sqlite":
        models_engine, schema = (
            make_engine(f"sqlite:///{tmp_path / 'models.db'}", sqlite_wal=False),
            None,
        )
    else:  # a second schema of the same database: the server normalises both alike
        models_engine, schema = migrated_engine, "models"
    try:
        with models_engine.begin() as connection:
            if schema:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            Base.metadata.create_all(
                connection.execution_options(schema_translate_map={None: schema})
            )
        with migrated_engine.connect() as connection:
            migrated = _checks_and_partial_indexes(connection)
        with models_engine.connect() as connection:
            models = _checks_and_partial_indexes(connection, schema)
    finally:
        migrated_engine.dispose()
        models_engine.dispose()
    assert (
        len(models) > 50
        and "batches.ck_batches_status" in models
        and "objections.uq_objections_open_line" in models
    )
    assert migrated == models


def test_upgrade_twice_is_a_no_op(engine):
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == before


def _entry(db: Session) -> int:
    entry = JournalEntry(kind="test", memo="test", posted_on=dt.date(2025, 1, 31))
    db.add(entry)
    db.flush()
    return entry.id


def _posting(entry_id: int, account: str, amount_fen: int) -> dict:
    return {
        "entry_id": entry_id,
        "account": account,
        "base_account": account,
        "amount_fen": amount_fen,
    }


@pytest.mark.pg
def test_unbalanced_entry_is_refused_at_commit(db):
    entry_id = _entry(db)
    db.execute(
        insert(Posting), [_posting(entry_id, "1001", 10_000), _posting(entry_id, "3002", -9_999)]
    )
    db.flush()  # accepted so far: the check is deferred to COMMIT
    with pytest.raises(DBAPIError, match="does not balance"):
        db.commit()
    db.rollback()
    assert db.scalar(text("SELECT count(*) FROM postings")) == 0


@pytest.mark.pg
def test_balanced_entry_commits(db):
    entry_id = _entry(db)
    db.execute(
        insert(Posting), [_posting(entry_id, "1001", 10_000), _posting(entry_id, "3002", -10_000)]
    )
    db.commit()
    assert db.scalar(text("SELECT count(*) FROM postings")) == 2


@pytest.fixture
def booked(db) -> int:
    entry_id = _entry(db)
    db.execute(insert(Posting), [_posting(entry_id, "1101", 500), _posting(entry_id, "3002", -500)])
    db.add(AuditEntry(actor="test", action="x", entity="y", entity_id="1", before=None, after={}))
    db.commit()
    return entry_id


@pytest.mark.pg
@pytest.mark.parametrize(
    "statement",
    [
        update(Posting).values(amount_fen=600),
        delete(Posting),
        update(JournalEntry).values(memo="rewritten"),
        delete(JournalEntry),
        update(AuditEntry).values(actor="someone else"),
        delete(AuditEntry),
    ],
    ids=[
        "update-posting",
        "delete-posting",
        "update-entry",
        "delete-entry",
        "update-audit",
        "delete-audit",
    ],
)
def test_books_are_append_only(db, booked, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(statement)
    db.rollback()


def _loan_event(db: Session) -> None:
    day = dt.date(2025, 1, 2)
    db.add(Bank(bank_code="BK1", name="Bank"))
    db.add(
        Enterprise(
            uscc=uscc_with_check("91442000MA4UJX9X1"), name="E", established_on=dt.date(2018, 1, 1)
        )
    )
    db.flush()
    db.add(Product(product_code="P1", bank_code="BK1", name="P", risk_covered=True))
    db.flush()
    loan = Loan(
        bank_code="BK1",
        contract_no="C1",
        product_code="P1",
        uscc=uscc_with_check("91442000MA4UJX9X1"),
        principal_fen=100,
        annual_rate_e4=34500,
        start_date=day,
        maturity_date=day.replace(year=2026),
        original_maturity_date=day.replace(year=2026),
        repayment_method="bullet",
        interest_settlement="monthly",
        coverage="covered",
        registered_on=day,
        content_hash="h",
    )
    db.add(loan)
    db.flush()
    db.add(
        LoanEvent(
            bank_code="BK1",
            event_id="E1",
            loan_id=loan.id,
            type="disbursement",
            on_date=day,
            amount_fen=100,
            content_hash="h",
        )
    )
    db.commit()


@pytest.mark.pg
@pytest.mark.parametrize(
    "statement",
    [update(LoanEvent).values(amount_fen=50), delete(LoanEvent)],
    ids=["update", "delete"],
)
def test_loan_events_are_append_only(db, statement):
    _loan_event(db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(statement)
    db.rollback()


@pytest.mark.pg
def test_other_tables_stay_writable(db):
    """The guards cover the books only: working state is updated in place."""
    _loan_event(db)
    assert db.execute(update(Loan).values(coverage="not_covered")).rowcount == 1
    db.commit()


def test_0005_backfills_the_payees_of_submitted_batches(empty_database_url):
    """A database at 0004 with a submitted and a ready batch: 0005 copies the enterprise's
    current name and account (the best record there is) and the bank's name into the
    submitted batch's payees; the ready batch's stay empty (submission copies them)."""
    migrate.upgrade(empty_database_url, "0004")
    uscc = uscc_with_check("91442000MA4UJX9X1")
    now = dt.datetime(2023, 4, 1, tzinfo=dt.UTC)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with engine.begin() as connection:
            run = lambda sql, **values: connection.execute(text(sql), values)  # noqa: E731
            run(
                "INSERT INTO enterprises (uscc, name, established_on, account_holder,"
                " account_number, account_bank_name, created_at)"
                " VALUES (:uscc, '灯都照明', :day, '灯都照明', '6222 0001', '中国银行', :now)",
                uscc=uscc,
                day=dt.date(2010, 1, 1),
                now=now,
            )
            run(
                "INSERT INTO banks (bank_code, name, created_at) VALUES ('BK1', '农商银行', :now)",
                now=now,
            )
            for period in ("2023-02", "2023-03"):
                run("INSERT INTO periods (period, status) VALUES (:p, 'closed')", p=period)
            for batch_id, period, kind, status in (
                (1, "2023-02", "subsidy", "submitted"),
                (2, "2023-03", "subsidy", "ready"),
                (3, "2023-02", "compensation", "paid"),
            ):
                run(
                    "INSERT INTO batches (id, period, kind, status, total_fen, line_count,"
                    " payee_count, created_at) VALUES (:id, :period, :kind, :status, 100, 1, 1,"
                    " :now)",
                    id=batch_id,
                    period=period,
                    kind=kind,
                    status=status,
                    now=now,
                )
            for batch_id, payee_type, payee_id in (
                (1, "enterprise", uscc),
                (2, "enterprise", uscc),
                (3, "bank", "BK1"),
            ):
                run(
                    "INSERT INTO batch_payees (batch_id, payee_type, payee_id, total_fen,"
                    " pays_fen, carried_out_fen, payment_status) VALUES (:batch_id, :type,"
                    " :payee, 100, 100, 0, 'pending')",
                    batch_id=batch_id,
                    type=payee_type,
                    payee=payee_id,
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            copied = {
                row.batch_id: tuple(row)[1:]
                for row in connection.execute(
                    text(
                        "SELECT batch_id, payee_name, account_holder, account_number,"
                        " account_bank_name FROM batch_payees"
                    )
                )
            }
    finally:
        engine.dispose()
    assert copied == {
        1: ("灯都照明", "灯都照明", "6222 0001", "中国银行"),
        2: (None, None, None, None),
        3: ("农商银行", None, None, None),
    }


def test_0006_leaves_every_filing_uncompleted_and_a_note_needs_a_date(empty_database_url):
    """A database at 0005 with a filing: 0006 adds completed_on and completion_note, both
    NULL for it (version 1's filings are not completed); a note without a date is refused."""
    migrate.upgrade(empty_database_url, "0005")
    uscc = uscc_with_check("91442000MA4UJX9X1")
    now = dt.datetime(2023, 4, 1, tzinfo=dt.UTC)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO enterprises (uscc, name, established_on, created_at)"
                    " VALUES (:uscc, '灯都照明', :day, :now)"
                ),
                {"uscc": uscc, "day": dt.date(2010, 1, 1), "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO filings (filing_no, uscc, project_name, eligible_investment_fen,"
                    " approved_on, clawback, created_at)"
                    " VALUES ('F1', :uscc, 'MES', 100, :day, false, :now)"
                ),
                {"uscc": uscc, "day": dt.date(2023, 2, 1), "now": now},
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT filing_no, completed_on, completion_note FROM filings")
            ).one()
        assert tuple(row) == ("F1", None, None)
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text("UPDATE filings SET completion_note = 'x'"))
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE filings SET completion_note = 'x', completed_on = :day"),
                {"day": dt.date(2023, 3, 1)},
            )
    finally:
        engine.dispose()


def test_0007_and_0009_carry_a_version_1_database_into_pools_and_budget_years(
    empty_database_url,
):
    """A database at 0006 (version 1): every approved batch keeps the budget year v1 charged
    it to (its period's), every product stays subsidy-eligible, a covered product, its loans,
    the deposits, the claims and the compensation batches all belong to pool SZD."""
    migrate.upgrade(empty_database_url, "0006")
    uscc = uscc_with_check("91442000MA4UJX9X1")
    now = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with engine.begin() as connection:
            run = lambda sql, **values: connection.execute(text(sql), {"now": now, **values})  # noqa: E731
            run(
                "INSERT INTO enterprises (uscc, name, established_on, created_at)"
                " VALUES (:uscc, '灯都照明', '2010-01-01', :now)",
                uscc=uscc,
            )
            run("INSERT INTO banks (bank_code, name, created_at) VALUES ('BK1', '农商银行', :now)")
            for code, covered in (("P-COVERED", True), ("P-PLAIN", False)):
                run(
                    "INSERT INTO products (product_code, bank_code, name, risk_covered)"
                    " VALUES (:code, 'BK1', :code, :covered)",
                    code=code,
                    covered=covered,
                )
            for loan_id, product in ((1, "P-COVERED"), (2, "P-PLAIN")):
                run(
                    "INSERT INTO loans (id, bank_code, contract_no, product_code, uscc,"
                    " principal_fen, annual_rate_e4, start_date, maturity_date,"
                    " original_maturity_date, repayment_method, interest_settlement, coverage,"
                    " registered_on, content_hash, created_at) VALUES (:id, 'BK1', :no,"
                    " :product, :uscc, 100000000, 34500, '2023-01-10', '2025-01-10',"
                    " '2025-01-10', 'bullet', 'quarterly', :coverage, '2023-01-10', 'h', :now)",
                    id=loan_id,
                    no=f"C-{loan_id}",
                    product=product,
                    uscc=uscc,
                    coverage="covered" if product == "P-COVERED" else "not_covered",
                )
            run(
                "INSERT INTO pool_deposits (amount_fen, deposited_on, reference, created_at)"
                " VALUES (100, '2023-01-03', '首期', :now)"
            )
            for period in ("2023-11", "2023-12"):
                run("INSERT INTO periods (period, status) VALUES (:p, 'closed')", p=period)
            run(
                "INSERT INTO claims (period, loan_id, bank_code, contract_no, npl_date,"
                " loss_base_fen, ratio, compensation_fen, lined_fen, policy_version)"
                " VALUES ('2023-11', 1, 'BK1', 'C-1', '2023-11-01', 100, '0.50', 50, 50, 1)"
            )
            for batch_id, period, kind, status, approver in (
                (1, "2023-11", "subsidy", "paid", "user:a"),
                (2, "2023-12", "subsidy", "approved", "user:a"),
                (3, "2023-11", "compensation", "approved", "user:a"),
                (4, "2023-12", "compensation", "ready", None),
            ):
                run(
                    "INSERT INTO batches (id, period, kind, status, total_fen, line_count,"
                    " payee_count, approved_by, created_at) VALUES (:id, :period, :kind,"
                    " :status, 100, 1, 1, :approver, :now)",
                    id=batch_id,
                    period=period,
                    kind=kind,
                    status=status,
                    approver=approver,
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = lambda sql: [tuple(r) for r in connection.execute(text(sql))]  # noqa: E731
            batches = rows("SELECT id, budget_year, pool_code FROM batches ORDER BY id")
            products = rows(
                "SELECT product_code, subsidy_eligible, risk_pool FROM products"
                " ORDER BY product_code"
            )
            loans = rows("SELECT id, risk_pool, coverage FROM loans ORDER BY id")
            deposits = rows("SELECT pool_code, amount_fen FROM pool_deposits")
            claims = rows("SELECT pool_code, compensation_fen FROM claims")
            pools = rows("SELECT pool_code, eligibility, list_code FROM risk_pools")
    finally:
        engine.dispose()
    assert batches == [(1, 2023, None), (2, 2023, None), (3, None, "SZD"), (4, None, "SZD")]
    assert products == [("P-COVERED", True, "SZD"), ("P-PLAIN", True, None)]
    assert loans == [(1, "SZD", "covered"), (2, None, "not_covered")]
    assert (deposits, claims) == ([("SZD", 100)], [("SZD", 50)])
    assert pools == [("SZD", "filing", None)]


def test_0012_writes_version_1_rules_into_every_stored_policy(empty_database_url):
    """A database at 0007 with two policy versions written before v2 (one already naming an
    anchor): 0012 adds `subsidy_window_anchor: loan` and `eligible_industries: null` where a
    document lacks them, keeps what one says, and leaves every other key alone. The policy
    book then reads version 1's rules: records computed under them do not change."""
    migrate.upgrade(empty_database_url, "0007")
    v1_doc = {k: v for k, v in DEFAULT_POLICY_DOC.items() if k not in V2_FIELDS}
    v1_doc["annual_cap_per_enterprise"] = "40000.00"
    named = {**v1_doc, "subsidy_window_anchor": "filing"}
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with engine.begin() as connection:
            for version, document in ((1, v1_doc), (2, named)):
                connection.execute(
                    insert(PolicyVersion.__table__),
                    {
                        "version": version,
                        "in_force_from": dt.date(2000 + version, 1, 1),
                        "document": document,
                        "created_by": "system",
                        "created_at": dt.datetime(2023, 4, 1, tzinfo=dt.UTC),
                    },
                )
        migrate.upgrade(engine)
        with Session(engine) as db:
            documents = {
                row.version: row.document
                for row in db.execute(select(PolicyVersion.version, PolicyVersion.document))
            }
            book = PolicyBook.load(db)
    finally:
        engine.dispose()
    assert documents == {
        1: {**v1_doc, "subsidy_window_anchor": "loan", "eligible_industries": None},
        2: {**v1_doc, "subsidy_window_anchor": "filing", "eligible_industries": None},
    }
    first, second = book.version(1), book.version(2)
    assert (first.subsidy_window_anchor, first.eligible_industries) == ("loan", None)
    assert (second.subsidy_window_anchor, second.eligible_industries) == ("filing", None)
    assert first.annual_cap_per_enterprise_fen == 4_000_000
