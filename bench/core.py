"""Training speed of the spiking core against snnTorch and SpikingJelly, plus local-vs-BPTT memory.

    python -m bench.core            # a table
    python -m bench.core --json     # the same, machine-readable

Workload (identical for every library): a spiking MLP 784-400-10, LIF neurons (decay 0.5,
threshold 1, reset by subtraction) with the arc-tangent surrogate (alpha 2), T=20 steps,
batch 128, cross-entropy on the output spike rate, one plain SGD step at a time. The data are
random tensors of MNIST shape, fixed by the seed; a speed benchmark needs no real images.
Three input variants:

* ``direct``: the analog image is the input current at every step. Each library runs in its
  documented idiom: ``snn_models`` with ``DirectEncoder`` (the first layer sees the repeated
  view and integrates it once), snnTorch calling ``fc1(x)`` at every step as in its tutorials,
  SpikingJelly on ``x.unsqueeze(0).repeat(T, 1, 1)`` in multi-step mode.
* ``hoisted``: the same direct input, but the peers are hand-optimised the way a careful user
  would do it: the first layer's current is computed once and repeated over time.
  ``snn_models`` does this by itself, so its ``direct`` run is compared.
* ``spikes``: one Bernoulli (rate-coded) spike tensor ``(T, B, 784)`` shared by all; every
  library must do the full first-layer product at every step, so only engineering differs.

Every configuration runs in its own subprocess (no shared thread pools, allocator state or
global library state), with warm-up steps and several timed repeats; the median is reported.
Besides wall-clock steps/s, the CPU time the process used per step is reported: with
``--threads 1`` it is a fair measure even while other work shares the machine. Peak memory is
the growth of the process's peak resident set size (``ru_maxrss``) during
training over what it was just before the first step. Torch's CPU tensors live in ordinary
``malloc`` memory, which ``ru_maxrss`` sees (``tracemalloc`` does not). The local-vs-BPTT
comparison also reports the bytes autograd keeps for backward at its peak (via
``saved_tensors_hooks``), which is exact and deterministic.

Peers are optional: without them the script says so and benchmarks ``snn_models`` alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.measure import peak_rss_bytes

LIBRARIES = ("snn_models", "snntorch", "spikingjelly")
ENCODINGS = ("direct", "hoisted", "spikes")
RULES = ("local", "bptt")


@dataclass(frozen=True)
class Workload:
    num_steps: int = 20
    batch: int = 128
    hidden: int = 400
    inputs: int = 784
    classes: int = 10
    decay: float = 0.5
    lr: float = 0.1
    seed: int = 0


def _data(work: Workload, encoding: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(work.seed)
    images = torch.rand(work.batch, work.inputs, generator=g)
    labels = torch.randint(0, work.classes, (work.batch,), generator=g)
    if encoding == "spikes":
        noise = torch.rand(work.num_steps, work.batch, work.inputs, generator=g)
        return (noise < images).float(), labels
    return images, labels


# --- one training step per library -------------------------------------------------------


def _ours_step(work: Workload, encoding: str) -> Callable[[], None]:
    import snn_models as sm

    def neuron() -> nn.Module:
        return sm.LIF(alpha=work.decay, threshold=1.0, reset="subtract", surrogate=sm.ATan(2.0))

    layers: list[nn.Module] = [sm.DirectEncoder(work.num_steps)] if encoding == "direct" else []
    layers += [
        sm.SpikingDense("linear", work.inputs, work.hidden, neuron=neuron()),
        sm.SpikingDense("linear", work.hidden, work.classes, neuron=neuron()),
        sm.SpikeRate(),
    ]
    model = nn.Sequential(*layers)
    return _sgd_step(model, work, encoding)


def _snntorch_step(work: Workload, encoding: str) -> Callable[[], None]:
    import snntorch as snn
    from snntorch import surrogate

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            grad = surrogate.atan(alpha=2.0)
            self.fc1 = nn.Linear(work.inputs, work.hidden)
            self.lif1 = snn.Leaky(beta=work.decay, spike_grad=grad, reset_mechanism="subtract")
            self.fc2 = nn.Linear(work.hidden, work.classes)
            self.lif2 = snn.Leaky(beta=work.decay, spike_grad=grad, reset_mechanism="subtract")

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
            hoisted = self.fc1(x) if encoding == "hoisted" else None
            out = []
            for t in range(work.num_steps):
                if hoisted is not None:
                    current = hoisted
                else:
                    current = self.fc1(x if encoding == "direct" else x[t])
                spk1, mem1 = self.lif1(current, mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                out.append(spk2)
            return torch.stack(out).mean(0)

    return _sgd_step(Net(), work, encoding)


def _spikingjelly_step(work: Workload, encoding: str) -> Callable[[], None]:
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    def lif() -> nn.Module:
        return neuron.LIFNode(
            tau=1.0 / (1.0 - work.decay),
            decay_input=False,
            v_reset=None,  # reset by subtraction, like the others
            surrogate_function=surrogate.ATan(alpha=2.0),
            step_mode="m",
        )

    fc1 = layer.Linear(work.inputs, work.hidden, step_mode="m")
    rest = nn.Sequential(lif(), layer.Linear(work.hidden, work.classes, step_mode="m"), lif())
    functional.set_step_mode(rest, "m")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.rest = fc1, rest

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if encoding == "hoisted":  # one (B, 784) product, then the current repeated
                current = self.fc1(x).unsqueeze(0).repeat(work.num_steps, 1, 1)
            elif encoding == "direct":
                current = self.fc1(x.unsqueeze(0).repeat(work.num_steps, 1, 1))
            else:
                current = self.fc1(x)
            out = self.rest(current).mean(0)
            functional.reset_net(self.rest)
            return out

    return _sgd_step(Net(), work, encoding)


def _sgd_step(model: nn.Module, work: Workload, encoding: str) -> Callable[[], None]:
    x, labels = _data(work, encoding)
    optimizer = torch.optim.SGD(model.parameters(), lr=work.lr)

    def step() -> None:
        loss = F.cross_entropy(model(x), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


_STEP_BUILDERS = {
    "snn_models": _ours_step,
    "snntorch": _snntorch_step,
    "spikingjelly": _spikingjelly_step,
}


# --- local vs BPTT memory on a 4-block network ---------------------------------------------


def _four_block_trainer(work: Workload, rule: str) -> Callable[[], None]:
    import snn_models as sm

    torch.manual_seed(work.seed)
    loss = sm.HybridLocalLoss(work.classes, alpha=1.0, beta=1.0)
    sizes = [work.inputs] + [work.hidden] * 4
    blocks = [
        sm.LocalBlock(
            sm.SpikingDense(
                "linear", n_in, n_out, neuron=sm.LIF(alpha=work.decay), spike_input=i > 0
            ),
            head=sm.ClassifierHead(n_out, work.classes),
            loss=loss,
        )
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False))
    ]
    net = sm.LocalNetwork(blocks, encoder=sm.DirectEncoder(work.num_steps))
    x, labels = _data(work, "direct")
    x = x * 3.0  # enough drive that every block spikes

    def optimizer(params):
        return torch.optim.SGD(params, lr=work.lr)

    trainer = sm.LocalTrainer(net, optimizer) if rule == "local" else sm.BPTTTrainer(net, optimizer)
    return lambda: trainer.step(x, labels)


class _SavedTensorMeter:
    """Bytes autograd holds for backward, each storage counted once, and their peak.

    Parameters (leaf tensors that require grad) are left out: they are resident anyway.
    """

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.sizes: dict[int, int] = {}
        self.live = 0
        self.peak = 0

    def acquire(self, key: int, nbytes: int) -> None:
        if self.counts.get(key, 0) == 0:
            self.sizes[key] = nbytes
            self.live += nbytes
            self.peak = max(self.peak, self.live)
        self.counts[key] = self.counts.get(key, 0) + 1

    def release(self, key: int) -> None:
        self.counts[key] -= 1
        if self.counts[key] == 0:
            self.live -= self.sizes.pop(key)


class _Saved:
    """What autograd stores instead of the tensor; dropping it tells the meter."""

    __slots__ = ("key", "meter", "tensor")

    def __init__(self, tensor: torch.Tensor, meter: _SavedTensorMeter) -> None:
        self.tensor, self.meter = tensor, meter
        storage = tensor.untyped_storage()
        self.key = storage.data_ptr()
        meter.acquire(self.key, storage.nbytes())

    def __del__(self) -> None:
        self.meter.release(self.key)


def _saved_tensor_peak(step: Callable[[], None]) -> int:
    """Peak bytes saved for backward during one training step."""
    meter = _SavedTensorMeter()

    def pack(tensor: torch.Tensor):
        if tensor.is_leaf and tensor.requires_grad:
            return tensor
        return _Saved(tensor, meter)

    def unpack(packed):
        return packed.tensor if isinstance(packed, _Saved) else packed

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        step()
    return meter.peak


# --- measurement -------------------------------------------------------------------------


def _measure(step: Callable[[], None], warmup: int, steps: int, repeats: int) -> dict:
    before = peak_rss_bytes()
    for _ in range(warmup):
        step()
    rates, cpu_ms = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - start))
        cpu_ms.append((time.process_time() - cpu_start) / steps * 1000)
    return {
        "steps_per_s": statistics.median(rates),
        "steps_per_s_all": rates,
        "cpu_ms_per_step": statistics.median(cpu_ms),
        "peak_rss_growth_mb": (peak_rss_bytes() - before) / 2**20,
    }


def _worker(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    work = Workload(num_steps=args.time_steps, batch=args.batch)
    kind, name, variant = args.worker.split(":")
    if kind == "speed":
        step = _STEP_BUILDERS[name](work, variant)
        result = _measure(step, args.warmup, args.steps, args.repeats)
    else:
        step = _four_block_trainer(work, variant)
        result = _measure(step, args.warmup, max(2, args.steps // 5), args.repeats)
        result["saved_for_backward_mb"] = _saved_tensor_peak(step) / 2**20
    result.update(library=name, encoding=variant if kind == "speed" else "direct", job=kind)
    if kind == "memory":
        result["rule"] = variant
    return result


def _run_worker(job: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable, "-m", "bench.core", "--worker", job,
        "--threads", str(args.threads), "--steps", str(args.steps), "--warmup", str(args.warmup),
        "--repeats", str(args.repeats), "--batch", str(args.batch),
        "--time-steps", str(args.time_steps),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"job": job, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peer_available(name: str) -> bool:
    if name == "snn_models":
        return True
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _machine() -> dict:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    from snn_models.functional import native

    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_1min_at_start": load,
        "native_lif_kernel": native.is_available(),
    }


def _versions(libraries: list[str]) -> dict:
    """Installed distribution versions (SpikingJelly's module has no ``__version__``)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in libraries:
        if name == "snn_models":
            continue
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _ratios(results: list[dict]) -> dict:
    ratios = {}
    for encoding in ENCODINGS:
        ours_encoding = "direct" if encoding == "hoisted" else encoding
        rows = {
            r["library"]: r["steps_per_s"]
            for r in results
            if r.get("job") == "speed"
            and "steps_per_s" in r
            and r.get("encoding") == (ours_encoding if r["library"] == "snn_models" else encoding)
        }
        peers = {k: v for k, v in rows.items() if k != "snn_models"}
        if "snn_models" in rows and peers:
            best = max(peers, key=peers.get)
            ratios[encoding] = {
                "best_peer": best,
                "ours_over_best_peer": rows["snn_models"] / peers[best],
            }
    return ratios


def _print_table(report: dict) -> None:
    m = report["machine"]
    print(f"CPU: {m['cpu']} ({m['logical_cpus']} logical), torch {m['torch']}, "
          f"threads {report['config']['threads']}, load {m['load_1min_at_start']:.2f}")  # fmt: skip
    print(
        f"{'library':<14}{'encoding':<10}{'steps/s':>10}{'ms/step':>10}{'CPU ms':>10}{'peak MB':>10}"
    )
    for r in report["results"]:
        if r.get("job") != "speed":
            continue
        if "error" in r:
            print(f"{r['job']}: failed: {r['error']}")
            continue
        print(f"{r['library']:<14}{r['encoding']:<10}{r['steps_per_s']:>10.2f}"
              f"{1000 / r['steps_per_s']:>10.1f}{r['cpu_ms_per_step']:>10.1f}"
              f"{r['peak_rss_growth_mb']:>10.1f}")  # fmt: skip
    for encoding, ratio in report["ratios"].items():
        print(f"{encoding}: ours / {ratio['best_peer']} = {ratio['ours_over_best_peer']:.2f}x")
    for name in report["missing_peers"]:
        print(f"{name}: not installed (make bench-deps); skipped")
    memory = [r for r in report["results"] if r.get("job") == "memory" and "error" not in r]
    if memory:
        c = report["config"]
        print(f"4-block {c['inputs']}-{c['hidden']}x4 network, T={c['num_steps']}, "
              f"batch {c['batch']}, pred+sim local loss, SGD:")  # fmt: skip
        for r in memory:
            print(f"  {r['rule']:<6} {r['steps_per_s']:6.2f} steps/s  peak RSS growth "
                  f"{r['peak_rss_growth_mb']:7.1f} MB  saved for backward "
                  f"{r['saved_for_backward_mb']:7.1f} MB")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, default=20, help="timed SGD steps per repeat")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--time-steps", type=int, default=20)
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--encodings", nargs="+", default=list(ENCODINGS), choices=ENCODINGS)
    parser.add_argument("--no-memory", action="store_true", help="skip local-vs-BPTT memory")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(_worker(args)))
        return

    available = [name for name in args.libraries if _peer_available(name)]
    missing = [name for name in args.libraries if name not in available]
    jobs = [
        f"speed:{lib}:{enc}"
        for enc in args.encodings
        for lib in available
        if not (lib == "snn_models" and enc == "hoisted")  # identical to its "direct" run
    ]
    if not args.no_memory:
        jobs += [f"memory:snn_models:{rule}" for rule in RULES]
    try:
        from tqdm import tqdm

        progress = tqdm(jobs, desc="bench.core", file=sys.stderr, disable=None)
    except ImportError:
        progress = jobs
    report = {
        "machine": _machine(),
        "config": {
            **asdict(Workload(num_steps=args.time_steps, batch=args.batch)),
            "threads": args.threads,
            "steps": args.steps,
            "warmup": args.warmup,
            "repeats": args.repeats,
            "optimizer": "SGD",
        },  # fmt: skip
        "versions": _versions(available),
        "missing_peers": missing,
        "results": [_run_worker(job, args) for job in progress],
    }
    report["ratios"] = _ratios(report["results"])
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_table(report)


if __name__ == "__main__":
    main()
