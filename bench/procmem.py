"""What a process holds, read from /proc: private and shared memory, children, mapped artifacts.

Private memory (``Private_Clean + Private_Dirty`` of ``/proc/<pid>/smaps_rollup``) is what the
process alone holds: what another web worker would cost again. Shared memory is what it holds
together with other processes: the page cache of files several processes map (a model
artifact mapped by every web worker), libraries, and pages inherited from the gunicorn master.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1024  # smaps counts kB


@dataclass(frozen=True)
class Memory:
    """Megabytes (MiB) of one process at one moment."""

    private: float
    private_dirty: float
    shared: float
    rss: float
    pss: float


def memory(pid: int) -> Memory | None:
    """The process's memory now, or None when it has exited."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            kb[name] = int(value.split()[0])
    return Memory(
        private=(kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / MB,
        private_dirty=kb.get("Private_Dirty", 0) / MB,
        shared=(kb.get("Shared_Clean", 0) + kb.get("Shared_Dirty", 0)) / MB,
        rss=kb.get("Rss", 0) / MB,
        pss=kb.get("Pss", 0) / MB,
    )


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                tail = (entry / "stat").read_text().rsplit(")", 1)[1]
            except OSError:
                continue
            parents[int(entry.name)] = int(tail.split()[1])
    return parents


def children(pid: int) -> list[int]:
    return sorted(child for child, parent in _parents().items() if parent == pid)


def descendants(pid: int) -> list[int]:
    parents = _parents()
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found.extend(kids)
        frontier.extend(kids)
    return sorted(found)


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def mapped_versions(pid: int, artifacts_dir: Path) -> set[str]:
    """Names of the artifact folders under ``artifacts_dir`` whose files the process maps: the
    model versions it holds (a served model maps its weights and serving matrices)."""
    prefix = f"{Path(artifacts_dir).resolve()}/"
    found = set()
    try:
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) == 6 and fields[5].startswith(prefix):
                    found.add(fields[5][len(prefix) :].split("/", 1)[0])
    except OSError:
        return set()
    return found
