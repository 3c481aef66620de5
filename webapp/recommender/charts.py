"""A training curve drawn as inline SVG, so the admin shows it without a plotting library or JS."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 420, 160, 28


def _polyline(points: list[tuple[int, float]], epochs: int) -> str:
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    coords = []
    for epoch, value in points:
        x = PAD + (WIDTH - 2 * PAD) * ((epoch - 1) / max(epochs - 1, 1))
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((value - low) / span)
        coords.append(f"{x:.1f},{y:.1f}")
    return " ".join(coords)


def training_curve_svg(history: list[dict]) -> SafeString | str:
    """Loss (blue) and validation metric (orange) per epoch, each scaled to its own range."""
    loss = [(int(p["epoch"]), float(p["loss"])) for p in history if p.get("loss") is not None]
    metric = [(int(p["epoch"]), float(p["metric"])) for p in history if p.get("metric") is not None]
    if len(loss) < 2 and len(metric) < 2:
        return ""
    epochs = max(p for p, _ in loss + metric)
    lines = []
    if len(loss) >= 2:
        lines.append(
            format_html(
                '<polyline fill="none" stroke="#1d6fb8" stroke-width="2" points="{}"/>',
                _polyline(loss, epochs),
            )
        )
    if len(metric) >= 2:
        lines.append(
            format_html(
                '<polyline fill="none" stroke="#e07b00" stroke-width="2" points="{}"/>',
                _polyline(metric, epochs),
            )
        )
    legend = format_html(
        '<text x="{}" y="16" font-size="12" fill="#1d6fb8">loss {}→{}</text>'
        '<text x="{}" y="16" font-size="12" fill="#e07b00">{}</text>',
        PAD,
        f"{loss[0][1]:.3f}" if loss else "–",
        f"{loss[-1][1]:.3f}" if loss else "–",
        WIDTH // 2,
        f"val nDCG@10 {metric[0][1]:.3f}→{metric[-1][1]:.3f}" if metric else "",
    )
    return mark_safe(  # every piece above is built with format_html
        f'<svg role="img" aria-label="Training curve" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">'
        # Background and border as shapes, not a style attribute: the CSP allows no inline style.
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" fill="#fafbfc" '
        f'stroke="#ddd"/>'
        f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="11" fill="#666">epoch 1</text>'
        f'<text x="{WIDTH - PAD - 40}" y="{HEIGHT - 6}" font-size="11" fill="#666">epoch {epochs}</text>'
        f"{legend}{''.join(lines)}</svg>"
    )
