"""Every Python example in docs/snn_models.md runs as written."""

import re
from pathlib import Path

import pytest
import torch

DOC = Path(__file__).resolve().parents[2] / "docs" / "snn_models.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_documentation_has_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_documentation_example_runs(index, capsys):
    torch.manual_seed(0)
    exec(compile(EXAMPLES[index], f"{DOC.name}[example {index}]", "exec"), {})
