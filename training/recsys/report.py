"""Markdown results table from a benchmark JSON (pasted into docs/recsys.md and the benchmark page)."""

from __future__ import annotations

import json
from pathlib import Path

PUBLISHED_ROWS = (
    ("BiVAE (published)", 0.146, 0.475, 0.412, 0.219),
    ("BPR (published)", 0.133, 0.442, 0.388, 0.213),
    ("LightGCN (published)", 0.089, 0.420, 0.380, 0.144),
    ("NCF (published)", 0.108, 0.396, 0.347, 0.181),
    ("SAR (published)", 0.111, 0.383, 0.331, 0.176),
)


def markdown_table(json_path: Path) -> str:
    results = json.loads(Path(json_path).read_text())
    lines = [
        "| model | MAP@10 | nDCG@10 | P@10 | R@10 | train s | peak MB | epochs | spike rate (user / item) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r["metrics"]
        rates = "—"
        if "spike_rate/user/block0" in m:
            rates = f"{m['spike_rate/user/block0']:.3f} / {m['spike_rate/item/block0']:.3f}"
        lines.append(
            f"| {r['model']} | {m['map@10']:.4f} | {m['ndcg@10']:.4f} | {m['precision@10']:.4f} | "
            f"{m['recall@10']:.4f} | {r['train_seconds']:.1f} | {r['peak_mb']:.0f} | {r['epochs']} | {rates} |"
        )
    for name, map_, ndcg, precision, recall in PUBLISHED_ROWS:
        lines.append(
            f"| {name} | {map_:.3f} | {ndcg:.3f} | {precision:.3f} | {recall:.3f} | | | | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown_table(Path(sys.argv[1])))
