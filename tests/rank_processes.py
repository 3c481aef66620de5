"""Finding a member's data-parallel rank processes from outside, whoever their parent is now.

The rank tests (a killed task, a solo worker's two ranks) must see ranks that outlived or
escaped the process that started them, so they read ``/proc`` rather than a child list.
"""

from __future__ import annotations

from pathlib import Path


def member_ranks_mentioning(mark: str | Path) -> list[int]:
    """PIDs of ``training.member_ranks`` processes whose command line contains ``mark``."""
    needle = str(mark).encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if b"training.member_ranks" in command and needle in command:
            found.append(int(entry.name))
    return found
