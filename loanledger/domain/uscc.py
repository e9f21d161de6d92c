"""统一社会信用代码 check character, GB 32100-2015 (domain.md §9)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The 18th character for 17 characters from ALPHABET (ValueError otherwise)."""
    if not isinstance(first17, str) or len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError(f"need 17 characters from the USCC alphabet: {first17!r}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]  # 31 means 0


def uscc_valid(text: str) -> bool:
    """18 upper-case characters from ALPHABET whose last one is the check character."""
    if not isinstance(text, str) or len(text) != 18:
        return False
    try:
        return check_char(text[:17]) == text[17]
    except ValueError:
        return False


def uscc_with_check(first17: str) -> str:
    """Complete 17 characters into a valid USCC (for test data and fixtures)."""
    return first17 + check_char(first17)


MASK_KEPT = 4  # characters kept at each end of a published USCC


def masked_uscc(uscc: str) -> str:
    """The USCC as a public list shows it: the middle ten characters of the 18 as '*', so the
    list names the enterprise without publishing its full code (api.md, the 公示 list)."""
    if len(uscc) <= 2 * MASK_KEPT:
        return "*" * len(uscc)
    return uscc[:MASK_KEPT] + "*" * (len(uscc) - 2 * MASK_KEPT) + uscc[-MASK_KEPT:]
