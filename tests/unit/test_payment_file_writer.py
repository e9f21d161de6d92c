"""The payment file as written (services/payment_file.py), without a database: the 合计 row
is the sum of the rows in figures and in 大写, in CSV (UTF-8 with BOM, GB18030) and XLSX
alike, and a text a spreadsheet would run as a formula is defused."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanledger.domain.capitals import yuan_in_capitals
from loanledger.domain.money import format_fen
from loanledger.services.payment_file import PaymentFile, PaymentRow, purpose, to_csv, to_xlsx

NAMES = st.text(
    alphabet=st.sampled_from("中山市华星五金制品有限公司=+-@ ()（）AB1"), min_size=1, max_size=20
)


def _file(amounts: list[int], names: list[str]) -> PaymentFile:
    rows = [
        PaymentRow(
            number=i,
            payee_id=f"9144200000000000{i:02d}",
            name=name,
            holder=name,
            account_number=f"62220200000{i:05d}",
            bank_name="中山农商银行",
            amount_fen=fen,
            purpose=purpose("subsidy", "2023-02", None),
            batch_id=7,
            reference=f"202302-7-{i}",
        )
        for i, (fen, name) in enumerate(zip(amounts, names, strict=True), start=1)
    ]
    return PaymentFile(7, "2023-02", rows)


def _csv(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=10**13), min_size=1, max_size=8).flatmap(
        lambda amounts: st.tuples(
            st.just(amounts), st.lists(NAMES, min_size=len(amounts), max_size=len(amounts))
        )
    )
)
def test_the_total_row_is_the_sum_in_every_format(case):
    amounts, names = case
    doc = _file(amounts, names)
    utf8 = _csv(to_csv(doc), "utf-8-sig")
    assert _csv(to_csv(doc, "gb18030"), "gb18030") == utf8
    body, total = utf8[1:-1], utf8[-1]
    assert [r[6] for r in body] == [format_fen(a) for a in amounts]
    assert [r[7] for r in body] == [yuan_in_capitals(a) for a in amounts]
    assert total[0] == "合计" and total[2] == f"共 {len(amounts)} 笔"
    assert total[6] == format_fen(sum(amounts)) and total[7] == yuan_in_capitals(sum(amounts))
    for row, name in zip(body, names, strict=True):
        assert row[2] == ("'" + name if name[0] in "=+-@" else name)
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc))).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [Decimal(str(r[6])) for r in cells] == [Decimal(format_fen(a)) for a in amounts] + [
        Decimal(format_fen(sum(amounts)))
    ]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula


def test_purpose_names_the_month_the_programme_and_a_claims_pool():
    assert purpose("subsidy", "2023-02", None) == "2023-02 数字贷贷款贴息资金"
    assert purpose("compensation", "2023-02", "SZD") == "2023-02 数字贷风险补偿资金"
    assert (
        purpose("compensation", "2023-02", "ZBD", "助保贷担保金") == "2023-02 助保贷担保金代偿资金"
    )


def test_an_unknown_encoding_is_a_programming_error():
    with pytest.raises(ValueError):
        to_csv(_file([100], ["甲"]), "latin-1")
