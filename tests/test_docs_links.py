"""Every relative link in the README and docs/ reaches a file, and every #anchor a heading of it,
so a reader following the docs never lands on nothing.

The checker is a plain function over Markdown text (`broken_links`), so the test can feed it a
small page with a known broken link and anchor and see it complain: a link checker that cannot
fail would pass a docs tree full of dead links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# Inline links and images: [text](target) or [text](target "title"); the target has no spaces.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# Reference definitions: [label]: target
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.I)
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")


def prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks: a `# comment` in a bash block is not a
    heading, and a `[x](y)` in a code sample is not a link."""
    lines, fence = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif match.group(1) == fence:
                fence = None
            continue
        if fence is None:
            lines.append(line)
    return lines


def anchor_of(heading: str) -> str:
    """GitHub's anchor for a heading: inline links reduced to their text, lower case, every
    character that is not a letter, digit, underscore, hyphen or space dropped, spaces to
    hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    """Every anchor a page offers: its headings' slugs (a repeated slug gets -1, -2, … as on
    GitHub) and explicit `<a id=…>` / `<a name=…>` anchors."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(text):
        match = HEADING.match(line)
        if match:
            slug = anchor_of(match.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
        anchors.update(HTML_ANCHOR.findall(line))
    return anchors


def links_of(text: str) -> list[str]:
    """The link targets of a page's prose (inline links, images and reference definitions),
    outside code blocks and inline code."""
    targets = []
    for line in prose_lines(text):
        line = INLINE_CODE.sub("", line)
        targets += LINK.findall(line)
        targets += REFERENCE.findall(line)
    return targets


def broken_links(page: Path, text: str, read: Callable[[Path], str | None]) -> list[str]:
    """What in `text` (the Markdown of `page`) points nowhere: a relative link to a file that
    does not exist, or an `#anchor` that no heading of its target page has. External links
    (http:, https:, mailto:) are not checked. `read(path)` gives a file's text, or None when
    it does not exist (for a directory, an empty string)."""
    broken = []
    for target in links_of(text):
        if re.match(r"[a-zA-Z][a-zA-Z+.-]*:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path) if path else page
        linked_text = text if not path else read(linked)
        if linked_text is None:
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors_of(linked_text):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def read_from_disk(path: Path) -> str | None:
    if path.is_dir():
        return ""
    if not path.exists():
        return None
    return path.read_text() if path.suffix == ".md" else ""


def test_the_anchor_rule_matches_githubs():
    assert anchor_of("2.3 Serving latency") == "23-serving-latency"
    assert anchor_of("How a visitor's signals combine") == "how-a-visitors-signals-combine"
    assert anchor_of("`snn_models` training speed") == "snn_models-training-speed"
    assert anchor_of("Seed 001: Lee, Delbruck & Pfeiffer (2016)") == (
        "seed-001-lee-delbruck--pfeiffer-2016"
    )
    assert anchor_of("See [the page](other.md)") == "see-the-page"


def test_repeated_headings_get_numbered_anchors_and_code_comments_are_not_headings():
    text = "# Top\n## Setup\n## Setup\n```bash\n# not a heading\n```\n"
    assert anchors_of(text) == {"top", "setup", "setup-1"}


def test_the_checker_reports_a_missing_file_and_a_missing_anchor():
    """The checker must be able to fail: a page with one good and three bad links."""
    pages = {
        Path("/d/index.md"): "# Index\n## Good part\n",
        Path("/d/other.md"): "# Other\n## Numbers\n",
    }
    page = Path("/d/index.md")
    text = (
        "# Index\n## Good part\n"
        "[fine](other.md#numbers) [here](#good-part) [web](https://example.com/x#nothing)\n"
        "[gone](missing.md) [bad anchor](other.md#2-4-does-not-exist) [bad here](#nowhere)\n"
        "```\n[in code](also-missing.md)\n```\n"
        "and `[inline code](missing-too.md)`\n"
    )
    broken = broken_links(page, text, pages.get)
    assert broken == [
        "missing.md: no such file",
        "other.md#2-4-does-not-exist: no heading with that anchor",
        "#nowhere: no heading with that anchor",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    broken = broken_links(page, page.read_text(), read_from_disk)
    assert not broken, broken
