"""Every Python example in docs/snn_models.md runs as written and asserts its result."""

import re
from pathlib import Path

import pytest
import torch

DOC = Path(__file__).resolve().parents[2] / "docs" / "snn_models.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_documentation_has_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_documentation_example_runs_and_checks_its_result(index):
    """An example that only runs proves it does not crash; each states what it computes."""
    example = EXAMPLES[index]
    assert re.search(r"^\s*assert ", example, flags=re.MULTILINE), (
        f"example {index} must assert its result, not print it"
    )
    assert "print(" not in example, f"example {index} prints instead of asserting"
    torch.manual_seed(0)
    exec(compile(example, f"{DOC.name}[example {index}]", "exec"), {})
