"""Hostile posters: whatever bytes arrive, the poster check answers "refused" or a clean JPEG.

The fuzz is seeded, so a failure reproduces: mutated JPEG, PNG and WebP files (headers, EXIF
blocks with wrong types, chunk lengths, truncation) go through ``clean_poster`` and the only
outcomes allowed are a re-encoded poster or a ``ValidationError``. CI runs a few hundred cases;
``SPIKELENS_POSTER_FUZZ_CASES=20000`` (and ``SPIKELENS_POSTER_FUZZ_SEED``) run more.
"""

from __future__ import annotations

import io
import os
import random
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from webapp.catalog.posters import CleanPoster, clean_poster

FUZZ_CASES = int(os.environ.get("SPIKELENS_POSTER_FUZZ_CASES", "300"))
FUZZ_SEED = int(os.environ.get("SPIKELENS_POSTER_FUZZ_SEED", "20261201"))

# EXIF field types (TIFF 6.0): 1 BYTE, 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 7 UNDEFINED,
# 9 SLONG, 10 SRATIONAL; 0 and 13+ are invalid on purpose.
EXIF_TYPES = (0, 1, 2, 3, 4, 5, 7, 9, 10, 12, 13, 255)
# Orientation, Make, Model, DateTime, ExifIFD pointer, GPS IFD pointer, XResolution.
EXIF_TAGS = (0x0112, 0x010F, 0x0110, 0x0132, 0x8769, 0x8825, 0x011A)


def exif_block(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian EXIF block from (tag, type, count, 4-byte value) entries, plus spare data."""
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHI", tag, kind, count) + value[:4].ljust(4, b"\0")
    body += struct.pack("<I", 0)
    spare = struct.pack("<IIII", 1, 3, 0xFFFFFFFF, 0) + b"SpikeLens\0"
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + body + spare


def orientation_6_with_a_rational_make() -> bytes:
    """The case that crashed ``ImageOps.exif_transpose`` with AttributeError (issue 15)."""
    data_offset = 8 + 2 + 2 * 12 + 4
    entries = [
        (0x010F, 5, 1, struct.pack("<I", data_offset)),  # Make: a rational where text belongs
        (0x0112, 3, 1, struct.pack("<HH", 6, 0)),  # Orientation: rotate 90°
    ]
    image = Image.new("RGB", (40, 60), (200, 10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif_block(entries))
    return buffer.getvalue()


def upload(data: bytes, name: str = "poster.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def assert_refused_or_clean(data: bytes) -> str:
    """Run the poster check; anything but a poster or a ValidationError fails the test."""
    try:
        poster = clean_poster(upload(data))
    except ValidationError as refusal:
        assert refusal.messages and all(refusal.messages)
        return "refused"
    assert isinstance(poster, CleanPoster)
    stored = Image.open(io.BytesIO(poster.content.read()))
    assert stored.format == "JPEG" and stored.getexif() == {}
    return "accepted"


def test_mistyped_exif_make_with_orientation_is_refused_not_a_crash():
    with pytest.raises(ValidationError) as refusal:
        clean_poster(upload(orientation_6_with_a_rational_make()))
    assert "not a JPEG, PNG or WebP image we can read" in refusal.value.messages[0]


def seed_images(rng: random.Random) -> list[tuple[str, bytes]]:
    """Small valid images of every accepted format, some with EXIF blocks of random types."""
    seeds = []
    for kind in ("JPEG", "PNG", "WEBP"):
        for with_exif in (False, True):
            size = (rng.randint(1, 48), rng.randint(1, 48))
            mode = rng.choice(["RGB", "RGBA", "L", "P"]) if kind != "JPEG" else "RGB"
            image = Image.new(mode, size, color=rng.randint(0, 255) if mode in "LP" else (1, 2, 3))
            options = {}
            if with_exif:
                entries = [
                    (
                        rng.choice(EXIF_TAGS),
                        rng.choice(EXIF_TYPES),
                        rng.choice([0, 1, 2, 7, 0xFFFF, 0x7FFFFFFF]),
                        rng.randbytes(4),
                    )
                    for _ in range(rng.randint(1, 6))
                ]
                # A rotation makes Pillow's exif_transpose read (and rewrite) every tag.
                entries.append((0x0112, 3, 1, struct.pack("<HH", rng.choice([3, 6, 8]), 0)))
                options["exif"] = exif_block(entries)
            buffer = io.BytesIO()
            image.save(buffer, kind, **options)
            seeds.append((kind, buffer.getvalue()))
    seeds.append(("JPEG", orientation_6_with_a_rational_make()))
    return seeds


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage: flipped header or EXIF bytes, insertions, deletions, truncation."""
    data = bytearray(data)
    how = rng.choice(["flip-head", "flip-any", "exif", "insert", "delete", "truncate", "length"])
    if how == "flip-head":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 64))] = rng.randrange(256)
    elif how == "flip-any":
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif how == "exif":
        start = data.find(b"Exif\x00\x00")
        start = start if start >= 0 else rng.randrange(len(data))
        for _ in range(rng.randint(1, 12)):
            data[min(len(data) - 1, start + rng.randrange(64))] = rng.randrange(256)
    elif how == "insert":
        at = rng.randrange(len(data))
        data[at:at] = rng.randbytes(rng.randint(1, 32))
    elif how == "delete":
        at = rng.randrange(len(data))
        del data[at : at + rng.randint(1, 32)]
    elif how == "truncate":
        data = data[: rng.randrange(1, len(data))]
    else:  # "length": a 16- or 32-bit field somewhere in the headers set to an extreme
        at = rng.randrange(min(len(data) - 4, 128))
        data[at : at + 4] = rng.choice(
            [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff"]
        )
    return bytes(data) or b"\0"


def test_seeded_fuzz_of_mutated_images_never_raises_anything_but_a_refusal():
    rng = random.Random(FUZZ_SEED)
    seeds = seed_images(rng)
    outcomes = {"refused": 0, "accepted": 0}
    for case in range(FUZZ_CASES):
        kind, original = seeds[case % len(seeds)]
        damaged = mutate(original, rng)
        try:
            outcomes[assert_refused_or_clean(damaged)] += 1
        except AssertionError:
            raise
        except Exception as exc:  # the bug this test exists for: report how to reproduce it
            pytest.fail(
                f"case {case} ({kind}, seed {FUZZ_SEED}) raised {type(exc).__name__}: {exc}; "
                f"first bytes {damaged[:48]!r}"
            )
    # Both outcomes happen, so the fuzz is neither all noise nor all harmless.
    assert outcomes["refused"] > 0 and outcomes["accepted"] > 0, outcomes
