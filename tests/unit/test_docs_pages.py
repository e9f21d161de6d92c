"""docs/pages.md (each role's pages and the month's steps): linked from the README, every
screenshot it shows is in docs/img/ and small (≤ 200 KB), and every page path it names is a
page the app serves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "pages.md"
MAX_IMAGE_BYTES = 200 * 1024
WEB = ROOT / "loanledger" / "web"


def _routes() -> set[str]:
    """Every page route of loanledger/web, its <parameters> written as <…>."""
    found = set()
    for path in WEB.glob("*.py"):
        for route in re.findall(r'@web\.(?:get|post)\("([^"]+)"', path.read_text("utf-8")):
            found.add(re.sub(r"<[^>]+>", "<…>", route))
    return found


def test_the_readme_links_the_pages_by_role():
    assert "(docs/pages.md)" in (ROOT / "README.md").read_text("utf-8")


def test_its_screenshots_are_there_and_small():
    images = re.findall(r"!\[[^\]]+\]\((img/[^)]+\.png)\)", PAGES.read_text("utf-8"))
    assert 3 <= len(images) <= 5, images
    for image in images:
        size = (PAGES.parent / image).stat().st_size
        assert size <= MAX_IMAGE_BYTES, (image, size)


def test_the_pages_it_names_are_served():
    routes = _routes()
    named = re.findall(r"`(/[a-z][^`\s]*)`", PAGES.read_text("utf-8"))
    assert len(named) > 20, named
    for path in named:
        shape = re.sub(r"<[^>]+>", "<…>", path)
        assert shape in routes or shape.rstrip("/") in routes, path
