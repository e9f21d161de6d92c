"""The reconciliation page in words (issue 15): every check, figure and measure the domain can
produce has its Chinese words, and amounts look like ¥1,234.56. Pure: no database."""

from __future__ import annotations

import re

from loanledger.domain import reconciliation as rules
from loanledger.services.read.reconciliation import _detail_wire, discrepancy_wire
from loanledger.web import reconciliation_words as words

CJK = re.compile(r"[\u4e00-\u9fff]")


def _every_failing_check() -> list[rules.Check]:
    """Each check of the domain, fed figures that make every one of its measures disagree."""
    return [
        rules.trial_balance_zero(5, [rules.EntrySum(1, 5, "close", None)], 1),
        rules.batch_totals(
            [rules.BatchRow(7, "subsidy", 1_000)],
            [rules.PayeeRow(7, "P1", 900)],
            [rules.PayeeLines(7, "P1", 800)],
            [rules.Movement(7, "2001:P1", -700)],
        ),
        rules.payables({"2001:P1": -500}, {}),
        rules.pool_covers_owed({"SZD": (100, 500)}),
        rules.control_totals([rules.BankFigures("BK1", 1, 100, 2, 200)], ["BK2"]),
        rules.subsidy_within_interest([rules.RecordLines(1, "BK1", "E1", 100, 200)], 1),
    ]


def _doc() -> dict:
    checks = _every_failing_check()
    return {
        "ok": False,
        "checks": [{"name": c.name, "ok": c.ok, "detail": _detail_wire(c.detail)} for c in checks],
        "discrepancies": [discrepancy_wire(d) for c in checks for d in c.discrepancies],
    }


def test_every_check_figure_and_measure_the_domain_produces_is_in_words():
    doc = _doc()
    measures = {d["measure"] for d in doc["discrepancies"]}
    assert len(measures) >= 11  # every measure form of the six checks is exercised
    for measure in measures:
        assert CJK.search(words.measure_words(measure)), measure
    shown = words.page_doc(doc)
    for check in shown["checks"]:
        assert CJK.search(check["label"]), check["name"]
        for figure in check["figures"]:
            assert CJK.search(figure["label"]), figure["key"]
    for row in shown["differences"]:
        assert CJK.search(row["check"]) and CJK.search(row["entity"]), row


def test_amounts_are_shown_as_yuan_and_counts_as_numbers():
    shown = words.page_doc(_doc())
    by_name = {c["name"]: {f["key"]: f["value"] for f in c["figures"]} for c in shown["checks"]}
    assert by_name[rules.TRIAL_BALANCE] == {
        "total": "¥0.05",
        "entries": "1",
        "unbalanced_entries": "1",
    }
    assert by_name[rules.POOL]["pools"] == "SZD：资金 ¥1.00，应付补偿 ¥5.00，可用余额 -¥4.00"
    assert by_name[rules.CONTROL_TOTALS]["banks_without_control_total"] == "BK2"
    control = [r for r in shown["differences"] if r["bank_code"] == "BK1" and r["event_id"] == ""]
    assert [(r["measure"], r["expected"], r["actual"]) for r in control] == [
        ("利息记录笔数", "1", "2"),
        ("利息合计", "¥1.00", "¥2.00"),
    ]


def test_a_measure_unknown_to_the_page_shows_as_written():
    assert words.measure_words("a newer measure") == "a newer measure"
