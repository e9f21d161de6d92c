"""The domain imports nothing but the standard library and itself (design.md)."""

import ast
import pathlib
import sys

import loanledger.domain as domain

FORBIDDEN = {"flask", "flask_smorest", "sqlalchemy", "apscheduler", "marshmallow"}


def test_domain_imports_only_the_standard_library():
    root = pathlib.Path(domain.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [] if node.level else [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                assert top in sys.stdlib_module_names, (
                    f"{path.name} imports {name}, not the standard library"
                )


def test_no_floats_in_domain_source():
    root = pathlib.Path(domain.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), path.name
            assert not (
                isinstance(node, ast.Name) and node.id == "float" and path.name != "money.py"
            ), path.name
