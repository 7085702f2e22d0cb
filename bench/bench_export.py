"""Benchmark: the responses export (CSV, XLSX, SPSS) of a large campaign, against pandas' own writers.

    .venv/bin/python bench/bench_export.py [--responses 50000] [--items 40] [--repeat 1]

A fresh SQLite file with one campaign of ``--responses`` imported responses × ``--items`` Likert
items (bench_survey_bulk's instrument and data). What is timed, each from the stored campaign:

* prepare: ``surveys.exports.prepare_export`` (read, unpack, flags, the frame the files are written from);
* csv / xlsx / sav: ``export_bytes`` for each format (what the download buttons and the CLI write);
* the obvious alternatives on the same prepared frame: ``DataFrame.to_csv`` and
  ``DataFrame.to_excel`` (openpyxl) — the ratio is theirs over ours;
* the reporting threshold of an export for non-administrators: which demographic columns can stay so
  that no (group × answers) class has fewer than k rows — the classes counted once per candidate
  set of columns — against counting them on a joined string per row, on ``--responses`` rows of four
  groups and three demographic questions (5, 15 and 3 options; one combination made rare so that a
  column has to go).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_survey_bulk import bench_instrument, responses_csv  # noqa: E402

from itcap.migrate import upgrade  # noqa: E402
from itcap.storage import dispose_engines, session_scope  # noqa: E402
from surveys import campaigns  # noqa: E402
from surveys.exports import export_bytes, prepare_export  # noqa: E402
from surveys.imports import import_responses  # noqa: E402
from surveys.store import save_instrument  # noqa: E402


def bench_threshold(n: int, repeat: int) -> None:
    import numpy as np
    import pandas as pd

    from surveys import exports

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"group": rng.choice(["corporate", "operations", "customer", "it"], n),
                          "band": rng.choice(list("abcde"), n), "directorate": rng.choice([f"d{i}" for i in range(15)], n),
                          "role": rng.choice(list("xyz"), n)})
    frame.loc[:2, "directorate"] = "rare"  # three people alone in their directorate: a column must go
    columns = ["band", "directorate", "role"]

    def joined_strings(cols):  # the obvious count: a string per row, its class sizes by value_counts
        if not cols:
            return 0
        keys = frame[["group", *cols]].astype(str).agg("|".join, axis=1)
        return int((keys.map(keys.value_counts()) < 5).sum())

    ours, result = timed(lambda: exports._anonymous_choice_columns(frame, columns, 5), repeat)
    theirs, expected = timed(lambda: exports._anonymous_choice_columns(frame, columns, 5, small_rows=joined_strings), repeat)
    assert result == expected, (result, expected)
    print(f"threshold (columns kept {result[0]}, left out {result[1]}) on {n:,} rows: {ours:.3f} s; "
          f"joined strings {theirs:.2f} s → ratio {theirs / ours:.0f}×")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        upgrade(url)
        with session_scope(url) as s:
            record = save_instrument(s, bench_instrument(args.items), actor="bench")
            campaign_id = campaigns.create_campaign(s, instrument_id=record.id, name="bench", actor="bench").id
        with session_scope(url) as s:
            import_responses(s, campaign_id, responses_csv(args.responses, args.items), actor="bench", where="bench.csv")

        def prepare():
            with session_scope(url) as s:
                return prepare_export(s, campaign_id, privileged=True)

        seconds, data = timed(prepare, args.repeat)
        cells = data.frame.shape[0] * data.frame.shape[1]
        print(f"{args.responses:,} responses × {args.items} items ({cells:,} cells); prepare_export {seconds:.2f} s")
        ours = {}
        for fmt in ("csv", "xlsx", "sav"):
            ours[fmt], payload = timed(lambda fmt=fmt: export_bytes(data, fmt), args.repeat)
            print(f"  {fmt:<4} {ours[fmt]:6.2f} s  {len(payload) / 1e6:6.1f} MB  ({cells / ours[fmt] / 1e6:.2f} M cells/s)")
        pandas_csv, _ = timed(lambda: data.frame.to_csv(index=False), args.repeat)
        pandas_xlsx, _ = timed(lambda: data.frame.to_excel(io.BytesIO(), index=False, engine="openpyxl"), args.repeat)
        print(f"  pandas to_csv {pandas_csv:.2f} s → ratio {pandas_csv / ours['csv']:.2f}×; "
              f"pandas to_excel (openpyxl) {pandas_xlsx:.2f} s → ratio {pandas_xlsx / ours['xlsx']:.2f}×")
        bench_threshold(args.responses, args.repeat)
        dispose_engines()


if __name__ == "__main__":
    main()
