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

import colorsys
import hashlib
import html
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Bump when the drawing changes, so browsers holding an old ETag fetch the new design.
DESIGN_VERSION = "2"
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


# ----------------------------------------------------------------------------- colours
def _rgb(colour: str) -> tuple[float, float, float]:
    """The three channels of "#rrggbb", each from 0 to 1."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 to 21."""
    hi, lo = sorted((luminance(one), luminance(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _vary(colour: str, hue_turn: float, saturation: float = 1.0, lightness: float = 1.0) -> str:
    """The colour turned round the hue circle by ``hue_turn`` (a fraction of a turn), its
    saturation and lightness scaled."""
    h, lum, s = colorsys.rgb_to_hls(*_rgb(colour))
    return _hex(
        colorsys.hls_to_rgb(
            (h + hue_turn) % 1.0, min(1.0, lum * lightness), min(1.0, s * saturation)
        )
    )


def _darken_until(colour: str, ink: str, ratio: float) -> str:
    """The colour, darkened in steps (same hue) until ``ink`` reads on it at ``ratio``."""
    for _ in range(40):
        if contrast(colour, ink) >= ratio:
            return colour
        colour = _vary(colour, 0.0, lightness=0.93)
    return colour


def _lighten_until(colour: str, backgrounds: Sequence[str], ratio: float) -> str:
    """The colour, mixed with white in steps until it reads at ``ratio`` on every background."""
    r, g, b = _rgb(colour)
    for step in range(21):
        mix = step / 20
        candidate = _hex(c + (1 - c) * mix for c in (r, g, b))
        if all(contrast(candidate, back) >= ratio for back in backgrounds):
            return candidate
    return "#ffffff"


#: Text must read at WCAG AA (4.5:1) on every colour the background can take under it; a little
#: margin covers the rounding of colours to whole bytes.
TEXT_CONTRAST = 4.6
#: How far a title may turn its genre's colours round the hue circle, either way (degrees).
HUE_RANGE_DEGREES = 30


@dataclass(frozen=True)
class Look:
    """One movie's colours: its genre's palette, varied by a stable hash of title and year.

    The gradient runs from ``top`` (the genre's top colour turned round the hue circle) through
    the genre's own top colour to its bottom colour, so the lower half, where the title is, stays
    the genre's; ``accent`` and ``second`` colour the figure, ``year`` is the accent made light
    enough to read as text.
    """

    top: str
    middle: str
    bottom: str
    middle_at: float
    direction: tuple[int, int, int, int]
    accent: str
    second: str
    ink: str
    year: str


# Gradient directions (x1, y1, x2, y2): down, down-right, down-left, and a steep diagonal.
_DIRECTIONS = ((0, 0, 0, 1), (0, 0, 1, 1), (1, 0, 0, 1), (0, 0, 1, 3))


def _fraction(byte: int) -> float:
    return byte / 255


def look_for(palette: Palette, seed: bytes) -> Look:
    """The movie's colours from its genre's palette and its hash (same seed, same look)."""
    turn = (_fraction(seed[8]) * 2 - 1) * HUE_RANGE_DEGREES / 360
    top = _vary(
        palette.top,
        turn,
        saturation=0.8 + 0.5 * _fraction(seed[9]),
        lightness=0.8 + 0.45 * _fraction(seed[10]),
    )
    stops = [
        _darken_until(c, palette.ink, TEXT_CONTRAST) for c in (top, palette.top, palette.bottom)
    ]
    accent = _vary(palette.accent, turn, saturation=0.85 + 0.3 * _fraction(seed[11]))
    second_turn = (1 if seed[12] % 2 else -1) * (40 + 40 * _fraction(seed[13])) / 360
    second = _vary(accent, second_turn)
    return Look(
        top=stops[0],
        middle=stops[1],
        bottom=stops[2],
        middle_at=round(0.4 + 0.25 * _fraction(seed[14]), 2),
        direction=_DIRECTIONS[seed[15] % len(_DIRECTIONS)],
        accent=accent,
        second=second,
        ink=palette.ink,
        year=_lighten_until(accent, stops, TEXT_CONTRAST),
    )


# ----------------------------------------------------------------------------- figures
def _rings(seed: bytes, look: Look) -> str:
    cx, cy = 20 + seed[1] % 160, 30 + seed[2] % 100
    gap, count = 8 + seed[3] % 12, 3 + seed[4] % 3
    first = 10 + seed[5] % 24
    return "".join(
        f'<circle cx="{cx}" cy="{cy}" r="{first + i * gap}" fill="none" '
        f'stroke="{look.accent if i % 2 == 0 else look.second}" stroke-width="{2 + (seed[6] + i) % 3}" '
        f'stroke-opacity="{0.9 - i * 0.12:.2f}"/>'
        for i in range(count)
    )


def _bands(seed: bytes, look: Look) -> str:
    angle = -40 + seed[1] % 81
    spacing, count = 16 + seed[2] % 18, 3 + seed[3] % 4
    first = 10 + seed[4] % 40
    bands = "".join(
        f'<rect x="-100" y="{first + i * spacing}" width="400" height="{4 + seed[5 + i] % 12}" '
        f'fill="{look.accent if i % 3 else look.second}" fill-opacity="{0.9 - i * 0.12:.2f}"/>'
        for i in range(count)
    )
    return f'<g transform="rotate({angle} 100 90)">{bands}</g>'


def _sun(seed: bytes, look: Look) -> str:
    radius = 18 + seed[1] % 42
    horizon = 95 + seed[2] % 50
    cx = 25 + seed[3] % 150
    cy = horizon - 6 - seed[4] % max(1, radius)
    lines = "".join(
        f'<rect x="{cx - radius + i * 6}" y="{horizon + 8 + i * 7}" width="{2 * radius - i * 12}" '
        f'height="2" fill="{look.second}" fill-opacity="0.7"/>'
        for i in range(1 + seed[5] % 3)
        if 2 * radius - i * 12 > 0
    )
    return (
        f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{look.accent}" fill-opacity="0.9"/>'
        f'<rect x="0" y="{horizon}" width="{WIDTH}" height="3" fill="{look.accent}"/>{lines}'
    )


def _dots(seed: bytes, look: Look) -> str:
    step = 14 + seed[1] % 14
    radius = 1.5 + (seed[2] % 8) / 2
    dx, dy = seed[3] % step, seed[4] % step
    colour = look.accent if seed[5] % 2 else look.second
    cx, cy, big = 30 + seed[6] % 140, 40 + seed[7] % 80, 14 + seed[3] % 26
    return (
        f'<defs><pattern id="dots" x="{dx}" y="{dy}" width="{step}" height="{step}" '
        f'patternUnits="userSpaceOnUse"><circle cx="{step / 2:g}" cy="{step / 2:g}" r="{radius:g}" '
        f'fill="{colour}"/></pattern></defs>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#dots)" fill-opacity="0.75"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{big}" fill="{look.accent if colour == look.second else look.second}"/>'
    )


def _peaks(seed: bytes, look: Look) -> str:
    base = 120 + seed[1] % 50
    shapes = []
    for i in range(2 + seed[2] % 2):
        left = -30 + (seed[3 + i] % 120)
        width = 90 + seed[6 + i] % 90
        height = 50 + seed[9 + i] % 70
        colour = look.accent if i % 2 == 0 else look.second
        shapes.append(
            f'<polygon points="{left},{base} {left + width // 2},{base - height} {left + width},{base}" '
            f'fill="{colour}" fill-opacity="{0.85 - i * 0.2:.2f}"/>'
        )
    moon = 6 + seed[12] % 10
    shapes.append(
        f'<circle cx="{20 + seed[13] % 160}" cy="{18 + seed[14] % 30}" r="{moon}" fill="{look.accent}"/>'
    )
    return "".join(shapes)


def _waves(seed: bytes, look: Look) -> str:
    count, spacing = 3 + seed[1] % 3, 14 + seed[2] % 14
    amplitude, length = 8 + seed[3] % 18, 40 + seed[4] % 50
    first = 30 + seed[5] % 40
    waves = []
    for i in range(count):
        y = first + i * spacing
        waves.append(
            f'<path d="M-20 {y} q{length / 2:g} {-amplitude} {length} 0 t{length} 0 t{length} 0 '
            f't{length} 0 t{length} 0" fill="none" stroke="{look.accent if i % 2 == 0 else look.second}" '
            f'stroke-width="{2 + (seed[6] + i) % 4}" stroke-linecap="round" stroke-opacity="{0.95 - i * 0.12:.2f}"/>'
        )
    return "".join(waves)


def _orbit(seed: bytes, look: Look) -> str:
    cx, cy = 40 + seed[1] % 120, 50 + seed[2] % 70
    radius = 16 + seed[3] % 30
    tilt = -35 + seed[4] % 71
    ring = radius + 14 + seed[5] % 26
    moon_angle = seed[6] / 255 * 6.283
    mx = cx + ring * math.cos(moon_angle)
    my = cy + ring * 0.35 * math.sin(moon_angle)
    return (
        f'<g transform="rotate({tilt} {cx} {cy})">'
        f'<ellipse cx="{cx}" cy="{cy}" rx="{ring}" ry="{ring * 0.35:.1f}" fill="none" '
        f'stroke="{look.second}" stroke-width="2"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{look.accent}"/>'
        f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="{4 + seed[7] % 6}" fill="{look.second}"/></g>'
    )


FIGURES = (_rings, _bands, _sun, _dots, _peaks, _waves, _orbit)


def _motif(seed: bytes, look: Look) -> str:
    """An abstract figure chosen, sized and placed from the title's hash."""
    return FIGURES[seed[0] % len(FIGURES)](seed, look)


def poster_svg(title: str, year: int | None, genres: Sequence[str]) -> bytes:
    """The poster of a movie as SVG bytes; the same facts always give the same bytes.

    The genre picks the palette; a hash of the title and year varies it (hue, gradient,
    figure, its size and place), so movies of one genre look related but not alike. The figure
    is clipped above the panel that holds the title, and every colour the background can take
    under the text keeps WCAG AA contrast with it.
    """
    palette = palette_for(genres)
    shown = display_title(_NOT_XML.sub("", title)) or "Untitled"
    seed = hashlib.sha256(f"{shown}\x1f{year}".encode()).digest()
    look = look_for(palette, seed)
    lines, size = _title_lines(shown)
    line_height = round(size * 1.15)
    first_y = 246 - line_height * (len(lines) - 1)
    panel_top = first_y - size - 14
    title_text = "".join(
        f'<tspan x="16" y="{first_y + i * line_height}">{_xml_text(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    genre_line = " · ".join(primary_genres(genres)[:3])
    year_text = (
        f'<text x="16" y="282" font-family="Georgia, serif" font-size="13" '
        f'fill="{look.year}" font-weight="700">{year}</text>'
        if year
        else ""
    )
    x1, y1, x2, y2 = look.direction
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">'
        f"<title>{_xml_text(shown)}</title>"
        f'<defs><linearGradient id="bg" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}">'
        f'<stop offset="0" stop-color="{look.top}"/>'
        f'<stop offset="{look.middle_at:g}" stop-color="{look.middle}"/>'
        f'<stop offset="1" stop-color="{look.bottom}"/></linearGradient>'
        f'<clipPath id="above-title"><rect width="{WIDTH}" height="{panel_top}"/></clipPath></defs>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>'
        f'<g clip-path="url(#above-title)">{_motif(seed, look)}</g>'
        f'<rect x="0" y="{panel_top}" width="{WIDTH}" height="{HEIGHT - panel_top}" '
        f'fill="{look.bottom}" fill-opacity="0.55"/>'
        f'<text font-family="Georgia, \'Times New Roman\', serif" font-weight="700" '
        f'font-size="{size}" fill="{look.ink}">{title_text}</text>'
        f"{year_text}"
        f'<text x="184" y="282" font-family="Helvetica, Arial, sans-serif" font-size="9" '
        f'fill="{look.ink}" text-anchor="end">{_xml_text(genre_line)}</text>'
        "</svg>"
    )
    return svg.encode("utf-8")


def poster_etag(svg: bytes) -> str:
    """A strong ETag for the bytes (quoted, as HTTP wants), including the design version."""
    digest = hashlib.sha256(DESIGN_VERSION.encode() + svg).hexdigest()[:32]
    return f'"{digest}"'
