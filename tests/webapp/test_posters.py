"""Poster validation: only real JPEG/PNG/WebP within the caps get through, re-encoded and resized."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.webapp.catalog_data import image_bytes
from webapp.catalog.posters import MAX_POSTER_BYTES, STORED_MAX_SIZE, clean_poster


def upload(data: bytes, name: str = "poster.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_image(cleaned) -> Image.Image:
    return Image.open(io.BytesIO(cleaned.content.read()))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height but whose pixel data is cut short."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize(
    "fmt, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_real_images_in_allowed_formats_are_re_encoded_as_jpeg(fmt, content_type):
    cleaned = clean_poster(upload(image_bytes(fmt), f"p.{fmt.lower()}", content_type))
    image = stored_image(cleaned)
    assert image.format == "JPEG"
    assert image.size == (120, 180)
    assert cleaned.content.name.endswith(".jpg") and "p." not in cleaned.content.name


def test_large_poster_is_resized_to_fit_and_keeps_its_shape():
    cleaned = clean_poster(upload(image_bytes("PNG", size=(1600, 2400))))
    width, height = stored_image(cleaned).size
    assert width <= STORED_MAX_SIZE[0] and height <= STORED_MAX_SIZE[1]
    assert (width, height) == (600, 900)


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8298] = "Someone's name"  # Copyright
    cleaned = clean_poster(upload(image_bytes("JPEG", exif=exif.tobytes()), "p.jpg", "image/jpeg"))
    image = stored_image(cleaned)
    assert not image.getexif()
    assert b"SecretCamera" not in cleaned.content.read()


def test_transparent_png_is_flattened_onto_white():
    cleaned = clean_poster(upload(image_bytes("PNG", transparent=True)))
    image = stored_image(cleaned)
    assert image.mode == "RGB"
    r, g, b = image.getpixel((10, 10))
    assert min(r, g, b) > 240


def test_text_file_named_png_is_refused():
    with pytest.raises(ValidationError, match="not a JPEG, PNG or WebP image"):
        clean_poster(upload(b"just some words, not a picture\n" * 20, "poster.png"))


def test_truncated_jpeg_is_refused():
    whole = image_bytes("JPEG", size=(400, 600), quality=95)
    with pytest.raises(ValidationError, match="not a JPEG, PNG or WebP image"):
        clean_poster(upload(whole[: len(whole) // 2], "cut.jpg", "image/jpeg"))


def test_svg_is_refused_even_when_it_claims_to_be_png():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError, match="not a JPEG, PNG or WebP image"):
        clean_poster(upload(svg, "poster.png", "image/png"))


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_real_image_formats_are_refused_by_name(fmt):
    with pytest.raises(ValidationError, match=f"JPEG, PNG or WebP images; this file is {fmt}"):
        clean_poster(upload(image_bytes(fmt), f"p.{fmt.lower()}"))


def test_fifty_megapixel_png_bomb_is_refused():
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 200_000  # small on the wire, 50 MP once decoded
    started = time.perf_counter()
    with pytest.raises(ValidationError, match=r"too many pixels \(10000 × 5000\)"):
        clean_poster(upload(bomb.getvalue()))
    # Not a timing claim about speed, just proof it never decoded 50 MP (seconds) on the way.
    assert time.perf_counter() - started < 5


def test_pixel_cap_is_read_from_the_header_without_decoding_pixels():
    """The pixel data is broken; a refusal for size proves the header alone decided."""
    with pytest.raises(ValidationError) as refused:
        clean_poster(upload(png_header_only(8_000, 6_000)))
    assert refused.value.code == "poster_too_many_pixels"


def test_image_just_under_the_pixel_cap_with_broken_data_is_refused_as_unreadable():
    with pytest.raises(ValidationError) as refused:
        clean_poster(upload(png_header_only(400, 600)))
    assert refused.value.code == "poster_not_an_image"


def test_huge_pixel_counts_past_pillows_own_limit_are_refused_not_crashed():
    with pytest.raises(ValidationError) as refused:
        clean_poster(upload(png_header_only(30_000, 30_000)))
    assert refused.value.code == "poster_too_many_pixels"


def test_file_over_five_megabytes_is_refused_before_decoding():
    data = image_bytes("PNG") + b"\0" * (MAX_POSTER_BYTES + 1)
    with pytest.raises(ValidationError, match="the limit is 5 MB"):
        clean_poster(upload(data))


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        clean_poster(upload(b""))
