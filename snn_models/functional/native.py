"""Optional compiled CPU kernel for the LIF scan, with the pure-torch loop as fallback.

Why: on a CPU the scan is bound by memory traffic, and every torch op is one more pass over a
``(B, N)`` slice per step (and several passes over ``(T, B, N)`` in backward). A plain C loop
does each direction in a single pass. The source is tiny and has no torch headers, so ``gcc``
builds it in well under a second on first use; the shared library is cached per source, flags
and CPU capability under ``$SPIKELENS_CACHE_DIR`` (default ``~/.cache/spikelens``) and loaded
with ``ctypes``. If there is no compiler, the build fails, or ``SPIKELENS_NATIVE=0``, the
library silently uses the torch implementation instead.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import warnings
from pathlib import Path

import torch
from torch import Tensor

from snn_models.functional.lif_parameters import LIFParameters
from snn_models.functional.native_source import SOURCE
from snn_models.surrogates import ATan, Sigmoid, Triangle

__all__ = ["is_available", "lif_backward", "lif_forward", "supports", "unavailable_reason"]

_SURROGATE_IDS = {ATan: 0, Sigmoid: 1, Triangle: 2}
_RESET_IDS = {"subtract": 0, "zero": 1}
_DTYPES = {torch.float32: ("f32", ctypes.c_float), torch.float64: ("f64", ctypes.c_double)}

_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_failure: str | None = None
_loaded = False


def _cache_dir() -> Path:
    root = os.environ.get("SPIKELENS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "spikelens"
    )
    return Path(root) / "native"


def _compile_flags() -> list[str]:
    # -fno-trapping-math lets gcc vectorise the threshold comparisons; results are unchanged.
    flags = [
        "-O3",
        "-shared",
        "-fPIC",
        "-pthread",
        "-std=c99",
        "-ffp-contract=off",
        "-fno-trapping-math",
    ]
    capability = torch.backends.cpu.get_cpu_capability()
    if capability in ("AVX2", "AVX512"):
        flags += ["-mavx2", "-mfma"]
    return flags


def _build() -> ctypes.CDLL:
    compiler = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("no C compiler found")
    flags = _compile_flags()
    key = hashlib.sha256((SOURCE + " ".join(flags) + compiler).encode()).hexdigest()[:16]
    name = f"lif_kernel_{key}.so"
    try:
        target = _compile_into(_cache_dir(), name, compiler, flags)
    except OSError:  # e.g. a read-only home directory: build in a private temp folder
        fallback = Path(tempfile.gettempdir()) / f"spikelens-{os.getuid()}" / "native"
        target = _compile_into(fallback, name, compiler, flags)
    library = ctypes.CDLL(str(target))
    _declare(library)
    return library


def _compile_into(folder: Path, name: str, compiler: str, flags: list[str]) -> Path:
    target = folder / name
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        source = Path(tmp) / "lif_kernel.c"
        source.write_text(SOURCE)
        built = Path(tmp) / name
        result = subprocess.run(
            [compiler, *flags, str(source), "-o", str(built), "-lm"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"compiling the LIF kernel failed:\n{result.stderr[-2000:]}")
        os.replace(built, target)  # atomic: concurrent builders never see half a file
    return target


def _declare(library: ctypes.CDLL) -> None:
    ptr, i64, c_int = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    for suffix, scalar in _DTYPES.values():
        forward = getattr(library, f"lif_forward_{suffix}")
        forward.argtypes = [ptr, i64, ptr, ptr, ptr, i64, i64, scalar, scalar, scalar, c_int, c_int]
        forward.restype = None
        backward = getattr(library, f"lif_backward_{suffix}")
        backward.argtypes = [
            ptr, i64, ptr, ptr, ptr, ptr, ptr, ptr, i64, i64, scalar, scalar, scalar,
            c_int, c_int, c_int, scalar, c_int, c_int, c_int,
        ]  # fmt: skip
        backward.restype = c_int


def _get_library() -> ctypes.CDLL | None:
    global _library, _failure, _loaded
    if _loaded:
        return _library
    with _lock:
        if not _loaded:
            if os.environ.get("SPIKELENS_NATIVE", "1") == "0":
                _failure = "disabled by SPIKELENS_NATIVE=0"
            else:
                try:
                    _library = _build()
                except Exception as error:  # any failure means: use the torch loop
                    _failure = str(error)
                    warnings.warn(
                        f"native LIF kernel unavailable, using the torch loop: {error}",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            _loaded = True
    return _library


def is_available() -> bool:
    """Whether the compiled kernel could be built and loaded on this machine."""
    return _get_library() is not None


def unavailable_reason() -> str:
    return "the native kernel is available" if is_available() else f"reason: {_failure}"


def _time_stride(current: Tensor) -> int | None:
    """0 for a repeated view, the step size for a contiguous sequence, else None."""
    step = current[0]
    if not step.is_contiguous():
        return None
    if current.shape[0] == 1 or current.stride(0) in (0, step.numel()):
        return current.stride(0) if current.shape[0] > 1 else step.numel()
    return None


def supports(current: Tensor, v0: Tensor | None, params: LIFParameters) -> bool:
    """Whether the kernel applies: CPU float32/64, scalar decay, built-in surrogate."""
    return (
        current.device.type == "cpu"
        and current.dtype in _DTYPES
        and (not isinstance(params.alpha, Tensor) or params.alpha.dim() == 0)
        and type(params.surrogate) in _SURROGATE_IDS
        and current.numel() > 0
        and _time_stride(current) is not None
        and (v0 is None or (v0.shape == current.shape[1:] and v0.dtype == current.dtype))
        and is_available()
    )


def _pointer(tensor: Tensor | None) -> int | None:
    return None if tensor is None else tensor.data_ptr()


def lif_forward(current: Tensor, v0: Tensor | None, params: LIFParameters) -> tuple[Tensor, Tensor]:
    """``(spikes, v_last)`` for a ``(T, ...)`` current, in one pass; nothing else is kept."""
    library = _get_library()
    assert library is not None
    suffix, _ = _DTYPES[current.dtype]
    steps = current.shape[0]
    spikes = torch.empty(current.shape, dtype=current.dtype)
    v_last = torch.empty(current.shape[1:], dtype=current.dtype)
    v0c = v0.contiguous() if v0 is not None else None
    a = float(params.alpha)
    getattr(library, f"lif_forward_{suffix}")(
        current[0].data_ptr(),
        _time_stride(current),
        _pointer(v0c),
        spikes.data_ptr(),
        v_last.data_ptr(),
        steps,
        current[0].numel(),
        a,
        1.0 - a if params.decay_input else 1.0,
        params.threshold,
        _RESET_IDS[params.reset],
        torch.get_num_threads(),
    )
    return spikes, v_last


def lif_backward(
    current: Tensor,
    v0: Tensor | None,
    params: LIFParameters,
    grad_spikes: Tensor | None,
    grad_v_last: Tensor | None,
    need_v0: bool,
    need_alpha: bool,
    sum_time: bool = False,
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Gradients ``(current, v0, per-neuron alpha)``: recompute the membrane chunk by chunk
    from the saved current, then run the reverse-time recursion, in one pass.

    ``sum_time`` returns the current's gradient summed over time, shape ``current.shape[1:]``,
    which is the whole gradient of a constant input repeated over time.
    """
    library = _get_library()
    assert library is not None
    suffix, _ = _DTYPES[current.dtype]
    steps, n = current.shape[0], current[0].numel()
    step_shape = current.shape[1:]
    grad_current = torch.empty(step_shape if sum_time else current.shape, dtype=current.dtype)
    grad_v0 = torch.empty(step_shape, dtype=current.dtype) if need_v0 else None
    grad_alpha = torch.empty(step_shape, dtype=current.dtype) if need_alpha else None
    gs = (
        grad_spikes.contiguous()
        if grad_spikes is not None
        else torch.zeros(current.shape, dtype=current.dtype)
    )
    gv = grad_v_last.contiguous() if grad_v_last is not None else None
    v0c = v0.contiguous() if v0 is not None else None
    a = float(params.alpha)
    failed = getattr(library, f"lif_backward_{suffix}")(
        current[0].data_ptr(),
        _time_stride(current),
        _pointer(v0c),
        gs.data_ptr(),
        _pointer(gv),
        grad_current.data_ptr(),
        _pointer(grad_v0),
        _pointer(grad_alpha),
        steps,
        n,
        a,
        1.0 - a if params.decay_input else 1.0,
        params.threshold,
        _RESET_IDS[params.reset],
        int(params.detach_reset),
        _SURROGATE_IDS[type(params.surrogate)],
        params.surrogate.alpha,
        int(params.decay_input),
        int(sum_time),
        torch.get_num_threads(),
    )
    if failed:
        raise MemoryError("the native LIF backward could not allocate its work buffer")
    return grad_current, grad_v0, grad_alpha
