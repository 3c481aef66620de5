"""Poster uploads: prove a file is a real picture, then store a clean copy of our own making.

Nothing the uploader sent is stored as-is. The bytes are decoded by Pillow (the extension and the
Content-Type are the uploader's claims, not facts), the pixel count is checked from the header
before any pixel is decoded (so a small file that inflates to gigabytes is refused cheaply), and
what is kept is a freshly encoded JPEG without metadata, resized to a sensible poster size, under
a random file name. A file that fails any step gets a message a person understands.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_POSTER_MEGABYTES = 5
MAX_POSTER_BYTES = MAX_POSTER_MEGABYTES * 1024 * 1024
MAX_POSTER_PIXELS = 20_000_000
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# Stored posters fit in this box; larger uploads are scaled down, smaller ones are kept as they are.
STORED_MAX_SIZE = (600, 900)
STORED_JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanPoster:
    """A re-encoded poster, ready to be saved to storage."""

    content: ContentFile
    width: int
    height: int
    source_format: str


def clean_poster(upload) -> CleanPoster:
    """Validate an uploaded file and return a re-encoded copy, or raise ``ValidationError``."""
    size = getattr(upload, "size", None)
    if size is None or size > MAX_POSTER_BYTES:
        raise ValidationError(
            "The poster is %(size)s; the limit is %(limit)s MB. Please upload a smaller image.",
            code="poster_too_large",
            params={"size": _megabytes(size), "limit": MAX_POSTER_MEGABYTES},
        )
    if size == 0:
        raise ValidationError("The poster file is empty.", code="poster_empty")
    data = _read_all(upload)
    image = _decode(data)
    return CleanPoster(
        content=_reencode(image),
        width=image.width,
        height=image.height,
        source_format=image.format_name,
    )


@dataclass
class _Decoded:
    pixels: Image.Image
    format_name: str

    @property
    def width(self) -> int:
        return self.pixels.width

    @property
    def height(self) -> int:
        return self.pixels.height


def _decode(data: bytes) -> _Decoded:
    not_an_image = ValidationError(
        "This file is not a JPEG, PNG or WebP image we can read. "
        "Please upload a poster in one of those formats.",
        code="poster_not_an_image",
    )
    # Pillow warns (and past twice its own limit, raises) for decompression bombs; our limit is far
    # lower and checked first, but any such signal from Pillow is a refusal too, never a crash.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                _check_format(kind)
                _check_pixels(probe.width, probe.height)
                probe.verify()  # structural checks (PNG chunk CRCs and the like)
            # verify() leaves the image unusable, so decode again for the pixels themselves.
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # a truncated or corrupt file fails here, not later in a template
                pixels = ImageOps.exif_transpose(image)
                pixels.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise not_an_image from exc
        except Exception as exc:
            # Pillow's parsers raise whatever a malformed header provokes (struct.error,
            # TypeError, AttributeError from a mistyped EXIF tag, …). Every one of them means
            # "not an image we can read": a refusal, never a server error.
            logger.info("Poster refused: Pillow raised %s: %s", type(exc).__name__, exc)
            raise not_an_image from exc
    return _Decoded(pixels=pixels, format_name=ALLOWED_FORMATS[kind])


def _check_format(kind: str | None) -> None:
    if kind not in ALLOWED_FORMATS:
        raise ValidationError(
            "Posters must be JPEG, PNG or WebP images%(found)s.",
            code="poster_wrong_format",
            params={"found": f"; this file is {kind}" if kind else ""},
        )


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValidationError("The poster has no pixels.", code="poster_empty")
    if width * height > MAX_POSTER_PIXELS:
        raise _too_many_pixels(width, height)


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    found = f" ({width} × {height})" if width and height else ""
    return ValidationError(
        "The poster has too many pixels%(found)s; the limit is 20 megapixels.",
        code="poster_too_many_pixels",
        params={"found": found},
    )


def _reencode(decoded: _Decoded) -> ContentFile:
    try:
        image = _flatten(decoded.pixels)
        image.thumbnail(STORED_MAX_SIZE, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # A new file from raw pixels: no EXIF, ICC profile or comments, nothing the uploader wrote.
        image.save(
            buffer, format="JPEG", quality=STORED_JPEG_QUALITY, optimize=True, progressive=True
        )
    except Exception as exc:
        # Decoded pixels that still cannot be converted or encoded (odd modes, broken palettes):
        # the upload is refused like any other unreadable file.
        logger.info("Poster refused at re-encoding: %s: %s", type(exc).__name__, exc)
        raise ValidationError(
            "This image could not be converted into a poster. "
            "Please upload a JPEG, PNG or WebP image saved by another program.",
            code="poster_not_convertible",
        ) from exc
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas become white, as a poster on a page would show them."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read(MAX_POSTER_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_POSTER_BYTES:
        raise ValidationError(
            "The poster is larger than %(limit)s MB. Please upload a smaller image.",
            code="poster_too_large",
            params={"limit": MAX_POSTER_MEGABYTES},
        )
    return data


def _megabytes(size: int | None) -> str:
    if size is None:
        return "of unknown size"
    return f"{size / (1024 * 1024):.1f} MB"
