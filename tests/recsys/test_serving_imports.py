"""Serving loads the model and ``snn_models`` inference only: no training code.

Checked in a fresh interpreter, since this test process has long imported everything. ``tqdm``
is the one name of issue 17's check that ``import torch`` loads by itself (torch.hub), so it
is compared against a bare ``import torch`` rather than required to be absent.
"""

from __future__ import annotations

import json
import subprocess
import sys

from recsys.paths import PROJECT_ROOT

TRAINING_PREFIXES = (
    "training",
    "recsys.models.trainer",
    "recsys.models.fitting",
    "recsys.models.config",
    "recsys.models.losses",
    "recsys.data.movielens",
    "tqdm",
)

LOADED = """
import json, sys
{imports}
print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))
"""


def _loaded_after(imports: str) -> set[str]:
    code = LOADED.format(imports=imports, prefixes=TRAINING_PREFIXES)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


def test_serving_imports_no_training_code_beyond_what_torch_itself_loads():
    torch_alone = _loaded_after("import torch")
    serving = _loaded_after("import recsys.serving")
    assert serving - torch_alone == set()
    assert "training" not in serving and "recsys.models.trainer" not in serving


def test_the_check_sees_training_code_when_it_is_loaded():
    assert {"recsys.models.trainer", "training.pipeline"} <= _loaded_after(
        "import recsys.serving, training.pipeline"
    )
