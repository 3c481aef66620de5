"""The soak's plot is drawn from the JSON the soak writes, whatever its length."""

from __future__ import annotations

from PIL import Image

from bench.soak_plot import plot


def _raw(minutes: int) -> dict:
    hits = [
        {"at": 10.0 * i, "page": page, "status": status, "ms": 50.0 + i % 7, "path": ""}
        for i in range(6 * minutes)
        for page, status in (("home", 200), ("movie", 200), ("home", 0))
    ]
    memory = [
        {"at": 30.0 * i, "pid": pid, "role": role, "private": 300.0 + i, "private_dirty": 1.0,
         "shared": 200.0}
        for i in range(2 * minutes)
        for pid, role in ((11, "web"), (12, "web"), (13, "celery"))
    ]  # fmt: skip
    swaps = [{"at": 120.0, "seconds": 4.0}, {"at": 240.0, "seconds": None}]
    return {"seconds": 60.0 * minutes, "hits": hits, "memory": memory, "swaps": swaps}


def test_the_plot_is_a_picture_of_the_run(tmp_path):
    out = tmp_path / "soak.png"
    plot(_raw(12), out, window_minutes=5)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 600 and image.height > 500
