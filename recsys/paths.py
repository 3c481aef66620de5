"""Where SpikeLens keeps data on disk.

One environment variable, ``SPIKELENS_DATA_DIR``, moves everything (database, raw downloads,
model artifacts) so a laptop, CI and a production host can each choose their own disk without
touching code.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The root folder for data that never goes into git."""
    return Path(os.environ.get("SPIKELENS_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def raw_data_dir() -> Path:
    """Downloaded public datasets, cached so a second run works offline."""
    return data_dir() / "raw"


def artifacts_dir() -> Path:
    """Trained model versions, one immutable directory each."""
    return data_dir() / "artifacts"
