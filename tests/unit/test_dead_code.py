"""No dead code: vulture, over loanledger/, bench/ and scripts/, finds nothing at 60% confidence.

A name that a framework uses by convention (a MethodView, a view function, a schema field, a
mapped column, a click command…) is listed in scripts/vulture_whitelist.py, grouped by why;
anything else it reports is dead and is deleted. Vulture matches names, not objects: a dead
definition whose name is used elsewhere goes unseen, and it skips variables named `_x`.
"""

from __future__ import annotations

from pathlib import Path

import vulture
from vulture.utils import ExitCode

import loanledger

ROOT = Path(loanledger.__file__).resolve().parents[1]
SCANNED = ("loanledger", "bench", "scripts")  # scripts/ holds the whitelist
MIN_CONFIDENCE = 60


def _scan(paths: list[Path]) -> vulture.Vulture:
    scan = vulture.Vulture()
    scan.scavenge([str(path) for path in paths])
    return scan


def _report(item) -> str:
    where = Path(item.filename).resolve().relative_to(ROOT)
    return f"{where}:{item.first_lineno}: {item.message} ({item.confidence}% confidence)"


def test_vulture_finds_no_dead_code(capsys):
    assert (ROOT / "scripts" / "vulture_whitelist.py").is_file()
    scan = _scan([ROOT / name for name in SCANNED])
    unread = capsys.readouterr().err
    assert scan.exit_code != ExitCode.InvalidInput, f"vulture could not parse a file:\n{unread}"
    found = [_report(item) for item in scan.get_unused_code(min_confidence=MIN_CONFIDENCE)]
    assert not found, (
        "unused code: delete it, or, when a framework uses it by name, add it to its group in "
        "scripts/vulture_whitelist.py\n" + "\n".join(found)
    )


def test_the_scan_reports_an_unused_function(tmp_path):
    (tmp_path / "module.py").write_text(
        "def used():\n    pass\n\n\ndef unused():\n    pass\n\n\nused()\n"
    )
    found = _scan([tmp_path]).get_unused_code(min_confidence=MIN_CONFIDENCE)
    assert [(item.name, item.typ, item.first_lineno) for item in found] == [
        ("unused", "function", 5)
    ]
