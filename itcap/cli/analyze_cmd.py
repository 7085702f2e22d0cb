"""itcap analyze RESPONSES.csv --instrument FILE --group-col COL … — group comparison of survey
responses (DESIGN.md's CLI contract). The work is done by surveys.stats.compare_groups; this module
reads files, reports progress and prints."""

from __future__ import annotations

import argparse
import sys
import time

from itcap.cli.common import CliError, UsageError, check_output_folder, decode_csv_bytes, output_file, read_input_bytes, set_handler, whole_number, write_json
from surveys.limits import MIN_GROUP_SIZE_LIMITS

# Inputs with at least this many data rows get a progress indicator on stderr (always on a terminal).
PROGRESS_ROWS = 20_000


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyze", help="compare groups of survey respondents (items, scales, reliability, IPA)",
        description=(
            "Compare two (or more) groups of survey respondents (or describe one: --groups G) on every likert/numeric item and scale of the "
            "instrument: n, mean, sd, median; Welch t; Hedges' g with 95% CI; Mann–Whitney U and rank-biserial r; "
            "Holm and Benjamini–Hochberg adjusted p; TOST equivalence; a verdict (equivalent / differs / "
            "inconclusive); Cronbach's α per scale; importance–performance analysis. Three or more groups: "
            "Welch ANOVA and Kruskal–Wallis with Holm-corrected pairwise tests. Groups with fewer than K "
            "responses are suppressed. Methods: docs/statistics.md."),
        epilog=(
            "RESPONSES.csv: UTF-8, separated by commas (or semicolons or tabs), one row per respondent, the "
            "group column and one column per item id (blank, NA, N/A, NaN, #N/A or NULL = missing; likert cells may hold the "
            "option label); cells are read as 'itcap responses import' reads them, and rows with every cell empty "
            "are skipped (and counted), as there, but every likert and numeric item needs a column here (an import "
            "may leave some out). Column names are read in any letter case, as there. Columns that are neither items nor known "
            "metadata (response_id, submitted_on, duration_seconds, quality_flags, …) are errors unless listed "
            "in --ignore-cols; a response_id that appears twice is an error. Exit status: 0 success, 1 bad "
            "input, 2 usage error."),
    )
    p.add_argument("responses", metavar="RESPONSES.csv", help="responses file ('-' = stdin)")
    p.add_argument("--instrument", required=True, metavar="FILE", help="the survey instrument (YAML)")
    p.add_argument("--group-col", required=True, metavar="COL", help="the column holding each respondent's group")
    p.add_argument("--groups", nargs="+", metavar="G",
                   help="groups to compare, by id or name, A first (default: the instrument's first two groups with at "
                        "least K responses to analyse, as the dashboard and report; with fewer, the first two in the data, "
                        "reported as suppressed); "
                        "three or more give Welch ANOVA / Kruskal–Wallis (a group under k is suppressed; if two are "
                        "left, they are compared as a pair, and the JSON's 'compared' names them); one group gives that "
                        "group's own figures, as the dashboard shows them when there is nothing to compare (n, mean with "
                        "95%% CI, sd, median, α, IPA; no tests, no verdicts; the JSON's 'described' names it)")
    p.add_argument("--margin", type=_positive_float, default=0.5, metavar="M",
                   help="TOST equivalence margin in raw scale points (default 0.5); a numeric item uses the same M in "
                        "its own unit (±0.5 minutes for a 'minutes' item)")
    # The campaigns' range: k = 1 would suppress nothing, which the anonymity rules do not allow anywhere.
    p.add_argument("--min-group-size", type=whole_number(*MIN_GROUP_SIZE_LIMITS), default=5, metavar="K",
                   help=f"reporting threshold k: groups (and item answers) below it are suppressed (default 5; "
                        f"{MIN_GROUP_SIZE_LIMITS[0]}–{MIN_GROUP_SIZE_LIMITS[1]:,})")
    p.add_argument("--exclude-flagged", metavar="COL",
                   help="a data-quality flag column; rows where it is not blank are excluded (and counted)")
    p.add_argument("--ignore-cols", nargs="+", default=[], metavar="COL", help="non-item columns to skip")
    p.add_argument("--json", type=output_file, metavar="OUT", help="write the JSON document to OUT ('-' = stdout) instead of a table")
    p.add_argument("--quiet", action="store_true", help="no progress indicator")
    set_handler(p, _analyze)


class _Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"analyze [{time.perf_counter() - self.start:6.2f} s] {message}", file=sys.stderr, flush=True)


def _analyze(args: argparse.Namespace) -> int:
    from surveys.analysis_input import read_responses_csv
    from surveys.instrument import load_instrument_file
    from surveys.stats import analysable_counts, compare_groups

    if args.groups is not None:  # what the command line says, before any file is read
        repeated = sorted({g for g in args.groups if args.groups.count(g) > 1})
        if repeated:
            raise UsageError(f"--groups: {', '.join(repr(g) for g in repeated)} given more than once")

    if args.json:
        check_output_folder(args.json)  # before a long analysis, not after it
    instrument = load_instrument_file(args.instrument)
    if args.groups is not None:  # a name not in the instrument is a usage error, as a repeated one is
        from surveys.csv_text import did_you_mean

        known = {g.id.casefold() for g in instrument.groups} | {g.name.casefold() for g in instrument.groups}
        unknown = [g for g in args.groups if g.casefold() not in known]
        if unknown:
            choices = [*instrument.group_ids(), *(g.name for g in instrument.groups)]
            raise UsageError("; ".join(
                f"--groups: {g!r} is not a group of {args.instrument} ({', '.join(instrument.group_ids())}){did_you_mean(g, choices)}"
                for g in unknown))
    raw = read_input_bytes(args.responses)
    where = "<stdin>" if args.responses == "-" else args.responses
    text = decode_csv_bytes(raw, where)
    large = text.count("\n") >= PROGRESS_ROWS
    progress = _Progress(not args.quiet and (large or sys.stderr.isatty()))
    progress(f"reading {where} ({len(raw) / 1048576:.1f} MB)")
    table = read_responses_csv(
        text, instrument, args.group_col, where=where, flag_col=args.exclude_flagged, ignore_columns=args.ignore_cols,
    )
    if args.groups is not None and len(args.groups) == 1:
        return _describe_one(args, table, instrument, where, progress)
    document = compare_groups(
        table, instrument, groups=args.groups, margin=args.margin, min_group_size=args.min_group_size,
        where=where, progress=progress,
    )
    if len(document["groups"]) < 2:
        # (without --groups, the default pair falls short only when fewer than two groups have k responses)
        raise CliError([f"{where}: group {g!r}: {reason}; it is suppressed, so there is nothing to compare"
                        for g, reason in document["suppressed_reasons"].items()])
    if args.groups is None:  # the default took two groups: a third in the file must not go unmentioned
        present = set(table.frame[table.group_col].dropna())
        compared = set(document["compared"])
        others = [g for g in instrument.group_ids() if g in present and g not in compared]
        if others:
            listed = ", ".join(others)
            # suggest only groups that would be analysed (responses left after the exclusions, as the
            # analysis counts them): one under k would just be suppressed again
            counts = analysable_counts(table, instrument, args.exclude_flagged)
            large = [g for g in others if counts.get(g, 0) >= args.min_group_size]
            hint = (f"; name the groups to compare, e.g. --groups {' '.join([*document['compared'], *large])}" if large
                    else f" (each has fewer than {args.min_group_size} responses to analyse, so it would be suppressed)")
            print(f"note: the file also has group(s) {listed}, not compared: without --groups the instrument's first two "
                  f"groups with at least {args.min_group_size} responses are compared{hint}", file=sys.stderr)
    progress("writing results")
    if args.json:
        write_json(document, args.json)
        left_out = document["excluded"].get("out_of_range_values")
        if left_out:  # in the JSON too, but a number quietly treated as missing deserves a word
            print(f"note: {left_out} numeric answer(s) outside their item's range were treated as missing "
                  "(excluded.out_of_range_values)", file=sys.stderr)
    else:
        print_report(document)
    progress("done")
    return 0


# -- the human-readable report -------------------------------------------------------------------
def _differing_pairs(row: dict, letter: dict[str, str]) -> str:
    """The pairs that differ (surveys.stats.differing_pairs, as the app and the report read them),
    higher group first."""
    from surveys.stats import differing_pairs

    found = []
    for pair in differing_pairs(row):
        high, low = (pair["a"], pair["b"]) if pair["mean_diff"] > 0 else (pair["b"], pair["a"])
        found.append(f"{letter[high]}>{letter[low]}")
    return " ".join(found) if found else "none"


def _print_several_groups(document: dict, width: int, w) -> None:
    names = list(document["groups"])
    letters = [chr(ord("A") + i) if i < 26 else str(i + 1) for i in range(len(names))]  # a group's name may be long
    letter = dict(zip(names, letters))
    legend = ", ".join(f"{code} = {g}" for code, g in zip(letters, names))
    w("Welch ANOVA p and Kruskal–Wallis p per row; Holm = the ANOVA p adjusted across the rows of the table "
      "(items and scales separately); pairs = where that Holm p is under .05 (the Kruskal–Wallis p adjusted the same way "
      "where a group's answers do not vary and the ANOVA is undefined), the pairs whose Welch p stays under .05 "
      "after Holm across the pairs (higher mean first), as the dashboard and the report list them.\n")
    for title, rows in (("Items", document["items"]), ("Scales", document["scales"])):
        w(f"\n{title} ({legend})\n{'id':<{width}}"
          + "".join(f"{'n ' + code:>6}{'mean ' + code:>8}" for code in letters)
          + f"{'ANOVA p':>9}{'Holm':>7}{'K–W p':>7}  pairs\n")
        for r in rows:
            w(f"{_label(r)[:width - 1]:<{width}}"
              + "".join(f"{_f(r['n'][g], 'd'):>6}{_f(r['mean'][g]):>8}" for g in names)
              + f"{_p(r['welch_anova_p']):>9}{_p(r['p_holm']):>7}{_p(r['kruskal_p']):>7}"
              + (f"  {_differing_pairs(r, letter)}" if r["welch_anova_p"] is not None or r["kruskal_p_holm"] is not None
                 else "  –"))
            w(f"   ({r['note']})\n" if r["note"] else "\n")
    w("\nReliability (Cronbach's α, listwise)\n")
    w(f"{'scale':<{width}}{'α [95% CI]':<26}{'n':>7}" + "".join(f"{'α ' + code:>9}" for code in letters) + "\n")
    for r in document["scales"]:
        by_group = r.get("alpha_by_group") or {}
        w(f"{r['id'][:width - 1]:<{width}}{_alpha(r['alpha'], r['alpha_ci95']):<26}{_f(r['alpha_n'], 'd'):>7}"
          + "".join(f"{_f((by_group.get(g) or {}).get('alpha'), '.3f'):>9}" for g in names) + "\n")
    _reliability_notes(document["scales"], names, w)


def _f(value, spec: str = ".2f", signed: bool = False) -> str:
    if value is None:
        return "–"
    return format(value, ("+" if signed else "") + spec)


def _p(value) -> str:
    if value is None:
        return "–"
    return "<.001" if value < 0.001 else f"{value:.3f}"


def _ci(pair, spec: str = "+.2f") -> str:
    return "" if not pair else f"[{pair[0]:{spec}}, {pair[1]:{spec}}]"


def _alpha(value, pair) -> str:
    """α with its CI at α's own precision and no sign: α is not a difference."""
    return _f(value, ".3f") + ("" if not pair else " " + _ci(pair, ".3f"))


def _reliability_notes(scales: list[dict], groups: list[str], w) -> None:
    """Why an α is blank: withheld under k, undefined, or nobody answered every item — and what the
    α for all groups stands for when a group adds nobody to it — the reader of the table should not
    have to open the JSON to tell."""
    for r in scales:
        # the pooled α's note also when α is there: it may be one group's α alone
        reasons = [f"all groups: {r['alpha_note']}"] if r.get("alpha_note") else []
        for g in groups:
            own = (r.get("alpha_by_group") or {}).get(g) or {}
            if own.get("alpha") is None and own.get("note"):
                reasons.append(f"{g}: {own['note']}")
        if reasons:
            w(f"   {r['id']}: " + "; ".join(reasons) + "\n")


REVERSE_MARK = " (R)"


def _label(row: dict) -> str:
    """An item or scale id as the table shows it: reverse-keyed items marked, their means as answered."""
    return row["id"] + (REVERSE_MARK if row.get("reverse") else "")


def _describe_one(args: argparse.Namespace, table, instrument, where: str, progress) -> int:
    """``--groups G``: one group's own figures (surveys.stats.describe_group)."""
    from surveys.stats import describe_group

    wanted = args.groups[0]
    group = next(g.id for g in instrument.groups if wanted in (g.id, g.name) or wanted.casefold() in (g.id.casefold(), g.name.casefold()))
    progress(f"describing group {group}")
    document = describe_group(table, instrument, group, min_group_size=args.min_group_size)
    if document["note"]:
        raise CliError([f"{where}: group {g!r}: {reason}; it is suppressed, so there is nothing to describe"
                        for g, reason in document["suppressed_reasons"].items()])
    if args.json:
        write_json(document, args.json)
    else:
        print_one_group(document)
    progress("done")
    return 0


def print_one_group(document: dict, out=None) -> None:
    """The human-readable table of one group's own figures."""
    out = out or sys.stdout
    w = out.write
    g = document["described"]
    width = min(40, max([12] + [len(_label(r)) + 1 for r in (*document["items"], *document["scales"])]))
    w(f"Group: {g} ({document['groups'][g]['name']}) n={document['groups'][g]['n']}    k={document['min_group_size']}    "
      "(one group: its own figures, nothing compared)\n")
    excluded = document["excluded"]
    if excluded["flagged_rows"] or excluded["empty_rows"]:
        w(f"Excluded: {excluded['flagged_rows']} flagged, {excluded['empty_rows']} with no answers\n")
    if excluded.get("blank_rows"):
        w(f"Skipped: {excluded['blank_rows']} row(s) with every cell empty (as a spreadsheet saves rows it once used)\n")
    if excluded.get("out_of_range_values"):
        w(f"Left out: {excluded['out_of_range_values']} numeric answer(s) outside the item's plausible range (treated as missing)\n")
    if any(r.get("reverse") for r in document["items"]):
        w(f"{REVERSE_MARK.strip()} = reverse-keyed: item means are as answered; scale scores reverse them first.\n")
    for title, rows in (("Items", document["items"]), ("Scales", document["scales"])):
        w(f"\n{title}\n{'id':<{width}}{'n':>7}{'mean':>8}  {'95% CI':<16}{'sd':>6}{'median':>8}"
          + (f"  {'α [95% CI]':<26}" if title == "Scales" else "") + "\n")
        for r in rows:
            w(f"{_label(r)[:width - 1]:<{width}}{_f(r['n'][g], 'd'):>7}{_f(r['mean'][g]):>8}  {_ci(r['mean_ci95'][g], '.2f'):<16}"
              f"{_f(r['sd'][g]):>6}{_f(r['median'][g], '.1f'):>8}"
              + (f"  {_alpha(r['alpha'], r['alpha_ci95']):<26}" if title == "Scales" else ""))
            notes = [n for n in (r.get("note"), r.get("alpha_note") and "α: " + r["alpha_note"]) if n]
            w(f"   ({'; '.join(notes)})\n" if notes else "\n")
    pairs = document["ipa"]["pairs"]
    if pairs:
        w("\nImportance–performance (gap = performance − importance)\n")
        service = max(len("service"), *(len(r["name"]) for r in pairs)) + 1
        w(f"{'service':<{service}}{'importance':>11}{'performance':>12}{'gap':>7}  quadrant\n")
        for r in pairs:
            w(f"{r['name']:<{service}}{_f(r['importance']):>11}{_f(r['performance']):>12}"
              f"{_f(r['gap'], signed=True):>7}  {r['quadrant'] or r['note']}\n")


def print_report(document: dict, out=None) -> None:
    out = out or sys.stdout
    w = out.write
    groups = document["groups"]
    # the id column as wide as the longest id (within reason), so ids are not cut short
    width = min(40, max([12] + [len(_label(r)) + 1 for r in (*document["items"], *document["scales"])]))

    w("Groups: " + " · ".join(f"{g} ({v['name']}) n={v['n']}" for g, v in groups.items()))
    w(f"    margin ±{document['margin']:g}, k={document['min_group_size']}\n")
    if document["suppressed"]:
        w("Suppressed: " + "; ".join(f"{g}: {r}" for g, r in document["suppressed_reasons"].items()) + "\n")
    excluded = document["excluded"]
    if excluded["flagged_rows"] or excluded["empty_rows"]:
        w(f"Excluded: {excluded['flagged_rows']} flagged, {excluded['empty_rows']} with no answers\n")
    if excluded.get("blank_rows"):
        w(f"Skipped: {excluded['blank_rows']} row(s) with every cell empty (as a spreadsheet saves rows it once used)\n")
    if excluded.get("out_of_range_values"):
        w(f"Left out: {excluded['out_of_range_values']} numeric answer(s) outside the item's plausible range (treated as missing)\n")
    if any(r.get("reverse") for r in document["items"]):
        w(f"{REVERSE_MARK.strip()} = reverse-keyed: item means are as answered; scale scores reverse them first.\n")
    if len(groups) == 2:
        a, b = list(groups)
        for title, rows in (("Items", document["items"]), ("Scales", document["scales"])):
            w(f"\n{title} (A = {a}, B = {b})\n")
            w(f"{'id':<{width}}{'n A':>6}{'n B':>6}{'mean A':>8}{'mean B':>8}{'diff':>7}  {'g [95% CI]':<23}"
              f"{'Welch p':>8}{'Holm':>7}{'MWU p':>7}{'TOST p':>8}  verdict\n")
            for r in rows:
                w(f"{_label(r)[:width - 1]:<{width}}{_f(r['n_a'], 'd'):>6}{_f(r['n_b'], 'd'):>6}{_f(r['mean_a']):>8}{_f(r['mean_b']):>8}"
                  f"{_f(r['mean_diff'], signed=True):>7}  {(_f(r['hedges_g'], signed=True) + ' ' + _ci(r['hedges_g_ci95'])):<23}"
                  f"{_p(r['welch_p']):>8}{_p(r['p_holm']):>7}{_p(r['mwu_p']):>7}{_p(r['tost_p']):>8}  {r['verdict'] or '–'}")
                w(f"   ({r['note']})\n" if r["note"] else "\n")
        w("\nReliability (Cronbach's α, listwise)\n")
        w(f"{'scale':<{width}}{'α [95% CI]':<26}{'n':>7}{'α ' + a:>14}{'α ' + b:>14}\n")
        for r in document["scales"]:
            w(f"{r['id'][:width - 1]:<{width}}{_alpha(r['alpha'], r['alpha_ci95']):<26}{_f(r['alpha_n'], 'd'):>7}"
              f"{_f(r['alpha_a'], '.3f'):>14}{_f(r['alpha_b'], '.3f'):>14}\n")
        _reliability_notes(document["scales"], [a, b], w)
    else:
        _print_several_groups(document, width, w)
    pairs = document["ipa"]["pairs"]
    if pairs:
        w("\nImportance–performance (gap = performance − importance)\n")
        # columns as wide as the longest name: "Mobile and remote acces" was cut
        service = max(len("service"), *(len(r["name"]) for r in pairs)) + 1
        group = max(len("group"), *(len(r["group"]) for r in pairs)) + 1
        w(f"{'service':<{service}}{'group':<{group}}{'importance':>11}{'performance':>12}{'gap':>7}  quadrant\n")
        for r in pairs:
            w(f"{r['name']:<{service}}{r['group']:<{group}}{_f(r['importance']):>11}{_f(r['performance']):>12}"
              f"{_f(r['gap'], signed=True):>7}  {r['quadrant'] or r['note']}\n")
