import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.ledger import (
    ACCOUNT_KINDS,
    ACCOUNT_NAMES,
    ACCOUNT_NAMES_ZH,
    COMPENSATION_EXPENSE,
    POOL_CAPITAL,
    POOL_CASH,
    SUBSIDY_EXPENSE,
    TREASURY_CASH,
    JournalEntry,
    Posting,
    UnbalancedEntry,
    appropriation,
    appropriation_entry,
    base_code,
    batch_line_postings,
    carried_in_postings,
    clawback_receivable,
    compensation_payable,
    hold_entry,
    merge_postings,
    payable_account,
    payee_of,
    payment_entry,
    pool_capital,
    pool_cash,
    pool_deposit_entry,
    pool_of,
    receivable_account,
    receivable_move_postings,
    receivable_settlement_entry,
    recovery_receivable,
    subsidy_payable,
)

U = "91442000H644000008"


def test_account_codes():
    assert (TREASURY_CASH, POOL_CASH, POOL_CAPITAL, SUBSIDY_EXPENSE, COMPENSATION_EXPENSE) == (
        "1001",
        "1101",
        "3002",
        "5001",
        "5002",
    )
    assert subsidy_payable(U) == "2001:" + U
    assert compensation_payable("SZD", "ABC-ZS") == "2002:SZD:ABC-ZS"
    assert clawback_receivable(U) == "1201:" + U
    assert recovery_receivable("ZBD", "ABC-ZS") == "1202:ZBD:ABC-ZS"
    assert (pool_cash("ZBD"), pool_capital("ZBD")) == ("1101:ZBD", "3002:ZBD")
    assert appropriation(2023) == "3001:2023"
    assert base_code("2001:" + U) == "2001" and base_code("1001") == "1001"
    for code in ["1001", "1101", "1201", "1202", "2001", "2002", "3001", "3002", "5001", "5002"]:
        assert code in ACCOUNT_NAMES and code in ACCOUNT_NAMES_ZH and code in ACCOUNT_KINDS


def test_entry_must_balance():
    with pytest.raises(UnbalancedEntry):
        JournalEntry("x", "", (Posting("1001", 5), Posting("3002", -4)))
    with pytest.raises(UnbalancedEntry):
        JournalEntry("x", "", (Posting("1001", 0), Posting("3002", 0)))
    with pytest.raises(UnbalancedEntry):
        JournalEntry("x", "", ())
    with pytest.raises(UnbalancedEntry):
        JournalEntry("x", "", (Posting("1001", 5), Posting("3002", -5), Posting("1101", 0)))
    assert JournalEntry("x", "", [Posting("1001", 5), Posting("3002", -5)]).postings == (
        Posting("1001", 5),
        Posting("3002", -5),
    )


def test_appropriation_and_deposit():
    assert appropriation_entry(2023, 500).postings == (
        Posting("1001", 500),
        Posting("3001:2023", -500),
    )
    assert pool_deposit_entry("SZD", 700).postings == (
        Posting("1101:SZD", 700),
        Posting("3002:SZD", -700),
    )


def test_accounts_name_their_pool_and_payee():
    """v2 (domain.md §10): the risk accounts carry the pool, the payee comes last."""
    assert payable_account("compensation", "BOC-ZS", pool="ZBD") == "2002:ZBD:BOC-ZS"
    assert receivable_account("compensation", "BOC-ZS", pool="ZBD") == "1202:ZBD:BOC-ZS"
    assert payable_account("subsidy", U) == "2001:" + U
    assert receivable_account("subsidy", U) == "1201:" + U
    assert [payee_of(a) for a in ("2002:ZBD:BOC-ZS", "1201:" + U, "1101:SZD", "3001:2023")] == [
        "BOC-ZS",
        U,
        None,
        None,
    ]
    assert [pool_of(a) for a in ("2002:ZBD:BOC-ZS", "5002:SZD", "2001:" + U, "1001")] == [
        "ZBD",
        "SZD",
        None,
        None,
    ]
    with pytest.raises(ValueError, match="names its pool"):
        payable_account("compensation", "BOC-ZS")
    with pytest.raises(ValueError, match="names no pool"):
        payable_account("subsidy", U, pool="SZD")


def test_batch_lines():
    assert batch_line_postings("subsidy", U, 100) == [
        Posting("5001", 100),
        Posting("2001:" + U, -100),
    ]
    assert batch_line_postings("subsidy", U, -100) == [
        Posting("5001", -100),
        Posting("2001:" + U, 100),
    ]
    assert batch_line_postings("compensation", "ABC", 100, pool="ZBD") == [
        Posting("5002:ZBD", 100),
        Posting("2002:ZBD:ABC", -100),
    ]
    assert batch_line_postings("subsidy", U, 0) == []
    with pytest.raises(ValueError):
        batch_line_postings("bonus", U, 1)


def test_scenario_05_negative_total_moves_to_receivable_and_nets_back():
    lines = batch_line_postings("subsidy", U, -435972) + batch_line_postings("subsidy", U, -283889)
    moved = receivable_move_postings("subsidy", U, -719861)
    close = JournalEntry("close", "2023-04", merge_postings(lines + moved))
    assert set(close.postings) == {Posting("5001", -719861), Posting("1201:" + U, 719861)}
    # Next batch: a +10000.00 line and the carried -7198.61; the payee is paid 2801.39.
    nxt = merge_postings(
        batch_line_postings("subsidy", U, 1_000_000) + carried_in_postings("subsidy", U, -719861)
    )
    assert set(nxt) == {
        Posting("5001", 1_000_000),
        Posting("2001:" + U, -280139),
        Posting("1201:" + U, -719861),
    }
    pay = payment_entry("subsidy", U, 280139)
    balances = {}
    for p in close.postings + nxt + pay.postings:
        balances[p.account] = balances.get(p.account, 0) + p.amount_fen
    assert balances["1201:" + U] == 0 and balances["2001:" + U] == 0
    assert balances["5001"] == 1_000_000 - 719861 and balances["1001"] == -280139


def test_carried_positive_line_posts_nothing():
    assert carried_in_postings("compensation", "ABC", 500, pool="SZD") == []


def test_payment_and_settlement():
    assert payment_entry("subsidy", U, 5).postings == (Posting("2001:" + U, 5), Posting("1001", -5))
    assert payment_entry("compensation", "ABC", 5, pool="ZBD").postings == (
        Posting("2002:ZBD:ABC", 5),
        Posting("1101:ZBD", -5),
    )
    assert receivable_settlement_entry("subsidy", U, 5).postings == (
        Posting("1001", 5),
        Posting("1201:" + U, -5),
    )
    assert receivable_settlement_entry("compensation", "ABC", 5, pool="ZBD").postings == (
        Posting("1101:ZBD", 5),
        Posting("1202:ZBD:ABC", -5),
    )
    with pytest.raises(UnbalancedEntry):
        payment_entry("subsidy", U, 0)


def test_merge_postings():
    merged = merge_postings(
        [Posting("a", 5), Posting("b", -5), Posting("a", -5), Posting("c", 3), Posting("b", 2)]
    )
    assert merged == (Posting("b", -3), Posting("c", 3))


kinds = st.sampled_from(["subsidy", "compensation"])


def _pool(kind: str) -> str | None:
    return "SZD" if kind == "compensation" else None


payees = st.sampled_from([U, "ABC-ZS", "BOC-ZS"])
amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(st.lists(st.tuples(kinds, payees, amounts), min_size=1, max_size=10))
def test_every_built_entry_balances(lines):
    postings = []
    for kind, payee, amount in lines:
        postings += batch_line_postings(kind, payee, amount, pool=_pool(kind))
        postings += receivable_move_postings(kind, payee, amount, pool=_pool(kind))
        postings += carried_in_postings(kind, payee, amount, pool=_pool(kind))
    merged = merge_postings(postings)
    assert sum(p.amount_fen for p in merged) == 0
    if merged:
        JournalEntry("close", "", merged)  # does not raise
    for kind, payee, amount in lines:
        if amount:
            for entry in (
                payment_entry(kind, payee, amount, pool=_pool(kind)),
                receivable_settlement_entry(kind, payee, amount, pool=_pool(kind)),
                appropriation_entry(2023, amount),
                pool_deposit_entry("ZBD", amount),
            ):
                assert sum(p.amount_fen for p in entry.postings) == 0


def _close_postings(kind, payee, amounts):
    """What the close posts for one payee's lines: the lines, then a negative total to the receivable."""
    pool = _pool(kind)
    postings = [p for a in amounts for p in batch_line_postings(kind, payee, a, pool=pool)]
    total = sum(amounts)
    moved = receivable_move_postings(kind, payee, -total, pool=pool) if total < 0 else []
    return postings + moved


def _balances(postings):
    out = {}
    for p in postings:
        out[p.account] = out.get(p.account, 0) + p.amount_fen
    return {a: v for a, v in out.items() if v}


@given(kinds, payees, st.lists(amounts.filter(bool), min_size=1, max_size=6), st.data())
def test_holding_a_line_leaves_the_ledger_as_if_it_never_was(kind, payee, line_amounts, data):
    """Close with every line, then hold one: the balances equal a close without that line."""
    held = data.draw(st.integers(min_value=0, max_value=len(line_amounts) - 1))
    kept = line_amounts[:held] + line_amounts[held + 1 :]
    before, after = min(0, sum(line_amounts)), min(0, sum(kept))
    entry = hold_entry(kind, payee, line_amounts[held], before, after, pool=_pool(kind))
    assert entry.kind == f"hold:{kind}"
    assert _balances(
        _close_postings(kind, payee, line_amounts) + list(entry.postings)
    ) == _balances(_close_postings(kind, payee, kept))
