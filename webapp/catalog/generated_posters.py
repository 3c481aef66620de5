"""A poster drawn from a movie's facts, for every movie nobody uploaded a poster for.

Why an SVG made of text and shapes: it is a few hundred bytes, sharp at the card size and at the
movie-page size alike (one vector image serves both), deterministic (same title, year and genres
give the same bytes, so it caches by ETag), and needs no fonts or image library at request time.

Titles are user input. Every piece of text goes through ``_xml_text``, which drops characters
XML cannot carry and escapes markup, so a title such as ``</text><script>…`` is drawn as letters.
The image uses presentation attributes only (no ``style`` attribute, no ``<style>``), so the
site's Content-Security-Policy (``style-src 'self'``) has nothing to block, and browsers never
run scripts in an SVG shown through ``<img>``.
"""

from __future__ import annotations

import hashlib
import html
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# Bump when the drawing changes, so browsers holding an old ETag fetch the new design.
DESIGN_VERSION = "1"
WIDTH, HEIGHT = 200, 300


@dataclass(frozen=True)
class Palette:
    """Background gradient (top → bottom), the motif's colour and the text colour."""

    top: str
    bottom: str
    accent: str
    ink: str = "#ffffff"


# One palette per MovieLens genre; every background is dark enough for white type (≥ 4.5:1).
GENRE_PALETTES: dict[str, Palette] = {
    "Action": Palette("#7a1f1f", "#2b0b0b", "#ff7b3a"),
    "Adventure": Palette("#1f5a3a", "#0c2418", "#f2c14e"),
    "Animation": Palette("#5b2a86", "#1d0c33", "#ffd166"),
    "Children's": Palette("#1e5f8a", "#0b2740", "#ffe066"),
    "Comedy": Palette("#8a4b00", "#3a1f00", "#ffd23f"),
    "Crime": Palette("#2d2d2d", "#0d0d0d", "#d7263d"),
    "Documentary": Palette("#3d4f5c", "#151d23", "#9ad1d4"),
    "Drama": Palette("#3b2f63", "#140f26", "#e0a8ff"),
    "Fantasy": Palette("#4a1e6b", "#170826", "#7ef0c8"),
    "Film-Noir": Palette("#262626", "#000000", "#e6e6e6"),
    "Horror": Palette("#4a0d0d", "#0a0000", "#ff4d5a"),
    "Musical": Palette("#7a1457", "#2b061e", "#ffb3de"),
    "Mystery": Palette("#213a4d", "#08131c", "#7fb7d9"),
    "Romance": Palette("#8c1c3c", "#330a17", "#ff9fb5"),
    "Sci-Fi": Palette("#0f3b57", "#03121c", "#3ee0ff"),
    "Thriller": Palette("#1c3334", "#050c0c", "#e9c46a"),
    "War": Palette("#434a2a", "#161a0b", "#c9b458"),
    "Western": Palette("#7a3e12", "#2b1204", "#f4a259"),
}
DEFAULT_PALETTE = Palette("#1d3557", "#0b1626", "#a8dadc")
# Which genre colours a movie with several: the more distinctive first, the broad ones last.
GENRE_PRIORITY = (
    "Film-Noir",
    "Animation",
    "Documentary",
    "Horror",
    "Western",
    "Musical",
    "Sci-Fi",
    "War",
    "Fantasy",
    "Children's",
    "Mystery",
    "Crime",
    "Romance",
    "Thriller",
    "Comedy",
    "Adventure",
    "Action",
    "Drama",
)

# Characters XML 1.0 cannot hold at all (NUL, most controls, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# MovieLens lists "Godfather, The"; a poster reads "The Godfather".
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>The|A|An|Les|La|Le|L'|Il|Das|Der|Die)$")


def _xml_text(value: str) -> str:
    """Text safe inside an SVG element or attribute: XML-illegal characters dropped, escaped."""
    return html.escape(_NOT_XML.sub("", value), quote=True)


def display_title(title: str) -> str:
    """The title as a poster would print it: a trailing article moved to the front."""
    match = _TRAILING_ARTICLE.match(title.strip())
    if not match:
        return title.strip()
    article = match["article"]
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{match['rest']}"


def primary_genres(genres: Sequence[str]) -> list[str]:
    """The movie's genres, most distinctive first (the first one picks the palette)."""
    rank = {name: i for i, name in enumerate(GENRE_PRIORITY)}
    return sorted(set(genres), key=lambda name: (rank.get(name, len(rank)), name))


def palette_for(genres: Sequence[str]) -> Palette:
    """The palette of the most distinctive genre, or the site's own colours without one."""
    for name in primary_genres(genres):
        if name in GENRE_PALETTES:
            return GENRE_PALETTES[name]
    return DEFAULT_PALETTE


def _title_lines(title: str) -> tuple[list[str], int]:
    """Title wrapped to the poster's width, and a font size that lets it fit in five lines."""
    for size, width in ((26, 12), (21, 15), (17, 19), (14, 23)):
        lines = textwrap.wrap(title, width=width, break_long_words=True) or [""]
        if len(lines) <= 5:
            return lines, size
    lines = textwrap.wrap(title, width=23, break_long_words=True)[:5]
    lines[-1] = lines[-1][:22].rstrip() + "…"
    return lines, 14


def _motif(seed: bytes, accent: str) -> str:
    """A simple abstract figure chosen and placed from the title's hash: circles, bands or a sun."""
    kind = seed[0] % 3
    cx, cy = 40 + seed[1] % 120, 40 + seed[2] % 80
    if kind == 0:
        rings = "".join(
            f'<circle cx="{cx}" cy="{cy}" r="{18 + i * (10 + seed[3] % 8)}" fill="none" '
            f'stroke="{accent}" stroke-width="{2 + i % 2}" stroke-opacity="{0.8 - i * 0.15:.2f}"/>'
            for i in range(4)
        )
        return rings
    if kind == 1:
        angle = -35 + seed[3] % 70
        bands = "".join(
            f'<rect x="-60" y="{20 + i * (22 + seed[4] % 10)}" width="320" height="{6 + seed[5 + i] % 10}" '
            f'fill="{accent}" fill-opacity="{0.85 - i * 0.18:.2f}"/>'
            for i in range(4)
        )
        return f'<g transform="rotate({angle} 100 90)">{bands}</g>'
    radius = 28 + seed[3] % 24
    horizon = 120 + seed[4] % 30
    return (
        f'<circle cx="{cx}" cy="{min(cy, horizon - 10)}" r="{radius}" fill="{accent}" '
        f'fill-opacity="0.9"/><rect x="0" y="{horizon}" width="{WIDTH}" height="4" fill="{accent}"/>'
    )


def poster_svg(title: str, year: int | None, genres: Sequence[str]) -> bytes:
    """The poster of a movie as SVG bytes; the same facts always give the same bytes."""
    palette = palette_for(genres)
    shown = display_title(_NOT_XML.sub("", title)) or "Untitled"
    seed = hashlib.sha256(f"{shown}\x1f{year}".encode()).digest()
    lines, size = _title_lines(shown)
    line_height = round(size * 1.15)
    first_y = 246 - line_height * (len(lines) - 1)
    title_text = "".join(
        f'<tspan x="16" y="{first_y + i * line_height}">{_xml_text(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    genre_line = " · ".join(primary_genres(genres)[:3])
    year_text = (
        f'<text x="16" y="282" font-family="Georgia, serif" font-size="13" '
        f'fill="{palette.accent}" font-weight="700">{year}</text>'
        if year
        else ""
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">'
        f"<title>{_xml_text(shown)}</title>"
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{palette.top}"/><stop offset="1" stop-color="{palette.bottom}"/>'
        "</linearGradient></defs>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>'
        f"{_motif(seed, palette.accent)}"
        f'<rect x="0" y="{first_y - size - 14}" width="{WIDTH}" height="{HEIGHT}" '
        f'fill="{palette.bottom}" fill-opacity="0.55"/>'
        f'<text font-family="Georgia, \'Times New Roman\', serif" font-weight="700" '
        f'font-size="{size}" fill="{palette.ink}">{title_text}</text>'
        f"{year_text}"
        f'<text x="184" y="282" font-family="Helvetica, Arial, sans-serif" font-size="9" '
        f'fill="{palette.ink}" fill-opacity="0.85" text-anchor="end">{_xml_text(genre_line)}</text>'
        "</svg>"
    )
    return svg.encode("utf-8")


def poster_etag(svg: bytes) -> str:
    """A strong ETag for the bytes (quoted, as HTTP wants), including the design version."""
    digest = hashlib.sha256(DESIGN_VERSION.encode() + svg).hexdigest()[:32]
    return f'"{digest}"'
