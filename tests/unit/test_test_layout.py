"""The test tree's own rule: shared helpers live in tests/support, shared fixtures in a
conftest.py. No module under tests/ imports a test module or a conftest: pytest imports those
itself (the ones of tests/unit and tests/integration under their bare names, so an import by
package name loads a second copy), and a fixture imported from one hides where it comes from.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
SUPPORT = "tests.support"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def stems_of_test_modules() -> set[str]:
    """The names a test module or a conftest can be imported by when its directory is on sys.path."""
    return {
        p.stem
        for p in TESTS.rglob("*.py")
        if p.stem != "__init__" and not p.is_relative_to(TESTS / "support")
    }


def _forbidden(target: str, bare: set[str]) -> bool:
    if target == "tests" or target.startswith("tests."):
        return not (target == SUPPORT or target.startswith(SUPPORT + "."))
    return target.split(".")[0] in bare


def forbidden_imports(source: str, module: str, bare: set[str]) -> list[tuple[int, str]]:
    """(line, imported module) for every import, at any depth, of something under tests/ other
    than tests.support.*, including `pytest_plugins` entries and relative imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            # `from tests import conftest`, `from . import conftest`: the names are modules
            whole = base == "tests" or (node.level and not node.module)
            targets = [f"{base}.{alias.name}" if whole else base for alias in node.names]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            values = (
                node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            )
            targets = [
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
        found += [
            (node.lineno, target) for target in dict.fromkeys(targets) if _forbidden(target, bare)
        ]
    return found


def test_no_module_under_tests_imports_a_test_module_or_a_conftest():
    bare = stems_of_test_modules()
    paths = sorted(TESTS.rglob("*.py"))
    assert (
        len(paths) > 50
        and TESTS / "conftest.py" in paths
        and TESTS / "support" / "scenarios.py" in paths
    )
    problems = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in paths
        for line, target in forbidden_imports(
            path.read_text(encoding="utf-8"), module_name(path), bare
        )
    ]
    assert not problems, (
        "only tests.support.* may be imported: move a shared helper to tests/support/, "
        "a shared fixture to a conftest.py\n" + "\n".join(problems)
    )


def test_the_check_sees_each_way_of_importing():
    bare = {"test_intake", "conftest"}
    t = "tests"  # spelt so: a grep for such imports should find only real ones
    module = f"{t}.integration.test_bulk"
    refused = {
        f"from {t}.integration.test_intake import world": f"{t}.integration.test_intake",
        f"import {t}.conftest": f"{t}.conftest",
        f"from {t}.conftest import Staff": f"{t}.conftest",
        f"from {t}.browser.conftest import login": f"{t}.browser.conftest",
        f"from {t} import conftest": f"{t}.conftest",
        "import test_intake": "test_intake",
        "from conftest import IN_CI": "conftest",
        f"def bank_for():\n    from {t}.conftest import BankFactory": f"{t}.conftest",
        f"pytest_plugins = ['{t}.integration.test_intake']": f"{t}.integration.test_intake",
        "from .test_intake import world": f"{t}.integration.test_intake",
        "from . import conftest": f"{t}.integration.conftest",
    }
    for source, target in refused.items():
        assert [found for _, found in forbidden_imports(source, module, bare)] == [target], source
    allowed = [
        "from tests.support.world import loan_body",
        "from tests.support import world",
        "import tests.support.api",
        "from loanledger.client import sign",
        "import pytest",
        "pytest_plugins = ['tests.support.world']",
    ]
    for source in allowed:
        assert forbidden_imports(source, module, bare) == [], source
