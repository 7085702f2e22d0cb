"""Benchmark: the full group comparison on 50,000 respondents × 40 items against the obvious
alternative, a per-item pingouin loop (mwu, ttest, tost, compute_effsize).

    .venv/bin/python bench/bench_analysis.py [--respondents 50000] [--items 40] [--subset 20000] [--repeat 5] [--skip-pingouin]

What is timed
-------------
* engine: ``surveys.stats.compare_groups`` on a DataFrame — validation, every item (n/mean/sd/
  median, Welch t, Hedges' g + CI, Mann–Whitney U + rank-biserial, TOST, Holm and BH), 8 scales
  (scale scores with reverse coding, the same tests) and Cronbach's α per scale overall and per group
  with item–total correlations and α-if-deleted. Best and median of ``--repeat`` runs.
* end to end: CSV text → ``read_responses_csv`` → ``compare_groups`` (what ``itcap analyze`` does
  after reading the file).
* peak memory: ``tracemalloc`` peak of one engine run (Python and NumPy allocations made during the
  call, excluding the input frame that already existed), and the process's ``ru_maxrss`` after the
  engine runs (everything the process ever held: interpreter, libraries, data, engine).
* pingouin loop, per item: ``pg.mwu(x, y, method="asymptotic")``, ``pg.ttest(x, y,
  correction=True)``, ``pg.tost(x, y, bound=m, correction=True)``, ``pg.compute_effsize(x, y,
  eftype="hedges")``. ``pg.mwu`` builds the n_A × n_B matrix of differences (30,000 × 20,000
  doubles ≈ 4.8 GB per item at full size), so the loop is **run on a subset** of ``--subset``
  respondents (all items; default 20,000, where pg.mwu allocates ≈ 0.8 GB per item) and the engine
  is run on the same subset for a measured like-for-like ratio. The full-size time of the loop is
  then extrapolated from two subset sizes (subset/2 and subset): the mwu part scales with n_A·n_B
  (fitted a + b·n²), the other three with n (fitted a + b·n). Results on the subset are
  checked against the engine to 1e-9.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.analysis_input import read_responses_csv  # noqa: E402
from surveys.instrument import parse_instrument  # noqa: E402
from surveys.stats import compare_groups  # noqa: E402

MARGIN = 0.5


def bench_instrument(n_items: int, n_scales: int = 8):
    per = max(2, n_items // n_scales)
    lines = [
        "id: bench", "name: Benchmark instrument", "groups:",
        "  - {id: business, name: Business users}", "  - {id: it, name: IT staff}",
        "response_scales:", "  - id: agree", "    min: 1", "    max: 5",
        "    labels: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}",
        "scales:",
    ]
    n_scales = n_items // per
    lines += [f"  - {{id: s{j}, name: Scale {j}}}" for j in range(n_scales)]
    lines += ["sections:", "  - id: main", "    title: Main", "    items:"]
    for i in range(n_items):
        reverse = "true" if i % per == per - 1 else "false"
        scale = f", scale: s{i // per}" if i // per < n_scales else ""
        lines.append(f"      - {{id: q{i:02d}, type: likert, text: Item {i}, response_scale: agree{scale}, reverse: {reverse}}}")
    return parse_instrument("\n".join(lines), "<bench instrument>")


def bench_frame(n: int, n_items: int, missing: float = 0.02, seed: int = 1, per: int = 5) -> pd.DataFrame:
    """Two groups (60/40), 5-point Likert answers with a common factor per scale (so α is
    realistic), the last item of each scale reverse-keyed, a group difference of 0.7 points on every
    8th item and 0.35 on every 8th + 4th,
    ``missing`` of the answers blank."""
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.6, "business", "it")
    latent = rng.normal(size=(n, -(-n_items // per))).repeat(per, axis=1)[:, :n_items]
    # most items: no difference (equivalent); every 8th: 0.7 points (differs); every 8th + 4: 0.35
    shift = np.select([np.arange(n_items) % 8 == 0, np.arange(n_items) % 8 == 4], [0.7, 0.35], 0.0)
    raw = 3 + 0.8 * latent + rng.normal(size=(n, n_items)) + (group == "it")[:, None] * shift
    reverse = np.arange(n_items) % per == per - 1
    raw[:, reverse] = 6 - raw[:, reverse]
    x = np.clip(np.round(raw), 1, 5)
    x[rng.random(x.shape) < missing] = np.nan
    frame = pd.DataFrame(x, columns=[f"q{i:02d}" for i in range(n_items)])
    frame.insert(0, "group", group)
    return frame


def time_engine(frame, inst, repeat: int) -> tuple[list[float], dict]:
    times = []
    doc = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        doc = compare_groups(frame, inst, "group", margin=MARGIN)
        times.append(time.perf_counter() - start)
    return times, doc


def pingouin_loop(frame, items: list[str]) -> tuple[dict, dict]:
    import pingouin as pg

    a = frame[frame.group == "business"]
    b = frame[frame.group == "it"]
    seconds = {"mwu": 0.0, "ttest": 0.0, "tost": 0.0, "effsize": 0.0}
    results = {}
    for item in items:
        x = a[item].dropna().to_numpy()
        y = b[item].dropna().to_numpy()
        t0 = time.perf_counter()
        mwu = pg.mwu(x, y, method="asymptotic")
        t1 = time.perf_counter()
        tt = pg.ttest(x, y, correction=True)
        t2 = time.perf_counter()
        tost = pg.tost(x, y, bound=MARGIN, correction=True)
        t3 = time.perf_counter()
        g = pg.compute_effsize(x, y, eftype="hedges")
        t4 = time.perf_counter()
        seconds["mwu"] += t1 - t0
        seconds["ttest"] += t2 - t1
        seconds["tost"] += t3 - t2
        seconds["effsize"] += t4 - t3
        results[item] = {
            "mwu_u": mwu["U_val"].iloc[0], "mwu_p": mwu["p_val"].iloc[0], "rank_biserial_abs": abs(mwu["RBC"].iloc[0]),
            "welch_t": tt["T"].iloc[0], "welch_df": tt["dof"].iloc[0], "welch_p": tt["p_val"].iloc[0],
            "tost_p": tost["pval"].iloc[0], "hedges_g": g,
        }
    return seconds, results


def max_difference(doc: dict, reference: dict) -> float:
    rows = {r["id"]: r for r in doc["items"]}
    worst = 0.0
    for item, ref in reference.items():
        row = rows[item]
        for key, value in ref.items():
            ours = abs(row["rank_biserial"]) if key == "rank_biserial_abs" else row[key]
            worst = max(worst, abs(float(ours) - float(value)) / max(1.0, abs(float(value))))
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--subset", type=int, default=20_000, help="respondents for the pingouin loop (default 20,000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-pingouin", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    inst = bench_instrument(args.items)
    frame = bench_frame(args.respondents, args.items)
    item_ids = [c for c in frame.columns if c != "group"]
    print(f"data: {args.respondents:,} respondents × {args.items} items, 5-point Likert, 2% missing, "
          f"groups {dict(frame.group.value_counts())}, {len(inst.scales)} scales")

    compare_groups(frame, inst, "group")  # warm-up (imports, first-call costs)
    times, doc = time_engine(frame, inst, args.repeat)
    best, median = min(times), float(np.median(times))
    print(f"engine (compare_groups, items + scales + α): best {best:.3f} s, median {median:.3f} s over {args.repeat} runs"
          f"  [target < 1 s: {'met' if median < 1 else 'NOT met'}]")
    gc.collect()
    tracemalloc.start()
    compare_groups(frame, inst, "group")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    print(f"peak memory: tracemalloc peak during one engine run {peak / 1048576:.0f} MB; "
          f"process ru_maxrss so far {maxrss_mb:.0f} MB  [target < 1 GB: {'met' if maxrss_mb < 1024 else 'NOT met'}]")

    text = frame.to_csv(index=False)
    start = time.perf_counter()
    table = read_responses_csv(text, inst, "group", where="bench.csv")
    compare_groups(table, inst)
    print(f"end to end from CSV text ({len(text) / 1048576:.1f} MB): {time.perf_counter() - start:.3f} s "
          f"(read + validate + analyse)")
    alphas = [r["alpha"] for r in doc["scales"]]
    print(f"sanity: verdicts {pd.Series([r['verdict'] for r in doc['items']]).value_counts().to_dict()}, "
          f"α {min(alphas):.2f}–{max(alphas):.2f}")
    if args.skip_pingouin:
        return 0

    sizes = [args.subset // 2, args.subset]
    loop: dict[int, dict] = {}
    for n in sizes:
        part = frame.iloc[:n]
        seconds, reference = pingouin_loop(part, item_ids)
        loop[n] = seconds
        print(f"pingouin loop on a subset of {n:,} respondents × {len(item_ids)} items: {sum(seconds.values()):.2f} s "
              f"({', '.join(f'{k} {v:.2f} s' for k, v in seconds.items())})")
    part = frame.iloc[: args.subset]
    sub_times, sub_doc = time_engine(part, inst, args.repeat)
    worst = max_difference(sub_doc, reference)
    print(f"engine on the same subset: best {min(sub_times):.3f} s; largest relative difference from pingouin "
          f"{worst:.1e}  [{'agree to 1e-9' if worst < 1e-9 else 'DISAGREE'}]")
    measured_ratio = sum(loop[args.subset].values()) / min(sub_times)
    print(f"measured ratio on the subset: pingouin loop / engine = {measured_ratio:,.0f}×"
          f" (the engine also does scales and α; the loop does items only)")

    # extrapolate each part of the loop to the full size from the two subset sizes
    n1, n2 = sizes
    full = args.respondents
    estimate = 0.0
    for name in loop[n2]:
        t1, t2 = loop[n1][name], loop[n2][name]
        power = 2 if name == "mwu" else 1
        slope = max(0.0, (t2 - t1) / (n2**power - n1**power))
        intercept = max(0.0, t2 - slope * n2**power)
        estimate += intercept + slope * full**power
    mwu_gb = (frame.group == "business").sum() * (frame.group == "it").sum() * 8 / 1e9
    print(f"pingouin loop extrapolated to {full:,} × {len(item_ids)}: ≈ {estimate:,.0f} s "
          f"(mwu ∝ n², others ∝ n; pg.mwu would also allocate ≈ {mwu_gb:.1f} GB per item)")
    ratio = estimate / median
    print(f"ratio at full size: ≈ {ratio:,.0f}× faster  [target ≥ 100×: {'met' if min(ratio, measured_ratio) >= 100 else 'NOT met'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
