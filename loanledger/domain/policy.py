"""The programme policy (domain.md §3): a frozen value plus its strict wire form.

The wire form is what `GET /policy` shows and `PUT /policy` takes: money as yuan
strings, ratios as decimal strings, dates ISO. Validation collects every problem
instead of stopping at the first, so a clerk fixes a document in one round.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import pairwise
from typing import Any

from .dates import parse_date
from .errors import FieldError, PolicyInvalid
from .industry import INDUSTRY_CODE_PATTERN, industry_code_valid
from .money import format_fen, format_ratio, parse_ratio, parse_yuan
from .pools import POOL_CODE_PATTERN, pool_code_valid
from .vocabulary import PayeeType, WindowAnchor, words

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_POLICY_DOC",
    "LOAN_CLASSIFICATIONS",
    "PAYEES",
    "Policy",
    "PolicyInvalid",
    "PoolRules",
    "default_policy_doc",
    "policy_from_doc",
    "policy_to_doc",
    "pool_policy",
]

PAYEES = words(PayeeType)
WINDOW_ANCHORS = words(WindowAnchor)
LOAN_CLASSIFICATIONS = ("normal", "special_mention", "substandard", "doubtful", "loss")


@dataclass(frozen=True)
class Policy:
    effective_from: date
    effective_to: date | None
    subsidy_years: int
    subsidy_window_anchor: str  # v2: a WindowAnchor
    eligible_industries: tuple[str, ...] | None  # v2: GB/T 4754 prefixes; None = no industry rule
    subsidy_ratios: tuple[Fraction, ...]
    rate_cap_spread_bps: int | None
    annual_cap_per_enterprise_fen: int
    min_enterprise_age_years: int
    max_active_filings: int
    filing_lapse_days: int
    payee: str
    publicity_working_days: int
    close_day: int
    npl_dpd: int
    npl_classifications: tuple[str, ...]
    compensation_tiers: tuple[tuple[int | None, Fraction], ...]
    claim_cap_per_loan_fen: int
    pool_leverage: int
    # v2: per pool code, the rules it sets over the three above (pool_policy); sorted by code.
    pools: tuple[tuple[str, PoolRules], ...] = ()


DEFAULT_POLICY_DOC: dict[str, Any] = {
    "effective_from": "2022-05-11",
    "effective_to": None,
    "subsidy_years": 3,
    "subsidy_window_anchor": WindowAnchor.ENTERPRISE.value,
    "eligible_industries": ["C"],
    "subsidy_ratios": ["1.00", "1.00", "1.00"],
    "rate_cap_spread_bps": None,
    "annual_cap_per_enterprise": "30000000.00",
    "min_enterprise_age_years": 1,
    "max_active_filings": 2,
    "filing_lapse_days": 180,
    "payee": PayeeType.ENTERPRISE.value,
    "publicity_working_days": 5,
    "close_day": 5,
    "npl_dpd": 90,
    "npl_classifications": ["substandard", "doubtful", "loss"],
    "compensation_tiers": [{"up_to": None, "ratio": "0.50"}],
    "claim_cap_per_loan": "5000000.00",
    "pool_leverage": 10,
    "pools": {},
}


# Version 2's keys: a document without them (a version 1 client's PUT) takes the defaults
# above. Stored version 1 documents got version 1's rules written in by migration 0008.
V2_FIELDS = ("subsidy_window_anchor", "eligible_industries")


def default_policy_doc() -> dict[str, Any]:
    """A private deep copy of the defaults, safe to merge into."""
    return copy.deepcopy(DEFAULT_POLICY_DOC)


# Sane bounds for integer parameters: wide enough for any real programme, narrow
# enough that a typo (a year count of 300, a close on the 31st) is refused.
_INT_BOUNDS: dict[str, tuple[int, int]] = {
    "subsidy_years": (1, 10),
    "min_enterprise_age_years": (0, 100),
    "max_active_filings": (1, 100),
    "filing_lapse_days": (1, 3650),
    "publicity_working_days": (0, 60),
    "close_day": (1, 28),
    "npl_dpd": (1, 3650),
    "pool_leverage": (1, 100),
}
SPREAD_BPS_BOUNDS = (-1000, 2400)
MAX_TIERS = 20


class _Collector:
    """Gathers (field, code, message) and turns parse failures into entries."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str | None, code: str, message: str) -> None:
        self.errors.append((field, code, message))

    def parse(self, field: str, value: Any, parser: Callable[[Any], Any]) -> Any:
        try:
            return parser(value)
        except (ValueError, TypeError) as exc:
            self.add(field, "invalid_format", str(exc))
            return None


def _strict_int(lo: int, hi: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        # bool is an int subclass; JSON true must not pass as 1.
        if type(value) is not int:
            raise ValueError(f"must be an integer, got {value!r}")
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _optional(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else parser(value)


def _money(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError(f"money must be a string in yuan, got {value!r}")
    return parse_yuan(value)


def _string_list(value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError(f"must be a list, got {value!r}")
    return value


def _classifications(value: Any) -> tuple[str, ...]:
    items = _string_list(value)
    for item in items:
        if item not in LOAN_CLASSIFICATIONS:
            raise ValueError(
                f"unknown classification {item!r}; use {', '.join(LOAN_CLASSIFICATIONS)}"
            )
    if len(set(items)) != len(items):
        raise ValueError("classifications must be distinct")
    return tuple(items)


def _payee(value: Any) -> str:
    if value not in PAYEES:
        raise ValueError(f"payee must be one of {', '.join(PAYEES)}, got {value!r}")
    return value


def _anchor(value: Any) -> str:
    if value not in WINDOW_ANCHORS:
        raise ValueError(
            f"subsidy_window_anchor must be one of {', '.join(WINDOW_ANCHORS)}, got {value!r}"
        )
    return value


def _parse_industries(c: _Collector, value: Any) -> tuple[str, ...] | None:
    """null (no industry rule) or a non-empty list of distinct GB/T 4754 prefixes."""
    if value is None:
        return None
    items = c.parse("eligible_industries", value, _string_list)
    if items is None:
        return None
    good = True
    for i, item in enumerate(items):
        if not industry_code_valid(item):
            c.add(
                f"eligible_industries[{i}]",
                "invalid_format",
                f"{item!r} is not a GB/T 4754 prefix ({INDUSTRY_CODE_PATTERN})",
            )
            good = False
    if good and (not items or len(set(items)) != len(items)):  # strings by now: hashable
        # An empty list would end every subsidy: null is the way to switch the rule off.
        c.add(
            "eligible_industries",
            "invalid_format",
            "a non-empty list of distinct prefixes, or null",
        )
        good = False
    return tuple(items) if good else None


_SCALAR_PARSERS: dict[str, Callable[[Any], Any]] = {
    "effective_from": parse_date,
    "effective_to": _optional(parse_date),
    "rate_cap_spread_bps": _optional(_strict_int(*SPREAD_BPS_BOUNDS)),
    "annual_cap_per_enterprise": _money,
    "claim_cap_per_loan": _money,
    "payee": _payee,
    "subsidy_window_anchor": _anchor,
    "npl_classifications": _classifications,
    **{name: _strict_int(lo, hi) for name, (lo, hi) in _INT_BOUNDS.items()},
}
DOC_FIELDS = tuple(DEFAULT_POLICY_DOC)


def _parse_ratios(c: _Collector, value: Any) -> tuple[Fraction, ...] | None:
    items = c.parse("subsidy_ratios", value, _string_list)
    if items is None:
        return None
    ratios = [c.parse(f"subsidy_ratios[{i}]", item, parse_ratio) for i, item in enumerate(items)]
    return None if None in ratios else tuple(ratios)


def _parse_tier(
    c: _Collector, i: int, tier: Any, field: str = "compensation_tiers"
) -> tuple[int | None, Fraction] | None:
    if not isinstance(tier, dict):
        c.add(f"{field}[{i}]", "invalid_format", "a tier is an object {up_to, ratio}")
        return None
    for key in sorted(set(tier) - {"up_to", "ratio"}):
        c.add(f"{field}[{i}].{key}", "unknown_field", f"unknown field {key!r}")
    for key in ("up_to", "ratio"):
        if key not in tier:
            c.add(f"{field}[{i}].{key}", "required", f"{key} is required")
    if not {"up_to", "ratio"} <= set(tier):
        return None
    up_to = c.parse(f"{field}[{i}].up_to", tier["up_to"], _optional(_money))
    ratio = c.parse(f"{field}[{i}].ratio", tier["ratio"], parse_ratio)
    if ratio is None or (up_to is None and tier["up_to"] is not None):
        return None
    return up_to, ratio


def _parse_tiers(
    c: _Collector, value: Any, field: str = "compensation_tiers"
) -> tuple[tuple[int | None, Fraction], ...] | None:
    items = c.parse(field, value, _string_list)
    if items is None:
        return None
    parsed = [_parse_tier(c, i, tier, field) for i, tier in enumerate(items)]
    tiers = [tier for tier in parsed if tier is not None]
    if len(tiers) != len(parsed):
        return None
    if not 1 <= len(tiers) <= MAX_TIERS:
        c.add(field, "invalid_format", f"between 1 and {MAX_TIERS} tiers")
        return None
    bounds = [up_to for up_to, _ in tiers]
    # Every principal must find a tier: ascending finite bounds, then exactly one open tier.
    finite = [up_to for up_to in bounds[:-1] if up_to is not None]
    if bounds[-1] is not None or len(finite) != len(bounds) - 1:
        c.add(field, "invalid_format", "only the last tier has up_to null, and it must")
        return None
    if any(not a < b for a, b in pairwise([0, *finite])):
        c.add(field, "invalid_format", "up_to must be positive and strictly ascending")
        return None
    return tuple(tiers)


def _check_cross_fields(c: _Collector, values: dict[str, Any]) -> None:
    start, end = values.get("effective_from"), values.get("effective_to")
    if start is not None and end is not None and end < start:
        c.add("effective_to", "invalid_format", "effective_to is before effective_from")
    years, ratios = values.get("subsidy_years"), values.get("subsidy_ratios")
    if years is not None and ratios is not None and len(ratios) != years:
        c.add("subsidy_ratios", "invalid_format", f"need one ratio per subsidy year ({years})")


def policy_from_doc(doc: dict, *, ignore_fields: Iterable[str] = ()) -> Policy:
    """Validate a wire document strictly; raise PolicyInvalid listing every problem.

    `ignore_fields` lets an adapter pass envelope keys (e.g. `version`) through untouched.
    """
    c = _Collector()
    if not isinstance(doc, dict):
        raise PolicyInvalid([(None, "invalid_format", "the policy must be a JSON object")])
    ignored = set(ignore_fields)
    for key in sorted(set(doc) - set(DOC_FIELDS) - ignored, key=str):
        c.add(str(key), "unknown_field", f"unknown field {key!r}")
    values: dict[str, Any] = {}
    doc = {**{name: DEFAULT_POLICY_DOC[name] for name in V2_FIELDS if name not in doc}, **doc}
    for name in DOC_FIELDS:
        if name == "pools":  # v2 and optional: a version 1 document has none
            values[name] = _parse_pools(c, doc.get(name, {}))
        elif name not in doc:
            c.add(name, "required", f"{name} is required")
        elif name == "eligible_industries":
            values[name] = _parse_industries(c, doc[name])
        elif name == "subsidy_ratios":
            values[name] = _parse_ratios(c, doc[name])
        elif name == "compensation_tiers":
            values[name] = _parse_tiers(c, doc[name])
        else:
            values[name] = c.parse(name, doc[name], _SCALAR_PARSERS[name])
    _check_cross_fields(c, values)
    if c.errors:
        raise PolicyInvalid(sorted(c.errors, key=lambda e: (e[0] or "", e[1])))
    return _policy_from_values(values)


def _tiers_to_doc(tiers: tuple[tuple[int | None, Fraction], ...]) -> list[dict[str, Any]]:
    return [
        {"up_to": None if up_to is None else format_fen(up_to), "ratio": format_ratio(ratio)}
        for up_to, ratio in tiers
    ]


def _policy_from_values(values: dict[str, Any]) -> Policy:
    renamed = dict(values)
    renamed["annual_cap_per_enterprise_fen"] = renamed.pop("annual_cap_per_enterprise")
    renamed["claim_cap_per_loan_fen"] = renamed.pop("claim_cap_per_loan")
    return Policy(**renamed)


def policy_to_doc(p: Policy) -> dict[str, Any]:
    """The wire form; policy_from_doc(policy_to_doc(p)) == p."""
    return {
        "effective_from": p.effective_from.isoformat(),
        "effective_to": None if p.effective_to is None else p.effective_to.isoformat(),
        "subsidy_years": p.subsidy_years,
        "subsidy_window_anchor": p.subsidy_window_anchor,
        "eligible_industries": None
        if p.eligible_industries is None
        else list(p.eligible_industries),
        "subsidy_ratios": [format_ratio(r) for r in p.subsidy_ratios],
        "rate_cap_spread_bps": p.rate_cap_spread_bps,
        "annual_cap_per_enterprise": format_fen(p.annual_cap_per_enterprise_fen),
        "min_enterprise_age_years": p.min_enterprise_age_years,
        "max_active_filings": p.max_active_filings,
        "filing_lapse_days": p.filing_lapse_days,
        "payee": p.payee,
        "publicity_working_days": p.publicity_working_days,
        "close_day": p.close_day,
        "npl_dpd": p.npl_dpd,
        "npl_classifications": list(p.npl_classifications),
        "compensation_tiers": _tiers_to_doc(p.compensation_tiers),
        "claim_cap_per_loan": format_fen(p.claim_cap_per_loan_fen),
        "pool_leverage": p.pool_leverage,
        "pools": _pools_to_doc(p.pools),
    }


# ------------------------------------------------------------------ pools (v2)
@dataclass(frozen=True)
class PoolRules:
    """What `pools[code]` sets for one pool; None takes the policy's own line (§3)."""

    pool_leverage: int | None = None
    compensation_tiers: tuple[tuple[int | None, Fraction], ...] | None = None
    claim_cap_per_loan_fen: int | None = None


POOL_RULE_FIELDS = ("pool_leverage", "compensation_tiers", "claim_cap_per_loan")


def pool_policy(policy: Policy, pool_code: str) -> Policy:
    """The policy as one pool applies it: its `pools` rules over the policy's defaults."""
    rules = dict(policy.pools).get(pool_code)
    if rules is None:
        return policy
    changes: dict[str, Any] = {
        "pool_leverage": rules.pool_leverage,
        "compensation_tiers": rules.compensation_tiers,
        "claim_cap_per_loan_fen": rules.claim_cap_per_loan_fen,
    }
    return dataclasses.replace(policy, **{k: v for k, v in changes.items() if v is not None})


def _parse_pools(c: _Collector, value: Any) -> tuple[tuple[str, PoolRules], ...] | None:
    """{pool_code: {pool_leverage?, compensation_tiers?, claim_cap_per_loan?}}; every problem is
    named by its path, e.g. `pools.ZBD.pool_leverage`."""
    if not isinstance(value, dict):
        c.add("pools", "invalid_format", "an object {pool_code: {the pool's rules}}")
        return None
    before = len(c.errors)
    parsed = []
    for code in sorted(value, key=str):
        if not pool_code_valid(code):
            c.add(f"pools.{code}", "invalid_format", f"a pool code is {POOL_CODE_PATTERN}")
            continue
        parsed.append((code, _parse_pool_rules(c, f"pools.{code}", value[code])))
    return tuple(parsed) if len(c.errors) == before else None


def _parse_pool_rules(c: _Collector, field: str, rules: Any) -> PoolRules:
    if not isinstance(rules, dict):
        c.add(field, "invalid_format", f"an object with any of {', '.join(POOL_RULE_FIELDS)}")
        return PoolRules()
    for key in sorted(set(rules) - set(POOL_RULE_FIELDS), key=str):
        c.add(f"{field}.{key}", "unknown_field", f"unknown field {key!r}")
    leverage = rules.get("pool_leverage")
    tiers = rules.get("compensation_tiers")
    cap = rules.get("claim_cap_per_loan")
    return PoolRules(
        None
        if leverage is None
        else c.parse(f"{field}.pool_leverage", leverage, _SCALAR_PARSERS["pool_leverage"]),
        None if tiers is None else _parse_tiers(c, tiers, f"{field}.compensation_tiers"),
        None if cap is None else c.parse(f"{field}.claim_cap_per_loan", cap, _money),
    )


def _pools_to_doc(pools: tuple[tuple[str, PoolRules], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, rules in pools:
        doc: dict[str, Any] = {}
        if rules.pool_leverage is not None:
            doc["pool_leverage"] = rules.pool_leverage
        if rules.compensation_tiers is not None:
            doc["compensation_tiers"] = _tiers_to_doc(rules.compensation_tiers)
        if rules.claim_cap_per_loan_fen is not None:
            doc["claim_cap_per_loan"] = format_fen(rules.claim_cap_per_loan_fen)
        out[code] = doc
    return out


DEFAULT_POLICY: Policy = policy_from_doc(DEFAULT_POLICY_DOC)
