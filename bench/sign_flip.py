"""Speed of the sign-flip tests behind ``stats.judge(..., precise=True)``.

Times, on 30 seeds per claim and 100,000 sign patterns: one ``stats.sign_flip``
call; SciPy's ``permutation_test`` on the same claim with as many patterns, for
comparison; and ``stats.judge(precise=True)`` on a family of 10 claims at 30
permutation seeds, the load of the test that verdicts do not move with the seed.
Wall-clock times on a shared machine are noisy; the script prints the load
average beside them.

Run: ``.venv/bin/python bench/sign_flip.py``
"""

import os
import time

import numpy as np
from scipy import stats as scipy_stats

from lossbook import stats

PATTERNS, SEEDS, CLAIMS, RUNS = 100_000, 30, 10, 30


def timed(function, repeats=1):
    """Best wall-clock time of ``repeats`` calls, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    rng = np.random.default_rng(0)
    family = [(f"claim {k}", "better", rng.normal(0.002 * k, 0.01, RUNS), 0.005) for k in range(CLAIMS)]
    d = family[3][2]
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    one = timed(lambda: stats.sign_flip(d, n_resamples=PATTERNS), repeats=5)
    print(f"stats.sign_flip, {RUNS} seeds, {PATTERNS:,} patterns: {one * 1e3:.0f} ms")
    scipy_time = timed(
        lambda: scipy_stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=PATTERNS, random_state=0)
    )
    print(f"scipy.stats.permutation_test, same claim and patterns: {scipy_time * 1e3:.0f} ms")
    family_time = timed(lambda: [stats.judge(family, precise=True, seed=s) for s in range(SEEDS)])
    print(
        f"stats.judge(precise=True), {CLAIMS} claims x {SEEDS} permutation seeds: {family_time:.1f} s "
        f"({family_time / SEEDS * 1e3:.0f} ms per family)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
