"""One read side (design.md, "A side-by-side read of ours"): the reads live in
`services/read`, which imports no Flask, API or web module; the API resources and the web
pages translate only, and build no SELECT of their own."""

import ast
import pathlib

import loanledger

ROOT = pathlib.Path(loanledger.__file__).parent
NOT_IN_READS = (
    "flask",
    "flask_smorest",
    "flask_wtf",
    "marshmallow",
    "werkzeug",
    "loanledger.api",
    "loanledger.web",
)


def imported(path: pathlib.Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_the_read_side_imports_no_flask_api_or_web():
    paths = sorted((ROOT / "services" / "read").glob("*.py"))
    assert paths
    for path in paths:
        for name in imported(path):
            assert not any(name == bad or name.startswith(bad + ".") for bad in NOT_IN_READS), (
                f"{path.name}: {name}"
            )


def test_api_resources_and_pages_select_nothing_themselves():
    """No sqlalchemy but its exceptions (a refused write is caught in web/forms.py)."""
    paths = sorted((ROOT / "api" / "resources").glob("*.py")) + sorted((ROOT / "web").glob("*.py"))
    assert paths
    for path in paths:
        for name in imported(path):
            top, _, rest = name.partition(".")
            assert top != "sqlalchemy" or rest.startswith("exc"), (
                f"{path.relative_to(ROOT)}: {name}"
            )
