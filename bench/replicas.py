"""Benchmark: the canonical 9 x 30 grid, one model at a time and as replicas.

Trains the nine canonical configurations of the course (three losses for
each of the three problems) with 30 seeds each, twice:

- one model at a time, the way a tutorial does it: ``models.build(...)`` and
  Keras' ``model.fit(x_train, y_train, batch_size=32, shuffle=True,
  validation_data=(x_test, y_test))`` per model. This path takes 5 to 30 s
  per model on two cores (an hour or more for the grid), so by default it is
  timed on one seed per configuration and extrapolated to the grid
  (``--keras-seeds`` changes that);
- with :func:`lossbook.replicas.fit`, all 30 seeds of a configuration at once,
  the whole grid.

For context it also times :func:`lossbook.training.fit` (the course's fast
single-model path) on the same subset as the Keras path.

Each path runs in a fresh Python process, so that its peak memory
(``ru_maxrss``) is its own. The last line is exactly::

    per-model speedup: <N>x; grid: <seconds> s

where the speedup compares the seconds per model of the two paths and
``grid`` is the wall time of the whole grid with replicas (tracing included,
TensorFlow's import excluded, as for the other path). The exit status is 1
when a target is missed: grid under 60 s, speedup at least 100x, peak memory
under 3 GiB.

The losses of chapters 12 to 15 (``LATER_LOSS_NAMES``) are trained as replicas
too, on their task's canonical experiment (Poisson on the positive, skewed
regression target), and reported after the grid; they are not part of the
grid or its targets. ``python bench/replicas.py --phase later SEEDS`` runs that phase
alone and prints its JSON report. The ``precision`` phase times two
multi-class configurations in float32 and in float64
(``replicas.fit(dtype=...)``), the cost of the double precision chapter 14
trains in; it is not part of the targets either.

Run it with ``make bench``, or ``python bench/replicas.py --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

#: The nine canonical configurations: three losses per task, with the task's
#: canonical experiment (lossbook.registry.EXPERIMENTS).
LOSS_NAMES = [
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mean_absolute_error",
    "binary_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
]


#: The losses of chapters 12 to 15, each with its task's canonical experiment; reported apart from the grid.
LATER_LOSS_NAMES = [
    "pinball_loss",
    "poisson",
    "gaussian_nll",
    "weighted_binary_crossentropy",
    "binary_focal_crossentropy",
    "label_smoothed_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "generalized_cross_entropy",
    "symmetric_cross_entropy",
    "classification_mae",
]
#: Learning rates other than the canonical 0.01: at 0.01 the Gaussian NLL's learned variance diverges on some
#: seeds of the canonical regression problem (1 of 30 ends in NaN); chapter 12 chose 0.0002 on validation.
LATER_RATES = {"gaussian_nll": 0.0002}

#: The configurations timed in both precisions: chapter 14 trains in float64 so that its figures do not depend on
#: the processor's instruction set; this is what that costs.
PRECISION_LOSS_NAMES = ["categorical_crossentropy", "label_smoothed_categorical_crossentropy"]


def _configs(names=LOSS_NAMES):
    """(task, loss, hidden units, epochs, number of classes) of each configuration."""
    from lossbook import registry

    rows = []
    for loss in names:
        experiment = registry.EXPERIMENTS[registry.LOSSES[loss].task]
        rows.append((experiment.task, loss, experiment.hidden, experiment.epochs, experiment.n_classes))
    return rows


#: The learning-rate sweep of chapter 11: every loss it compares, 8 rates, the seeds of the grid, each
#: loss's 240 networks in one replicas.fit call with a learning rate per replica.
SWEEP_LOSSES = [
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mean_absolute_error",
    "huber",
    "log_cosh",
    "binary_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_crossentropy",
    "kl_divergence",
]
SWEEP_RATES = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]

TARGETS = {"grid_seconds": 60.0, "speedup": 100.0, "peak_gib": 3.0, "sweep_seconds": 60.0}


def _split(task, loss):
    """The canonical split of a task, its labels in the format the loss expects (counts need positive targets)."""
    from lossbook import data, registry

    if registry.LOSSES[loss].targets == "non-negative":
        return data.positive_skewed_regression()
    return data.for_loss(data.canonical(task), loss)


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------------------
# The phases, each run in its own process
# ---------------------------------------------------------------------------


def phase_replicas(seeds, names=LOSS_NAMES, rates=None, dtype="float32"):
    import lossbook

    lossbook.setup(keras=True)
    from lossbook import replicas

    rows = []
    start = time.perf_counter()
    for problem, loss, hidden, epochs, n_classes in _configs(names):
        t0 = time.perf_counter()
        runs = replicas.fit(
            loss,
            _split(problem, loss),
            hidden=hidden,
            epochs=epochs,
            replicas=seeds,
            n_classes=n_classes,
            progress=False,
            dtype=dtype,
            **({"learning_rate": rates[loss]} if rates and loss in rates else {}),
        )
        metric = runs.metrics[0]
        final = runs.final()["test"][metric]
        rows.append(
            {
                "loss": loss,
                "seconds": time.perf_counter() - t0,
                "metric": metric,
                "mean": float(final.mean()),
                "sd": float(final.std(ddof=1)) if seeds > 1 else 0.0,
            }
        )
    return {"seconds": time.perf_counter() - start, "models": seeds * len(names), "rows": rows, "peak_mib": _peak_mib()}


def _print_rows(rows, seeds, *, width):
    """One line per loss of a replicas phase: its time and its final test metric over the seeds."""
    for row in rows:
        print(
            f"  {row['loss']:<{width}} {row['seconds']:6.2f} s   final test {row['metric']} "
            f"{row['mean']:.4g} +- {row['sd']:.2g} (sd over {seeds} seeds)"
        )


def phase_later(seeds):
    """The losses of chapters 12 to 15 as replicas, each on its task's canonical experiment."""
    return phase_replicas(seeds, LATER_LOSS_NAMES, LATER_RATES)


def phase_precision(seeds):
    """The canonical multi-class configurations in single and in double precision (``replicas.fit(dtype=...)``)."""
    return {dtype: phase_replicas(seeds, PRECISION_LOSS_NAMES, dtype=dtype) for dtype in ("float32", "float64")}


def phase_sweep(seeds):
    """Chapter 11's sweep: per loss, every rate x seed on the validation split in one call."""
    import numpy as np

    import lossbook

    lossbook.setup(keras=True)
    from lossbook import data, registry, replicas

    rates = np.asarray(SWEEP_RATES)
    start = time.perf_counter()
    for loss in SWEEP_LOSSES:
        experiment = registry.EXPERIMENTS[registry.LOSSES[loss].task]
        split = data.validation(_split(experiment.task, loss), fraction=0.2, seed=0)
        replicas.fit(
            loss,
            split,
            replicas=rates.size * seeds,
            seeds=np.tile(np.arange(seeds), rates.size),
            learning_rate=np.repeat(rates, seeds),
            progress=False,
            **experiment.settings,
        )
    models = len(SWEEP_LOSSES) * rates.size * seeds
    return {"seconds": time.perf_counter() - start, "models": models, "peak_mib": _peak_mib()}


def phase_one_at_a_time(seeds, how):
    import lossbook

    lossbook.setup(keras=True)
    from lossbook import models, training

    rows = []
    start = time.perf_counter()
    for problem, loss, hidden, epochs, n_classes in _configs():
        split = _split(problem, loss)
        t0 = time.perf_counter()
        for seed in range(seeds):
            model = models.build(loss, n_inputs=split.n_features, hidden=hidden, n_classes=n_classes, seed=seed)
            if how == "keras":
                model.fit(
                    split.x_train,
                    split.y_train,
                    batch_size=32,
                    epochs=epochs,
                    shuffle=True,
                    validation_data=(split.x_test, split.y_test),
                    verbose=0,
                )
            else:
                training.fit(model, split, epochs=epochs, seed=seed)
        rows.append({"loss": loss, "seconds_per_model": (time.perf_counter() - t0) / seeds})
    return {"seconds": time.perf_counter() - start, "models": seeds * len(LOSS_NAMES), "rows": rows, "peak_mib": _peak_mib()}


def _run_phase(args):
    """Run one phase in a fresh interpreter; return its JSON report."""
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--phase", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"benchmark phase {' '.join(args)} failed (exit {result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30, help="seeds per configuration in the grid (default 30)")
    parser.add_argument(
        "--keras-seeds",
        type=int,
        default=1,
        help="seeds per configuration actually timed one model at a time (default 1; extrapolated to --seeds)",
    )
    parser.add_argument("--phase", nargs=2, metavar=("NAME", "SEEDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        name, seeds = args.phase[0], int(args.phase[1])
        phases = {"replicas": phase_replicas, "sweep": phase_sweep, "later": phase_later, "precision": phase_precision}
        report = phases[name](seeds) if name in phases else phase_one_at_a_time(seeds, name)
        print(json.dumps(report))
        return 0

    if args.seeds < 1 or not 1 <= args.keras_seeds <= args.seeds:
        parser.error("need --seeds >= 1 and 1 <= --keras-seeds <= --seeds")
    grid_models = args.seeds * len(LOSS_NAMES)
    load = os.getloadavg()
    print(f"lossbook replicas benchmark: {len(LOSS_NAMES)} configurations x {args.seeds} seeds = {grid_models} models")
    print(
        f"CPU: {os.cpu_count()} cores, load average {load[0]:.2f} (1 min) at start. Timings are wall clock; "
        "on a shared machine they are noisy and the one-at-a-time path suffers more."
    )
    print()

    rep = _run_phase(["replicas", str(args.seeds)])
    print(f"replicas: the whole grid, {args.seeds} replicas per lossbook.replicas.fit call")
    _print_rows(rep["rows"], args.seeds, width=32)
    per_model_rep = rep["seconds"] / rep["models"]
    print(f"  grid {rep['seconds']:.1f} s = {1000 * per_model_rep:.1f} ms per model; peak memory {rep['peak_mib']:.0f} MiB")
    print()

    later = _run_phase(["later", str(args.seeds)])
    print(f"losses of chapters 12 to 15 (not in the grid or its targets): {args.seeds} replicas per lossbook.replicas.fit call")
    _print_rows(later["rows"], args.seeds, width=40)
    print()

    precision = _run_phase(["precision", str(args.seeds)])
    single, double = precision["float32"], precision["float64"]
    print(f"precision (not in the targets): {', '.join(PRECISION_LOSS_NAMES)}, {args.seeds} replicas each")
    print(
        f"  float32 {single['seconds']:.2f} s, float64 {double['seconds']:.2f} s: double precision takes "
        f"{double['seconds'] / single['seconds']:.2f}x the time"
    )
    print()

    sweep = _run_phase(["sweep", str(args.seeds)])
    print(
        f"sweep: {len(SWEEP_LOSSES)} losses x {len(SWEEP_RATES)} learning rates x {args.seeds} seeds = "
        f"{sweep['models']} models in {sweep['seconds']:.1f} s = {sweep['models'] / sweep['seconds']:.0f} models per "
        f"second (one replicas.fit call per loss); peak memory {sweep['peak_mib']:.0f} MiB"
    )
    print()

    subset = args.keras_seeds * len(LOSS_NAMES)
    one = {}
    for how, title in (("keras", "Keras model.fit"), ("training", "lossbook.training.fit")):
        report = _run_phase([how, str(args.keras_seeds)])
        estimate = sum(row["seconds_per_model"] * args.seeds for row in report["rows"])
        one[how] = (report, estimate)
        print(
            f"one model at a time with {title}: timed on a subset, {args.keras_seeds} seed(s) per configuration "
            f"({subset} of {grid_models} models), extrapolated to the grid"
        )
        for row in report["rows"]:
            print(f"  {row['loss']:<32} {row['seconds_per_model']:6.2f} s per model")
        print(
            f"  measured {report['seconds']:.1f} s for {subset} models; grid estimate {estimate:.0f} s "
            f"= {estimate / grid_models:.2f} s per model; peak memory {report['peak_mib']:.0f} MiB"
        )
        print()

    keras_estimate = one["keras"][1]
    speedup = keras_estimate / rep["seconds"]
    speedup_training = one["training"][1] / rep["seconds"]
    peak_gib = max(rep["peak_mib"], sweep["peak_mib"], *(r["peak_mib"] for r, _ in one.values())) / 1024
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} (1 min) at the end")
    print(f"per-model speedup over lossbook.training.fit one at a time: {speedup_training:.0f}x")
    checks = [
        (f"grid {rep['seconds']:.1f} s < {TARGETS['grid_seconds']:.0f} s", rep["seconds"] < TARGETS["grid_seconds"]),
        (f"speedup {speedup:.0f}x >= {TARGETS['speedup']:.0f}x", speedup >= TARGETS["speedup"]),
        (f"sweep {sweep['seconds']:.1f} s < {TARGETS['sweep_seconds']:.0f} s", sweep["seconds"] < TARGETS["sweep_seconds"]),
        (f"peak memory {peak_gib:.2f} GiB < {TARGETS['peak_gib']:.0f} GiB", peak_gib < TARGETS["peak_gib"]),
    ]
    print("targets: " + "; ".join(f"{text} {'ok' if ok else 'MISSED'}" for text, ok in checks))
    print(f"per-model speedup: {speedup:.0f}x; grid: {rep['seconds']:.1f} s")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
