"""``python -m training.recsys {benchmark,train,bench-serving,plot,run-model}``.

* ``benchmark --models pop,itemknn,bpr,snn-bptt,snn-local,snn-local-linear --json OUT
  [--set key=value ...]``:
  every model trained and evaluated on the fixed protocol, each in a fresh subprocess (so peak
  memory is per model); OUT is a JSON list with one object per model.
* ``train --out DIR [--set key=value ...]``: the default model (snn-local) on a ratings table,
  written as an artifact.
* ``bench-serving --artifact DIR``: top-10 latency for one user, and over 100,000 synthetic items.
* ``plot --json OUT --out-dir docs/results``: results table and training-curve plots.
* ``anchors --json FILE... [--served snn-local] [--anchors ease+bpr,ann-twin,ials,ease]``: per
  split seed, the served model against each anchor over the training seeds both ran: means,
  the paired difference (mean ± sd, 95% t interval) and how many seeds it is ahead on.
* ``energy --json FILE...``: energy per recommendation (compute only and with memory) of every
  benchmarked model that stored it, beside EASE, BPR-MF and their blend counted alike.
* ``validate --model NAME [--set key=value ...] [--seeds 42,43,...] [--validation-ratio 0.8]
  --jsonl LOG``: a tuning run on the validation split (carved from the train 75%; the test 25%
  is never read) per training seed, appended to LOG, with the mean ± sd over the seeds.
* ``taste [--artifact DIR] --jsonl LOG``: the serving-time taste settings (how stars, dismissals
  and favourite genres combine, recsys.serving.taste) scored on the validation split.
* ``visitors --artifact DIR``: the visitors' journeys (training/recsys/visitors.py) on a trained
  artifact, with their targets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from recsys.constants import USER_ID
from recsys.data.split import DEFAULT_SEED, VALIDATION_RATIO, stratified_split
from recsys.metrics.names import (
    DISLIKED_AT_10,
    LIKED_NDCG_AT_10,
    MAP_AT_10,
    MATCH_AUC,
    MATCH_BRIER_SKILL,
    NDCG_AT_10,
    PEAK_MB,
    PRECISION_AT_10,
    RECALL_AT_10,
    TRAIN_SECONDS,
)


def _cmd_run_model(args: argparse.Namespace) -> int:
    import torch

    from training.recsys.runs import run_model

    torch.set_num_threads(args.threads)
    result = run_model(
        args.model, args.data, args.seed, args.epochs, args.split_seed, dict(args.set)
    )
    Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from recsys import registry

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in registry.names()]
    if unknown:
        choices = ", ".join(registry.names())
        print(f"unknown model(s): {', '.join(unknown)}; choose from {choices}")
        return 2
    if not all(_settings_fit(name, dict(args.set)) for name in models):
        return 2
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in models:
            out = Path(scratch) / f"{name}.json"
            command = [sys.executable, "-m", "training.recsys", "run-model", "--model", name]
            command += [
                "--json",
                str(out),
                "--seed",
                str(args.seed),
                "--threads",
                str(args.threads),
                "--split-seed",
                str(args.split_seed),
            ]
            if args.data:
                command += ["--data", args.data]
            if args.epochs is not None:
                command += ["--epochs", str(args.epochs)]
            for key, value in args.set:
                command += ["--set", f"{key}={json.dumps(value)}"]
            print(f"== {name}", flush=True)
            subprocess.run(command, check=True)
            result = json.loads(out.read_text())
            metrics = result["metrics"]
            print(
                f"   nDCG@10 {metrics[NDCG_AT_10]:.4f}  MAP@10 {metrics[MAP_AT_10]:.4f}  "
                f"P@10 {metrics[PRECISION_AT_10]:.4f}  R@10 {metrics[RECALL_AT_10]:.4f}  "
                f"train {result[TRAIN_SECONDS]:.1f}s  peak {result[PEAK_MB]:.0f} MB",
                flush=True,
            )
            results.append(result)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.json}")
    return 0


def _parse_setting(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as JSON when it parses (numbers, true/false), else text."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _settings_fit(model: str, settings: dict[str, Any]) -> bool:
    """Whether ``--set`` settings make a valid configuration of ``model``; says why not.
    Checked before any data is read or any model trained."""
    from training.recsys.runs import check_settings

    try:
        check_settings(model, settings)
    except (TypeError, ValueError) as exc:
        print(f"{model}: {exc}")
        return False
    return True


def _cmd_validate(args: argparse.Namespace) -> int:
    import torch

    from training.recsys.report import mean_sd
    from training.recsys.runs import load_tables
    from training.recsys.validation import validate

    torch.set_num_threads(args.threads)
    overrides = dict(args.set)
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if not _settings_fit(args.model, overrides):
        return 2
    seeds = args.seeds or [args.seed]
    tables = load_tables(args.data)
    if args.jsonl:
        Path(args.jsonl).parent.mkdir(parents=True, exist_ok=True)
    scores = []
    for seed in seeds:
        result = validate(args.model, overrides, tables, seed, args.validation_ratio)
        metrics = result["metrics"]
        scores.append(metrics[NDCG_AT_10])
        print(
            f"{args.model} {json.dumps(overrides)} seed {seed}: "
            f"validation ({args.validation_ratio:g} of train) "
            f"nDCG@10 {metrics[NDCG_AT_10]:.4f} MAP@10 {metrics[MAP_AT_10]:.4f} "
            f"P@10 {metrics[PRECISION_AT_10]:.4f} R@10 {metrics[RECALL_AT_10]:.4f} "
            f"train {result[TRAIN_SECONDS]:.1f}s",
            flush=True,
        )
        if args.jsonl:
            with open(args.jsonl, "a") as log:
                log.write(json.dumps({**result, "seed": seed, "overrides": overrides}) + "\n")
    if len(seeds) > 1:
        print(f"validation nDCG@10 over {len(seeds)} training seeds: {mean_sd(scores)}")
    return 0


def _parse_share(text: str) -> float:
    """A share strictly between 0 and 1 (both parts of a split must hold ratings)."""
    try:
        share = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < share < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return share


def _parse_seeds(text: str) -> list[int]:
    """``42,43,44``: distinct integers (a repeated seed would count one run twice)."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"each training seed once, got {text!r}")
    return seeds


def _cmd_train(args: argparse.Namespace) -> int:
    import torch

    from training.pipeline import TrainConfig, train_and_evaluate
    from training.recsys.runs import load_tables

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    if out.exists():
        print(f"{out} already exists; choose a new directory (artifacts are immutable)")
        return 2
    settings = dict(args.set)
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    if not _settings_fit(args.model, settings):
        return 2
    users, movies, ratings = load_tables(args.data)
    config = TrainConfig.for_model(args.model, **{"seed": args.seed, **settings})
    print(json.dumps(config.to_dict()))
    result = train_and_evaluate(users, movies, ratings, config, out)
    print(json.dumps({k: round(v, 4) for k, v in result.metrics.items()}, indent=2))
    print(f"artifact written to {result.artifact_path}")
    return 0


def _cmd_bench_serving(args: argparse.Namespace) -> int:
    from training.recsys.serving_bench import run_serving_benchmark

    run_serving_benchmark(
        Path(args.artifact), n_synthetic=args.synthetic_items, repeats=args.repeats
    )
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from training.recsys.plots import plot_benchmark

    for path in plot_benchmark(Path(args.json), Path(args.out_dir)):
        print(f"wrote {path}")
    return 0


def _parse_model_pair(text: str) -> tuple[str, str]:
    names = [name.strip() for name in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise argparse.ArgumentTypeError(
            f"expected two different models as FIRST,SECOND, got {text!r}"
        )
    return names[0], names[1]


def _cmd_seeds(args: argparse.Namespace) -> int:
    from training.recsys.report import seed_comparison

    first, second = args.models
    print(seed_comparison([Path(p) for p in args.json], first, second))
    return 0


def _cmd_anchors(args: argparse.Namespace) -> int:
    from training.recsys.report import anchor_table

    anchors = [name.strip() for name in args.anchors.split(",") if name.strip()]
    print(anchor_table([Path(p) for p in args.json], args.served, anchors))
    return 0


def _cmd_energy(args: argparse.Namespace) -> int:
    from training.recsys.report import energy_table

    print(energy_table([Path(p) for p in args.json]))
    return 0


def _parse_floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas: {text}") from exc


def _parse_neighbours(text: str) -> list[int]:
    """``0,100,200``: neighbourhood sizes of the co-rating readout (0 = dense)."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if any(size < 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"neighbourhood sizes must be >= 0, got {text!r}")
    return sizes


def _parse_pair_settings(text: str) -> list[tuple[int, float]]:
    """``0:0,1000:3000``: (pair units, pair ridge) settings of the second-order readout."""
    try:
        settings = [(int(p), float(l2)) for p, l2 in (part.split(":") for part in text.split(","))]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected P:L2,... , got {text!r}") from None
    if any(p < 0 or (p > 0 and l2 <= 0) for p, l2 in settings):
        raise argparse.ArgumentTypeError(f"pairs >= 0 and a positive ridge with pairs: {text!r}")
    return settings


def _cmd_readout_sweep(args: argparse.Namespace) -> int:
    import torch

    from training.recsys.readout_sweep import (
        sweep_neighbours,
        sweep_pair_units,
        sweep_pair_units_alone,
        sweep_readout_alone,
        write_jsonl,
    )
    from training.recsys.runs import load_tables

    torch.set_num_threads(args.threads)
    tables = load_tables(args.data)
    for seed in args.seeds or [args.seed]:
        if args.pairs and args.readout_only:
            rows = sweep_pair_units_alone(tables, args.pairs, seed, args.validation_ratio)
            if args.jsonl:
                write_jsonl(rows, args.jsonl)
            continue
        if args.pairs:
            overrides = {} if args.epochs is None else {"epochs": args.epochs}
            rows = sweep_pair_units(tables, args.pairs, seed, args.validation_ratio, overrides)
            if args.jsonl:
                write_jsonl(rows, args.jsonl)
            continue
        if args.readout_only:
            rows = sweep_readout_alone(tables, args.neighbours, seed, args.validation_ratio)
            if args.jsonl:
                write_jsonl(rows, args.jsonl)
            continue
        overrides = {} if args.epochs is None else {"epochs": args.epochs}
        rows = sweep_neighbours(
            tables, args.neighbours, seed, args.validation_ratio, overrides, args.protocol
        )
        if args.jsonl:
            write_jsonl(rows, args.jsonl)
    return 0


def _cmd_data_parallel(args: argparse.Namespace) -> int:
    from training.data_parallel import compare, job_from

    reports = compare(args.procs, job_from(args))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(reports, indent=2))
    return 0


def _cmd_scale_retrain(args: argparse.Namespace) -> int:
    from training.recsys.scale_retrain import run_scale_retrain

    run_scale_retrain(
        n_ratings=args.ratings,
        workers=args.workers,
        epochs=args.epochs,
        max_batches=args.max_batches,
        eval_users=args.eval_users,
        seed=args.seed,
        settings=dict(args.set),
        threads=args.threads,
        json_path=args.json,
        ranks=args.ranks,
        device=args.device,
    )
    return 0


def _cmd_scale(args: argparse.Namespace) -> int:
    from training.recsys.scale import run_scale

    run_scale(
        n_ratings=args.ratings,
        n_users=args.users,
        n_items=args.items,
        neighbours=args.neighbours,
        tower_batches=args.tower_batches,
        seed=args.seed,
        json_path=args.json,
        tower_settings=dict(args.set),
        with_readout=not args.no_readout,
        full_epoch=args.full_epoch,
    )
    return 0


def _cmd_taste(args: argparse.Namespace) -> int:
    """Serving-time taste settings and the genre prior, scored on the validation split."""
    import torch

    from recsys.models.config import TrainConfig
    from recsys.serving import load_recommender
    from recsys.serving.taste import DEFAULT_TASTE
    from training.pipeline import train_and_evaluate
    from training.recsys.runs import load_tables
    from training.recsys.taste_sweep import (
        candidate_settings,
        genre_prior_curve,
        paired_difference,
        run,
        validation_visitors,
    )

    torch.set_num_threads(args.threads)
    users, movies, ratings = load_tables(args.data)
    artifact = Path(args.artifact) if args.artifact else None
    if artifact is None or not artifact.exists():
        artifact = artifact or Path(tempfile.mkdtemp(prefix="spikelens-validation-")) / "model"
        print(f"training the default model on the validation split into {artifact}")
        train = stratified_split(ratings, 0.75, args.split_seed).train
        config = TrainConfig(train_ratio=args.validation_ratio, split_seed=args.split_seed)
        train_and_evaluate(users, movies, train, config, artifact)
    recommender = load_recommender(artifact)
    visitors = validation_visitors(users, ratings, args.split_seed, args.validation_ratio)
    log = Path(args.jsonl) if args.jsonl else None
    rows = run(recommender, visitors, log)
    columns = (LIKED_NDCG_AT_10, NDCG_AT_10, DISLIKED_AT_10, MATCH_AUC, MATCH_BRIER_SKILL)
    print("spikes by stars (1..5)          bag>=  " + "  ".join(columns))
    for row in sorted(rows, key=lambda r: -r[LIKED_NDCG_AT_10]):
        settings = row["settings"]
        print(
            f"{str(settings['spikes_by_stars']):32s} {settings['bag_min_stars']:.0f}     "
            + "  ".join(f"{row[c]:.4f}" for c in columns)
        )
    served, implicit = DEFAULT_TASTE, candidate_settings()[0]
    paired = paired_difference(recommender, visitors, served, implicit)
    print(
        f"served − implicit liked_ndcg@10: {paired['mean']:+.4f} "
        f"[{paired['low']:+.4f}, {paired['high']:+.4f}] (95% bootstrap over "
        f"{paired['people']} people)"
    )
    curve = genre_prior_curve(recommender, visitors, args.genre_half_evidence)
    print("genre prior, liked_ndcg@10 by ratings given (rows) and h (columns; 0 = no genres):")
    for n, by_h in curve.items():
        print(f"{n:3d}  " + "  ".join(f"h={h:g}: {v:.4f}" for h, v in by_h.items()))
    if log:
        with log.open("a") as handle:
            handle.write(json.dumps({"served_minus_implicit": paired}) + "\n")
            handle.write(json.dumps({"genre_prior": {str(n): v for n, v in curve.items()}}) + "\n")
    return 0


def _cmd_visitors(args: argparse.Namespace) -> int:
    """The visitors' journeys on a trained artifact (training/recsys/visitors.py)."""
    from recsys.features.schema import UserQuery
    from recsys.serving import load_recommender
    from training.recsys.runs import load_tables
    from training.recsys.visitors import run_journeys

    _, movies, ratings = load_tables(args.data)
    years = movies["year"].fillna(0).astype(int)
    by_title = {
        (t, int(y)): int(m) for m, t, y in zip(movies.movie_id, movies.title, years, strict=True)
    }
    genres = dict(zip(movies.movie_id.astype(int), movies.genres, strict=True))
    train = stratified_split(ratings, 0.75, args.split_seed).train
    people = [
        UserQuery(ratings=dict(zip(r.movie_id.astype(int), r.rating.astype(float), strict=True)))
        for _, r in train.groupby(USER_ID)
    ][:: args.every]
    journeys = run_journeys(
        load_recommender(Path(args.artifact)),
        lambda title, year: by_title[(title, year)],
        lambda movie_id: genres.get(int(movie_id), ()),
        people,
    )
    print("\n".join(journeys.lines()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.recsys", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data", help="MovieLens-100K folder/zip/wheel (default: cache or download)"
        )
        p.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="training seed (initialisation, batches, corruptions)",
        )
        p.add_argument(
            "--split-seed",
            type=int,
            default=DEFAULT_SEED,
            help="seed of the protocol's 75/25 split (42 = the published protocol; others check "
            "that a result holds on splits no setting was tuned on)",
        )
        p.add_argument("--epochs", type=int, default=None, help="override the model's epochs")
        p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        p.add_argument(
            "--set",
            type=_parse_setting,
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a setting: for a spiking model any TrainConfig setting by name "
            "(hidden=768 sets both towers) or dotted path (ranker.user.hidden=768); for a "
            "baseline a field of its config",
        )

    bench = sub.add_parser("benchmark", help="train + evaluate several models")
    bench.add_argument("--models", default="pop,itemknn,bpr,snn-bptt,snn-local,snn-local-linear")
    bench.add_argument("--json", required=True)
    common(bench)
    bench.set_defaults(func=_cmd_benchmark)

    train = sub.add_parser("train", help="train the default model and write an artifact")
    train.add_argument("--out", required=True)
    train.add_argument("--model", default="snn-local")
    common(train)
    train.set_defaults(func=_cmd_train)

    serving = sub.add_parser("bench-serving", help="top-k latency from a loaded artifact")
    serving.add_argument("--artifact", required=True)
    serving.add_argument("--synthetic-items", type=int, default=100_000)
    serving.add_argument("--repeats", type=int, default=500)
    serving.set_defaults(func=_cmd_bench_serving)

    plot = sub.add_parser("plot", help="plots from a benchmark JSON")
    plot.add_argument("--json", required=True)
    plot.add_argument("--out-dir", default="docs/results")
    plot.set_defaults(func=_cmd_plot)

    seeds = sub.add_parser(
        "seeds", help="compare two models over benchmark runs of several training seeds"
    )
    seeds.add_argument(
        "--json", nargs="+", required=True, help="benchmark JSON files, one per seed"
    )
    seeds.add_argument(
        "--models",
        type=_parse_model_pair,
        default=("bpr", "snn-local"),
        help="FIRST,SECOND (default bpr,snn-local)",
    )
    seeds.set_defaults(func=_cmd_seeds)

    anchors = sub.add_parser(
        "anchors",
        help="the served model against each anchor, per split, paired over training seeds",
    )
    anchors.add_argument("--json", nargs="+", required=True, help="benchmark JSON files")
    anchors.add_argument("--served", default="snn-local")
    anchors.add_argument("--anchors", default="ease+bpr,ann-twin,ials,ease")
    anchors.set_defaults(func=_cmd_anchors)

    energy = sub.add_parser(
        "energy", help="energy per recommendation of benchmarked models and the references"
    )
    energy.add_argument("--json", nargs="+", required=True, help="benchmark JSON files")
    energy.set_defaults(func=_cmd_energy)

    tune = sub.add_parser("validate", help="one tuning run on the validation split")
    tune.add_argument("--model", required=True)
    tune.add_argument("--jsonl", help="append the result to this JSON-lines log")
    tune.add_argument(
        "--validation-ratio",
        type=_parse_share,
        default=VALIDATION_RATIO,
        metavar="SHARE",
        help=f"share of the protocol's train part to train on (default {VALIDATION_RATIO}); "
        "the rest is scored",
    )
    tune.add_argument(
        "--seeds",
        type=_parse_seeds,
        metavar="S1,S2,...",
        help="one run per training seed, then their mean ± sd (overrides --seed): on the "
        "validation split one seed's luck moves nDCG@10 as much as most settings do",
    )
    common(tune)
    tune.set_defaults(func=_cmd_validate)

    sweep = sub.add_parser(
        "readout-sweep", help="co-rating readout neighbourhood sizes on the validation split"
    )
    sweep.add_argument("--neighbours", type=_parse_neighbours, default=[0, 50, 100, 200, 400])
    sweep.add_argument("--seeds", type=_parse_seeds, metavar="S1,S2,...")
    sweep.add_argument("--validation-ratio", type=_parse_share, default=VALIDATION_RATIO)
    sweep.add_argument("--jsonl", help="append one line per (seed, size) to this log")
    sweep.add_argument(
        "--protocol",
        action="store_true",
        help="score the protocol's test split instead (to report a size already chosen)",
    )
    sweep.add_argument(
        "--readout-only",
        action="store_true",
        help="the readout alone, no towers; --seeds then draw validation carve-outs",
    )
    sweep.add_argument(
        "--pairs",
        type=_parse_pair_settings,
        metavar="P:L2,...",
        help="instead of neighbourhood sizes: the second-order readout with P pair units and "
        "pair ridge L2 (0:0 = the linear readout), on the same towers per seed",
    )
    common(sweep)
    sweep.set_defaults(func=_cmd_readout_sweep)

    scale = sub.add_parser("scale", help="time and memory on a synthetic ML-25M-shaped table")
    scale.add_argument("--ratings", type=int, default=25_000_000)
    scale.add_argument("--users", type=int, help="default: ML-25M's, scaled with --ratings")
    scale.add_argument("--items", type=int, help="default: ML-25M's, scaled with --ratings")
    scale.add_argument("--neighbours", type=int, default=200)
    scale.add_argument(
        "--tower-batches", type=int, default=20, help="timed tower batches (then extrapolated)"
    )
    scale.add_argument("--seed", type=int, default=0)
    scale.add_argument("--json", help="write the figures here")
    scale.add_argument(
        "--set",
        type=_parse_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a TrainConfig setting for the timed towers (batch_size=1024, item_sample=8192)",
    )
    scale.add_argument(
        "--no-readout", action="store_true", help="time the towers only (no readout, no serving)"
    )
    scale.add_argument(
        "--full-epoch", action="store_true", help="also train one pair for a whole epoch, timed"
    )
    scale.set_defaults(func=_cmd_scale)

    retrain = sub.add_parser(
        "scale-retrain",
        help="a whole retraining on a synthetic ML-25M-shaped table, per stage, N workers",
    )
    retrain.add_argument("--ratings", type=int, default=1_000_000)
    retrain.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    retrain.add_argument("--epochs", type=int, default=1, help="reduced epochs")
    retrain.add_argument(
        "--max-batches", type=int, default=5, help="batches per epoch (0: whole epochs)"
    )
    retrain.add_argument("--eval-users", type=int, default=2000, help="seeded user sample")
    retrain.add_argument("--threads", type=int, default=1, help="torch threads per process")
    retrain.add_argument(
        "--ranks",
        type=int,
        nargs="+",
        default=[1],
        help="data-parallel processes per member, each count in turn (global batch unchanged)",
    )
    retrain.add_argument(
        "--device", default="cpu", help="where ranked members train: cpu, or cuda (a GPU a rank)"
    )
    retrain.add_argument("--seed", type=int, default=0)
    retrain.add_argument("--json", help="write the figures here")
    retrain.add_argument(
        "--set",
        type=_parse_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a TrainConfig setting (batch_size=1024)",
    )
    retrain.set_defaults(func=_cmd_scale_retrain)

    from training.data_parallel import add_arguments

    parallel = sub.add_parser(
        "data-parallel",
        help="one tower pair trained by 1, 2, … torch.distributed processes, timed",
    )
    parallel.add_argument(
        "--procs", type=int, nargs="+", default=[1, 2], help="process counts, in turn"
    )
    add_arguments(parallel)
    parallel.set_defaults(func=_cmd_data_parallel)

    taste = sub.add_parser(
        "taste", help="score serving-time taste settings on the validation split"
    )
    taste.add_argument("--artifact", help="a model trained on the validation split (else trained)")
    taste.add_argument("--jsonl", help="append one line per setting to this log")
    taste.add_argument(
        "--genre-half-evidence", type=_parse_floats, default=[0.0, 0.05, 0.1, 0.25, 0.5, 1.0]
    )
    taste.add_argument("--validation-ratio", type=_parse_share, default=VALIDATION_RATIO)
    taste.add_argument("--split-seed", type=int, default=DEFAULT_SEED)
    taste.add_argument("--threads", type=int, default=2)
    taste.add_argument("--data")
    taste.set_defaults(func=_cmd_taste)

    visitors = sub.add_parser("visitors", help="visitors' journeys on a trained artifact")
    visitors.add_argument("--artifact", required=True)
    visitors.add_argument("--every", type=int, default=9, help="check reasons of every n-th person")
    visitors.add_argument("--split-seed", type=int, default=DEFAULT_SEED)
    visitors.add_argument("--data")
    visitors.set_defaults(func=_cmd_visitors)

    one = sub.add_parser("run-model", help=argparse.SUPPRESS)
    one.add_argument("--model", required=True)
    one.add_argument("--json", required=True)
    common(one)
    one.set_defaults(func=_cmd_run_model)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
