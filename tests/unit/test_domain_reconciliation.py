"""The reconciliation checks (domain.reconciliation): pure functions of plain rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain import ledger
from loanledger.domain import reconciliation as r
from loanledger.domain.payees import payee_total

PAYEE = "914420006FA300000G"


# ------------------------------------------------------------------ trial balance
def test_a_balanced_ledger_passes():
    check = r.trial_balance_zero(0, [r.EntrySum(1, 0), r.EntrySum(2, 0)], entry_count=2)
    assert check.ok and check.name == "trial_balance_zero"
    assert check.detail == {"total_fen": 0, "entries": 2, "unbalanced_entries": 0}


def test_an_unbalanced_entry_is_named_with_its_batch():
    check = r.trial_balance_zero(-5, [r.EntrySum(7, -5, "close:subsidy", 3), r.EntrySum(2, 0)])
    assert not check.ok
    ledger_wide, entry = check.discrepancies
    assert (ledger_wide.entity, ledger_wide.expected, ledger_wide.actual) == ("ledger", 0, -5)
    assert (entry.entity, entry.entry_id, entry.batch_id, entry.actual, entry.difference) == (
        "journal_entry",
        7,
        3,
        -5,
        -5,
    )
    assert "close:subsidy" in entry.measure


def test_two_unbalanced_entries_that_cancel_still_fail_each():
    check = r.trial_balance_zero(0, [r.EntrySum(9, 100), r.EntrySum(4, -100)])
    assert [d.entry_id for d in check.discrepancies] == [4, 9]


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=3), st.integers(-(10**9), 10**9).filter(bool)),
        min_size=1,
        max_size=8,
    )
)
def test_entries_built_by_the_domain_always_pass(pairs):
    entries = [
        ledger.JournalEntry("x", "", (ledger.Posting(f"A{a}", n), ledger.Posting(f"B{a}", -n)))
        for a, n in pairs
    ]
    sums = [r.EntrySum(i, sum(p.amount_fen for p in e.postings)) for i, e in enumerate(entries)]
    assert r.trial_balance_zero(sum(s.sum_fen for s in sums), sums).ok


# ------------------------------------------------------------------ batch totals
def _batch_rows(
    batch_id: int, kind: str, lines_by_payee: dict[str, list[int]], carried_in: dict[str, int]
):
    """What a correct close writes for one batch, built with the domain's own posting rules:
    lines_by_payee holds every line amount but the positive carried ones (carried_in)."""
    pool = "SZD" if kind == "compensation" else None
    payees, lines, postings = [], [], []
    total = 0
    for payee in sorted(set(lines_by_payee) | set(carried_in)):
        amounts = lines_by_payee.get(payee, [])
        t = payee_total(amounts + ([carried_in[payee]] if payee in carried_in else []))
        total += t.pays_fen
        payees.append(r.PayeeRow(batch_id, payee, t.pays_fen))
        lines.append(r.PayeeLines(batch_id, payee, t.total_fen, carried_in.get(payee, 0)))
        non_carried = sum(a for a in amounts)
        if non_carried:
            postings += ledger.batch_line_postings(kind, payee, non_carried, pool=pool)
        if t.carried_out_fen < 0:
            postings += ledger.receivable_move_postings(kind, payee, -t.carried_out_fen, pool=pool)
    movements = [
        r.Movement(batch_id, p.account, p.amount_fen) for p in ledger.merge_postings(postings)
    ]
    return r.BatchRow(batch_id, kind, total, pool), payees, lines, movements


def test_a_batch_as_the_close_writes_it_passes():
    batch, payees, lines, movements = _batch_rows(
        1, "subsidy", {PAYEE: [1000, -200], "B": [-50]}, {}
    )
    check = r.batch_totals([batch], payees, lines, movements)
    assert check.ok, check.discrepancies
    assert check.detail == {"batches": 1, "total_fen": 800}


def test_a_positive_carried_line_counts_in_the_movement():
    batch, payees, lines, movements = _batch_rows(2, "compensation", {"BK1": [500]}, {"BK1": 300})
    assert batch.total_fen == 800
    assert r.batch_totals([batch], payees, lines, movements).ok
    # without the carried line the ledger moved only 500
    bare = [r.PayeeLines(2, "BK1", 800, 0)]
    found = r.batch_totals([batch], payees, bare, movements).discrepancies
    assert {(d.entity, d.measure.split(" against")[0], d.expected, d.actual) for d in found} == {
        ("batch", "ledger movement", 800, 500),
        ("batch_payee", "ledger movement", 800, 500),
    }


def test_a_tampered_payee_is_named_with_its_batch_and_account():
    batch, payees, lines, movements = _batch_rows(3, "subsidy", {PAYEE: [1000]}, {})
    payees = [r.PayeeRow(3, PAYEE, 999)]
    check = r.batch_totals([batch], payees, lines, movements)
    assert not check.ok
    by_entity = {d.entity: d for d in check.discrepancies}
    assert (
        by_entity["batch"].batch_id,
        by_entity["batch"].expected,
        by_entity["batch"].actual,
    ) == (3, 1000, 999)
    payee = by_entity["batch_payee"]
    assert (payee.batch_id, payee.payee_id, payee.account, payee.expected, payee.actual) == (
        3,
        PAYEE,
        f"2001:{PAYEE}",
        1000,
        999,
    )


def test_payment_and_other_kinds_postings_are_not_the_batchs_movement():
    batch, payees, lines, movements = _batch_rows(4, "subsidy", {PAYEE: [1000]}, {})
    # a posting to a compensation payable has nothing to do with a subsidy batch
    movements = [*movements, r.Movement(4, "2002:SZD:BK1", -77), r.Movement(4, "5001", 5)]
    assert r.batch_totals([batch], payees, lines, movements).ok


def test_another_pools_payable_is_not_the_batchs_movement():
    """v2: a compensation batch of pool ZBD moves 2002:ZBD:{bank}; SZD's accounts are not its."""
    _batch, payees, lines, movements = _batch_rows(6, "compensation", {"BK1": [500]}, {})
    assert [m.account for m in movements if m.account.startswith("2002")] == ["2002:SZD:BK1"]
    zbd = r.BatchRow(6, "compensation", 500, "ZBD")
    found = r.batch_totals([zbd], payees, lines, movements).discrepancies
    assert {(d.entity, d.account, d.expected, d.actual) for d in found if d.payee_id} == {
        ("batch_payee", "2002:ZBD:BK1", 500, 0)
    }
    moved = [r.Movement(6, "2002:ZBD:BK1", m.sum_fen) for m in movements if m.account[:4] == "2002"]
    assert r.batch_totals([zbd], payees, lines, moved).ok


def test_a_batch_total_that_disagrees_fails_on_every_measure():
    _batch, payees, lines, movements = _batch_rows(5, "subsidy", {PAYEE: [1000]}, {})
    check = r.batch_totals([r.BatchRow(5, "subsidy", 1200)], payees, lines, movements)
    assert [(d.entity, d.expected, d.actual) for d in check.discrepancies] == [
        ("batch", 1200, 1000)
    ] * 3


def test_no_batches_is_ok():
    assert r.batch_totals([], [], [], []).ok


line_amounts = st.lists(st.integers(-(10**7), 10**7).filter(bool), min_size=1, max_size=5)


@given(
    st.dictionaries(
        st.sampled_from(["P1", "P2", "P3", PAYEE]), line_amounts, min_size=1, max_size=4
    ),
    st.dictionaries(st.sampled_from(["P1", "P2", "P3", PAYEE]), st.integers(1, 10**7), max_size=2),
    st.sampled_from(["subsidy", "compensation"]),
)
def test_any_batch_the_close_could_write_reconciles(lines_by_payee, carried_in, kind):
    batch, payees, lines, movements = _batch_rows(9, kind, lines_by_payee, carried_in)
    assert r.batch_totals([batch], payees, lines, movements).ok


@given(
    st.dictionaries(st.sampled_from(["P1", "P2", PAYEE]), line_amounts, min_size=1, max_size=3),
    st.integers(-(10**6), 10**6).filter(bool),
)
def test_any_change_to_a_payees_pays_is_caught(lines_by_payee, delta):
    batch, payees, lines, movements = _batch_rows(9, "subsidy", lines_by_payee, {})
    first = payees[0]
    tampered = [r.PayeeRow(9, first.payee_id, first.pays_fen + delta), *payees[1:]]
    found = r.batch_totals([batch], tampered, lines, movements).discrepancies
    assert any(
        d.entity == "batch_payee" and d.payee_id == first.payee_id and d.difference == delta
        for d in found
    )


# ------------------------------------------------------------------ payables
def test_payables_match_what_is_pending():
    check = r.payables(
        {f"2001:{PAYEE}": -1000, "2002:SZD:BK1": -500, "2002:ZBD:BK2": 0},
        {f"2001:{PAYEE}": 1000, "2002:SZD:BK1": 500},
    )
    assert check.ok and check.detail == {
        "accounts": 3,
        "credit_balance_fen": 1500,
        "outstanding_fen": 1500,
    }


def test_a_payable_off_by_a_fen_is_named():
    check = r.payables({f"2001:{PAYEE}": -1001}, {f"2001:{PAYEE}": 1000, "2002:ZBD:BK9": 20})
    found = {d.account: d for d in check.discrepancies}
    assert (
        found[f"2001:{PAYEE}"].payee_id,
        found[f"2001:{PAYEE}"].expected,
        found[f"2001:{PAYEE}"].actual,
    ) == (PAYEE, 1000, 1001)
    assert (found["2002:ZBD:BK9"].payee_id, found["2002:ZBD:BK9"].expected) == ("BK9", 20)
    assert found["2002:ZBD:BK9"].actual == 0  # pending, never posted


@given(
    st.dictionaries(
        st.sampled_from([f"2001:{PAYEE}", "2001:X", "2002:SZD:BK1", "2002:ZBD:BK1"]),
        st.integers(0, 10**9),
    )
)
def test_payables_that_equal_outstanding_pass(outstanding):
    assert r.payables({a: -v for a, v in outstanding.items()}, outstanding).ok


# ------------------------------------------------------------------ pool
def test_the_pool_covers_what_it_owes_up_to_equality():
    assert r.pool_covers_owed({"SZD": (500, 500)}).ok
    check = r.pool_covers_owed({"SZD": (499, 500)})
    assert not check.ok and check.detail["available_fen"] == -1
    (d,) = check.discrepancies
    assert (d.entity, d.account, d.expected, d.actual) == ("risk_pool", "1101:SZD", 500, 499)


def test_each_pool_covers_its_own_debts():
    """v2: SZD's spare cash does not cover what ZBD owes."""
    check = r.pool_covers_owed({"SZD": (10_000, 0), "ZBD": (100, 300)})
    assert not check.ok and check.detail["available_fen"] == 10_000 - 200
    (d,) = check.discrepancies
    assert (d.account, d.expected, d.actual) == ("1101:ZBD", 300, 100)
    assert check.detail["pools"]["ZBD"] == {"cash": "1.00", "owed": "3.00", "available": "-2.00"}


# ------------------------------------------------------------------ control totals
def test_control_totals_compare_count_and_sum_per_bank():
    check = r.control_totals(
        [
            r.BankFigures("BK2", 2, 100, 1, 100),
            r.BankFigures("BK1", 1, 390000, 1, 390000),
            r.BankFigures("BK3", 1, 5, 1, 6),
        ],
        undeclared=["BK4"],
    )
    assert not check.ok
    assert [
        (d.bank_code, d.measure, d.unit, d.expected, d.actual) for d in check.discrepancies
    ] == [("BK2", "interest_records", "count", 2, 1), ("BK3", "interest_total", "money", 5, 6)]
    assert check.detail == {
        "banks_declared": 3,
        "banks_matching": 1,
        "banks_without_control_total": ["BK4"],
    }


def test_no_declared_control_total_is_ok():
    assert r.control_totals([], undeclared=["BK1"]).ok


# ------------------------------------------------------------------ subsidy within interest
def test_lines_above_the_interest_paid_are_named():
    check = r.subsidy_within_interest(
        [r.RecordLines(1, "BK1", "I1", 3900_00, 3900_00), r.RecordLines(2, "BK2", "I2", 100, 101)],
        records_checked=2,
    )
    (d,) = check.discrepancies
    assert (d.entity, d.bank_code, d.event_id, d.expected, d.actual, d.difference) == (
        "interest_record",
        "BK2",
        "I2",
        100,
        101,
        1,
    )
    assert check.detail == {"records": 2, "records_over": 1}


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(-(10**9), 10**9)), max_size=10))
def test_subsidy_within_interest_fails_exactly_for_records_over(pairs):
    records = [
        r.RecordLines(i, "BK", f"E{i}", interest, lined)
        for i, (interest, lined) in enumerate(pairs)
    ]
    check = r.subsidy_within_interest(records)
    assert {d.event_id for d in check.discrepancies} == {
        f"E{i}" for i, (a, b) in enumerate(pairs) if b > a
    }


def test_all_ok_and_the_names():
    assert r.CHECK_NAMES == (
        "trial_balance_zero",
        "batch_totals",
        "payables",
        "pool_covers_owed",
        "control_totals",
        "subsidy_within_interest",
    )
    assert r.all_ok([r.pool_covers_owed({"SZD": (1, 0)}), r.payables({}, {})])
    assert not r.all_ok([r.pool_covers_owed({"SZD": (0, 1)}), r.payables({}, {})])
