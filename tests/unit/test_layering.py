"""Imports point down (design.md, "Entry points translate; use cases never see the web").

Every module of loanledger is parsed with `ast`; each import — at the top, inside a function,
absolute or relative (resolved against the module's package) — is held against its layer's
rule. The domain and wire say what they may import; the other layers say what they may not.
"""

from __future__ import annotations

import ast
import pathlib
from dataclasses import dataclass

import pytest

import loanledger

ROOT = pathlib.Path(loanledger.__file__).parent
ADAPTERS = ("loanledger.api", "loanledger.web")


@dataclass(frozen=True)
class Rule:
    layer: str  # a module and everything under it
    only: tuple[str, ...] | None = None  # of loanledger, only these (None: anything but `never`)
    never: tuple[str, ...] = ()

    def broken_by(self, name: str) -> str | None:
        """Why importing `name` breaks the rule, or None."""
        if not _within(name, ("loanledger",)):
            return None
        if self.only is not None and not _within(name, self.only):
            return f"{self.layer} imports only {', '.join(self.only)} of loanledger"
        for forbidden in self.never:
            if _within(name, (forbidden,)):
                return f"{self.layer} imports no {forbidden}"
        return None


RULES = (
    Rule("loanledger.domain", only=("loanledger.domain",)),
    Rule("loanledger.wire", only=("loanledger.wire", "loanledger.domain")),
    Rule("loanledger.services", never=ADAPTERS),
    Rule("loanledger.web", never=("loanledger.api",)),
    Rule("loanledger.persistence", never=("loanledger.services", *ADAPTERS)),
    # beside app.py, shared by both adapters
    Rule("loanledger.request_context", never=ADAPTERS),
    Rule("loanledger.problems", never=ADAPTERS),
    Rule("loanledger.ratelimit", never=ADAPTERS),
)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imports_of(
    source: str, module: str, is_package: bool = False
) -> list[tuple[int, str, list[str]]]:
    """(line, statement as written, absolute names it imports) for every import in `source`.

    `from a.b import c` is taken as importing `a.b.c` (c may be a module), so that
    `from loanledger import api` is seen as importing loanledger.api."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            names = [
                origin if alias.name == "*" else f"{origin}.{alias.name}" for alias in node.names
            ]
        else:
            continue
        statement = " ".join((ast.get_source_segment(source, node) or "").split())
        found.append((node.lineno, statement, names))
    return sorted(found)


def violations(source: str, module: str, path: str, is_package: bool = False) -> list[str]:
    """`path:line: statement — why`, for every import of `module` its layer's rule forbids."""
    out = []
    for rule in RULES:
        if not _within(module, (rule.layer,)):
            continue
        for line, statement, names in imports_of(source, module, is_package):
            reasons = [reason for reason in map(rule.broken_by, names) if reason]
            if reasons:
                out.append(f"{path}:{line}: {statement} — {reasons[0]}")
    return out


def modules() -> list[tuple[str, pathlib.Path, bool]]:
    """(dotted name, file, is a package) of every module of loanledger."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found.append((".".join(parts[:-1] if is_package else parts), path, is_package))
    return found


@pytest.mark.parametrize("rule", RULES, ids=[rule.layer for rule in RULES])
def test_imports_point_down(rule):
    mine = [
        (name, path, is_package)
        for name, path, is_package in modules()
        if _within(name, (rule.layer,))
    ]
    assert mine, f"no module is in {rule.layer}: the rule guards nothing"
    broken = []
    for name, path, is_package in mine:
        source = path.read_text(encoding="utf-8")
        broken += violations(source, name, str(path.relative_to(ROOT.parent)), is_package)
    assert not broken, "imports against the layering:\n" + "\n".join(broken)


def test_the_checker_catches_an_upward_import():
    source = "import json\n\nfrom loanledger.api.schemas import LoanIn\n"
    assert violations(source, "loanledger.services.bulk", "loanledger/services/bulk.py") == [
        "loanledger/services/bulk.py:3: from loanledger.api.schemas import LoanIn — "
        "loanledger.services imports no loanledger.api"
    ]


def test_the_checker_resolves_relative_imports_and_finds_them_inside_functions():
    source = (
        "from .money import format_fen\n"
        "def f():\n"
        "    from ..services import clock\n"
        "    from .. import web\n"
    )
    assert violations(source, "loanledger.domain.policy", "loanledger/domain/policy.py") == [
        "loanledger/domain/policy.py:3: from ..services import clock — "
        "loanledger.domain imports only loanledger.domain of loanledger",
        "loanledger/domain/policy.py:4: from .. import web — loanledger.domain imports only loanledger.domain of loanledger",
    ]
    package = "from . import schemas\nfrom .. import api\n"
    assert violations(
        package, "loanledger.wire", "loanledger/wire/__init__.py", is_package=True
    ) == [
        "loanledger/wire/__init__.py:2: from .. import api — "
        "loanledger.wire imports only loanledger.wire, loanledger.domain of loanledger"
    ]


def test_the_checker_reads_every_module():
    names = {name for name, _path, _is_package in modules()}
    assert {
        "loanledger",
        "loanledger.domain",
        "loanledger.domain.money",
        "loanledger.wire.schemas",
        "loanledger.services.imports",
        "loanledger.web.errors",
    } <= names
