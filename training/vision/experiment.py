"""Train and evaluate one vision configuration, returning a JSON-ready record.

The record holds the config, the data sizes and split, a per-epoch history (loss, train and test
accuracy, seconds) and, when asked, the accuracy under each noise kind and level, so every number
in a table can be traced back to exactly what produced it.
"""

from __future__ import annotations

import platform
import random
import time
from datetime import UTC, datetime

import numpy as np
import torch
from tqdm.auto import tqdm

from recsys.metrics.names import TRAIN_SECONDS
from snn_models import LocalNetwork
from training.vision.activity import silent_share
from training.vision.config import RunConfig
from training.vision.datasets import VisionData, load_dataset, take_subset, validation_split
from training.vision.networks import build_network
from training.vision.robustness import evaluate_under_noise
from training.vision.rules import build_rule

EVAL_BATCH_SIZE = 500


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was requested but no CUDA device is available")
    return torch.device(name)


def prepare_data(config: RunConfig) -> VisionData:
    data = load_dataset(config.dataset, config.data_path)
    data = take_subset(data, config.train_size, config.test_size, seed=config.seed)
    return validation_split(data, config.validation) if config.validation else data


@torch.no_grad()
def accuracy(
    network: LocalNetwork, images: torch.Tensor, labels: torch.Tensor, device: torch.device
) -> float:
    """Top-1 accuracy of the end-to-end network, which is how every rule is evaluated."""
    network.eval()
    correct = 0
    for start in range(0, images.shape[0], EVAL_BATCH_SIZE):
        batch = images[start : start + EVAL_BATCH_SIZE].to(device)
        logits = network(batch)
        correct += (logits.argmax(dim=1).cpu() == labels[start : start + EVAL_BATCH_SIZE]).sum()
    return int(correct) / max(1, labels.numel())


def train_model(
    config: RunConfig, data: VisionData | None = None, progress: bool = True
) -> tuple[dict, LocalNetwork]:
    """Train with the configured rule, evaluating on the test set after every epoch.

    Returns the run record (without noise results) and the trained network.
    """
    device = resolve_device(config.device)
    data = data if data is not None else prepare_data(config)
    seed_everything(config.seed)
    network = build_network(config, data.image_shape, data.num_classes).to(device)
    rule = build_rule(config, network)
    shuffler = torch.Generator().manual_seed(config.seed)

    history = []
    train_seconds = 0.0
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(data.train_y.numel(), generator=shuffler)
        learning_rate = config.learning_rate(epoch - 1)
        for optimizer in rule.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate
        start_epoch = getattr(rule, "start_epoch", None)
        if start_epoch is not None:  # rules with their own schedule (plasticity)
            start_epoch(epoch - 1, -(-order.numel() // config.batch_size))
        started = time.perf_counter()
        network.train()
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(
            range(0, order.numel(), config.batch_size),
            desc=f"{config.label()} epoch {epoch}/{config.epochs}",
            disable=not progress,
            leave=False,
        )
        for start in bar:
            idx = order[start : start + config.batch_size]
            images, labels = data.train_x[idx].to(device), data.train_y[idx].to(device)
            step = rule.train_batch(images, labels)
            loss_sum += step.loss * idx.numel()
            correct += step.correct
            seen += idx.numel()
            bar.set_postfix(
                loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False
            )
        epoch_seconds = time.perf_counter() - started
        train_seconds += epoch_seconds
        network.eval()
        test_accuracy = accuracy(network, data.test_x, data.test_y, device)
        history.append(
            {
                "epoch": epoch,
                "train_loss": loss_sum / max(1, seen),
                "train_accuracy": correct / max(1, seen),
                "test_accuracy": test_accuracy,
                "learning_rate": learning_rate,
                "seconds": epoch_seconds,
            }
        )
        if progress:
            tqdm.write(
                f"{config.label()} epoch {epoch}: loss {loss_sum / max(1, seen):.4f} "
                f"train {correct / max(1, seen):.4f} test {test_accuracy:.4f} "
                f"({epoch_seconds:.1f}s)"
            )

    record = {
        "label": config.label(),
        "fingerprint": config.fingerprint(),
        "config": config.to_dict(),
        "data": data.describe(),
        "parameters": sum(p.numel() for p in network.parameters()),
        "history": history,
        "final_test_accuracy": history[-1]["test_accuracy"],
        "best_test_accuracy": max(row["test_accuracy"] for row in history),
        TRAIN_SECONDS: train_seconds,
        "silent_hidden_share": silent_share(network, data.test_x, device),
        "noise": None,
        "environment": {
            "torch": torch.__version__,
            "device": str(device),
            "threads": torch.get_num_threads(),
            "machine": platform.machine(),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    return record, network


def noise_robustness(
    config: RunConfig, network: LocalNetwork, data: VisionData
) -> dict[str, list[dict[str, float]]]:
    """Accuracy of a trained network under every noise kind and level (see `noise`)."""
    device = resolve_device(config.device)
    network.eval()
    return evaluate_under_noise(
        lambda x, y: accuracy(network, x, y, device), data.test_x, data.test_y, seed=config.seed
    )


def run_experiment(
    config: RunConfig, data: VisionData | None = None, progress: bool = True
) -> dict:
    """Train, evaluate, and (if `config.noise`) measure robustness: the full JSON record."""
    data = data if data is not None else prepare_data(config)
    record, network = train_model(config, data, progress)
    if config.noise:
        record["noise"] = noise_robustness(config, network, data)
    return record
