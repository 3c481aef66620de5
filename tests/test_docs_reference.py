"""The reference pages (README.md and docs/, except docs/history.md) read as the present state,
not as a diary of the work: the story of rounds and sessions belongs in docs/history.md, so a
reader who wants today's numbers does not have to read the history to find them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "docs" / "history.md"
REFERENCE_PAGES = [
    ROOT / "README.md",
    *(page for page in sorted((ROOT / "docs").glob("*.md")) if page != HISTORY),
]
# Phrases that date a sentence to a step of the work rather than state what is. Case matters:
# "round 3 of 20" is the site's training banner, not a diary.
DIARY = re.compile(
    r"\bRound [0-9]|\bround-[0-9]|\bround [0-9]'s|\bthis round\b|\bthis session\b"
    r"|\bfor the record\b|\blast stop\b|\bnew this\b|\bis now\b|\bare now\b",
)


def diary_phrases(text: str) -> list[str]:
    """Every diary phrase in `text`, with its line, so a failure says where to look."""
    return [
        f"line {number}: {match.group(0)!r}"
        for number, line in enumerate(text.splitlines(), 1)
        for match in DIARY.finditer(line)
    ]


def test_the_check_finds_a_diary_phrase_and_spares_present_tense_text():
    assert diary_phrases("Round 2 (2026-12-01): the readout is now served") == [
        "line 1: 'Round 2'",
        "line 1: 'is now'",
    ]
    assert diary_phrases("x\nThe model is now level, for the record.") == [
        "line 2: 'is now'",
        "line 2: 'for the record'",
    ]
    assert diary_phrases("42% done (round 3 of 20); half stars round half up") == []


@pytest.mark.parametrize("page", REFERENCE_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_reference_pages_state_the_present(page: Path):
    found = diary_phrases(page.read_text())
    assert not found, f"{page.name}: move these to docs/history.md or restate them: {found}"


def test_the_history_page_exists_and_is_linked_from_the_index():
    assert HISTORY.exists()
    assert "(history.md)" in (ROOT / "docs" / "README.md").read_text()
