"""The indexes the busiest reads stand on (migration 0016, docs/performance.md): without
them the loan view scanned every line, and a batch's lines page sorted the whole batch."""

from __future__ import annotations

from sqlalchemy import inspect


def _indexes(engine, table: str) -> set[tuple[str, ...]]:
    return {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes(table)}


def test_a_loans_lines_and_a_batchs_line_order_are_indexed(engine):
    lines = _indexes(engine, "lines")
    assert ("bank_code", "contract_no") in lines  # services/read/loans.loan_lines
    assert ("batch_id", "id") in lines  # services/read/batches.batch_lines (keyset on id)
