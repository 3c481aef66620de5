"""Give freed model memory back to the system: glibc's malloc, tuned once per web process.

Why (measured, docs/benchmarks.md, "Model memory across swaps"): glibc serves a block of
128 KiB or more with its own ``mmap`` and unmaps it on ``free``, but every such free raises
that threshold to the freed block's size (up to 32 MiB). After the first model load had freed
its transient arrays (input rows, weight copies, index matrices of 1-12 MB), the next loads
took blocks of that size from the heap instead, where freed memory stays with the process:
a web worker's private memory grew with every hot swap although one model only was alive
(in one process: 411 → 966 MB over 12 swaps). A fixed threshold (setting it turns the
sliding off) keeps large blocks mapped and returned on free: flat over the same swaps.

The operator's own ``MALLOC_MMAP_THRESHOLD_`` or ``GLIBC_TUNABLES`` setting wins; other C
libraries are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

logger = logging.getLogger(__name__)

#: glibc's mallopt parameter for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
M_MMAP_THRESHOLD = -3
#: Blocks of this size and more are mapped and unmapped by the kernel: glibc's default start.
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_large_blocks_mapped(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold in this process; True when it was set here."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "malloc.mmap_threshold" in tunables:
        return False  # chosen by the operator
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not done:
        logger.warning("Could not fix malloc's mmap threshold; memory may grow across swaps")
    return done
