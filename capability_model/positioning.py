"""Positioning: which operating mode (Supplier, Business Partner, Business Leader …) is achieved.

The rules are DESIGN.md's, made exact:

* **Consensus** per capability = median of the assessors' levels, not-rated left out. With an even
  number of levels the median can fall between two levels (e.g. 2.5); it is *kept* fractional for
  every calculation below and shown as such. A lead assessor's override replaces the median.
* **Missing consensus** (no assessor rated the capability and no override): counted as level 0 —
  no evidence of any level — so it falls short by its full target, and it is listed in
  :attr:`PositionResult.missing`. A mode cannot be claimed on capabilities nobody assessed: a
  missing capability blocks every mode with a target above 0 for it, even a target of 1 that level
  0 falls only one short of (it is listed among the mode's blocking capabilities).
* **Attainment** of a mode = 1 − Σ max(0, target − consensus) / Σ target over all capabilities of
  the model (1 when every target is 0).
* **Rating** on the ISO/IEC 33020 scale: N (0 ≤ a ≤ 15%), P (15% < a ≤ 50%), L (50% < a ≤ 85%),
  F (85% < a ≤ 100%). The boundaries are compared exactly: attainment is computed as
  (Σ target − Σ shortfall) / Σ target from sums that are whole or half numbers, and the rating is
  decided by comparing 100·(Σ target − Σ shortfall) with 15, 50, 85 × Σ target, so 1 − 17/20
  rates N although it is 0.15000000000000002 in floating point.
* **Achieved** = rated F, no capability more than one level short (target − consensus ≤ 1), none
  it targets unassessed (above), and every lower mode achieved. **Position** = the highest achieved
  mode, or ``"none"``.
* **Gaps** of a mode = the capabilities below its target, largest shortfall first; ties broken by
  the capability's weight (heavier first), then by the order of the capabilities in the model.
* **Confidence** = share of bootstrap resamples of the assessors that give the same position: each
  resample draws as many assessors as there are, with replacement (a seeded
  ``numpy.random.Generator``, so the same seed gives the same confidence), recomputes the medians
  and the position. When there are no more distinct draws than resamples asked for — n assessors
  give nⁿ equally likely ordered draws: 27 for three, 256 for four — every draw is taken once
  instead (the exact bootstrap): with three assessors, 1,000 random draws put 26/27 = 96.3% at
  97.5% by chance. Overridden capabilities keep the lead assessor's level in every resample (an
  override is a decision, not a sample statistic). With fewer than two assessors there is nothing
  to resample and confidence is ``None``. An assessor who has rated nothing yet is left out (with a
  note): drawn into a resample they would only blank out capabilities the others rated.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from capability_model.schema import CapabilityModel

NO_POSITION = "none"
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20260101
MAX_RESAMPLES = 100_000
ISO33020_BOUNDS = ((15, "N"), (50, "P"), (85, "L"))  # upper bounds in percent, inclusive; above 85 → F
FULLY_ACHIEVED_PERCENT = ISO33020_BOUNDS[-1][0]  # a mode is achieved (F) above this attainment
RATING_NAMES = {"N": "Not achieved", "P": "Partially achieved", "L": "Largely achieved", "F": "Fully achieved"}
MAX_SHORTFALL_FOR_ACHIEVED = 1.0


# -- small exact rules -----------------------------------------------------------------------------
def attainment_percent(percent: float) -> str:
    """An attainment as a board reads it: whole percent, with as many decimals as it takes not to land
    on a rating boundary (15, 50, 85%) it is not on: 84.6% is L, not achieved, and "85%" beside "F
    needs more than 85%" is a contradiction a board member will point at."""
    bounds = {bound for bound, _ in ISO33020_BOUNDS}
    for decimals in range(3):
        text = f"{percent:.{decimals}f}"
        if float(text) not in bounds or abs(percent - float(text)) < 1e-9:
            return f"{text}%"
    return f"{percent:.3f}%"


def iso33020_rating(attainment: float) -> str:
    """The ISO/IEC 33020 rating of an attainment between 0 and 1.

    N: 0 ≤ a ≤ 0.15; P: 0.15 < a ≤ 0.50; L: 0.50 < a ≤ 0.85; F: 0.85 < a ≤ 1.

    >>> [iso33020_rating(a) for a in (0.15, 0.5, 0.85, 0.8500001)]
    ['N', 'P', 'L', 'F']
    """
    for upper, letter in ISO33020_BOUNDS:
        if attainment * 100 <= upper:
            return letter
    return "F"


def _ratings_from_sums(met: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Rating letters from Σ met (= Σ target − Σ shortfall) and Σ target, compared without division."""
    met = np.asarray(met, dtype=float)
    total = np.asarray(total, dtype=float)
    letters = np.full(met.shape, "F", dtype="<U1")
    for upper, letter in reversed(ISO33020_BOUNDS):
        letters = np.where(met * 100 <= upper * total, letter, letters)
    return np.where(total <= 0, "F", letters)


def median_levels(ratings: np.ndarray) -> np.ndarray:
    """Median along the last axis ignoring ``NaN`` (not rated); ``NaN`` where nothing was rated.

    Vectorised over any leading axes (capabilities, resamples). Even counts give the mean of the two
    middle levels, e.g. 2.5.
    """
    x = np.asarray(ratings, dtype=float)
    ordered = np.sort(x, axis=-1)  # NaN sorts last
    counts = np.sum(~np.isnan(x), axis=-1)
    low = np.clip((counts - 1) // 2, 0, None)[..., None]
    high = np.clip(counts // 2, 0, max(x.shape[-1] - 1, 0))[..., None]
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], np.nan)
    a = np.take_along_axis(ordered, low, axis=-1)[..., 0]
    b = np.take_along_axis(ordered, high, axis=-1)[..., 0]
    return np.where(counts > 0, (a + b) / 2, np.nan)


def level_for_display(level: float | None) -> int | float | None:
    """2.0 → 2, 2.5 → 2.5, NaN/None → None (how consensus appears in JSON and on pages)."""
    if level is None:
        return None
    level = float(level)
    if np.isnan(level):
        return None
    return int(level) if level.is_integer() else level


# -- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    capability_id: str
    target: int
    consensus: float | None  # None = nobody rated it (counted as 0)
    shortfall: float
    weight: float

    def to_json(self) -> dict:
        return {"capability_id": self.capability_id, "target": self.target, "consensus": level_for_display(self.consensus)}


@dataclass(frozen=True)
class ModeResult:
    id: str
    name: str
    order: int
    attainment: float
    rating: str  # N | P | L | F
    achieved: bool
    gaps: list[Gap]  # ranked: largest shortfall, then heavier weight, then model order
    more_than_one_level_short: list[str]  # capability ids that block the mode on their own
    reason: str  # why not achieved, in words ("" when achieved)
    not_assessed: list[str] = field(default_factory=list)  # targeted but nobody's level: they block it too
    target_total: float = 0.0  # Σ target over the capabilities (attainment's denominator)

    @property
    def levels_to_reach(self) -> int | None:
        """The fewest whole levels of consensus, added where they count, that would meet this mode's
        own conditions — rated F and no capability more than one level short (its lower modes aside)
        — e.g. 2 for ten capabilities one level short of 56 target levels (46/56 = 82% → 48/56 = 86%).
        None when a capability it sets a target for is not assessed: no levels elsewhere make up for
        that. A board asks "how far is it?"; attainment's 82% reads as a share of capabilities."""
        if self.not_assessed:
            return None
        from fractions import Fraction

        raised = [max(0, math.ceil(gap.shortfall - MAX_SHORTFALL_FOR_ACHIEVED)) for gap in self.gaps]
        # what each gap still lacks, at most a level: a level added there takes off that much (half a
        # level where the median of two assessors is 2.5), so the largest go first
        left = sorted((Fraction(gap.shortfall) - r for gap, r in zip(self.gaps, raised)), reverse=True)
        remaining = sum(left)
        # F: 100·(total − shortfall) > 85·total, i.e. shortfall < 15% of the total
        allowed = Fraction(100 - ISO33020_BOUNDS[-1][0], 100) * Fraction(self.target_total)
        more = 0
        while remaining >= allowed and more < len(left):
            remaining -= left[more]
            more += 1
        return sum(raised) + more

    @property
    def blocking(self) -> list[str]:
        """Every capability that blocks the mode on its own: too far short, or not assessed at all."""
        return self.more_than_one_level_short + self.not_assessed

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "attainment": self.attainment,
            "rating": self.rating,
            "achieved": self.achieved,
            "gaps": [gap.to_json() for gap in self.gaps],
        }


@dataclass(frozen=True)
class PositionResult:
    position: str  # mode id or "none"
    confidence: float | None  # None when there are fewer than two assessors to resample
    consensus: dict[str, float | None]  # effective consensus per capability, model order
    modes: list[ModeResult]  # in mode order
    missing: list[str] = field(default_factory=list)  # capabilities with no consensus (counted as 0)
    overridden: list[str] = field(default_factory=list)
    n_assessors: int = 0
    resamples: int = 0
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    exact: bool = False  # every possible resample taken once (few assessors), not a random draw of them

    @property
    def resampling(self) -> str:
        """How the confidence was resampled, in words: "all 27 possible resamples of the 3 assessors
        (every draw of 3 with repeats)" or "1,000 resamples of the 5 assessors (drawn at random with
        repeats, seed 20260101)"."""
        n = self.n_assessors
        assessors = f"the {n} assessor{'s' if n != 1 else ''}"
        if self.exact:
            return f"all {self.resamples:,} possible resamples of {assessors} (every draw of {n} with repeats, each once)"
        return (f"{self.resamples:,} resamples of {assessors} (drawn at random with repeats, "
                f"seed {self.seed if self.seed is not None else DEFAULT_SEED})")

    @property
    def position_mode(self) -> ModeResult | None:
        return next((m for m in self.modes if m.id == self.position), None)

    @property
    def next_mode(self) -> ModeResult | None:
        """The lowest mode not achieved: where the gaps that matter next are."""
        return next((m for m in self.modes if not m.achieved), None)

    def to_json(self) -> dict:
        """The ``itcap assess position`` document (DESIGN.md's CLI contract)."""
        return {
            "position": self.position,
            "confidence": self.confidence,
            "consensus": {cap: level_for_display(level) for cap, level in self.consensus.items()},
            "modes": [mode.to_json() for mode in self.modes],
        }


# -- the computation --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Targets:
    mode_ids: list[str]
    targets: np.ndarray  # modes × capabilities (ordered modes, model capability order)


def _targets(model: CapabilityModel) -> _Targets:
    modes = model.ordered_modes
    ids = model.capability_ids
    return _Targets([m.id for m in modes], np.array([[m.targets[c] for c in ids] for m in modes], dtype=float).reshape(len(modes), len(ids)))


def _evaluate(targets: np.ndarray, consensus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All modes for a batch of consensus vectors.

    ``targets``: modes × capabilities; ``consensus``: batch × capabilities (NaN = missing).
    Returns met (batch × modes), total (modes), worst shortfall (batch × modes), achieved
    (batch × modes, lower modes included) and the position index per batch row (−1 = none).
    """
    levels = np.nan_to_num(consensus, nan=0.0)  # missing consensus counts as level 0
    shortfall = np.clip(targets[None, :, :] - levels[:, None, :], 0.0, None)  # batch × modes × caps
    total = targets.sum(axis=1)  # modes
    met = total[None, :] - shortfall.sum(axis=2)
    worst = shortfall.max(axis=2) if targets.shape[1] else np.zeros(met.shape)
    fully = _ratings_from_sums(met, np.broadcast_to(total, met.shape)) == "F"
    # nobody's evidence for a capability the mode asks something of: the mode cannot rest on it
    unassessed = (np.isnan(consensus)[:, None, :] & (targets[None, :, :] > 0)).any(axis=2)  # batch × modes
    own = fully & (worst <= MAX_SHORTFALL_FOR_ACHIEVED) & ~unassessed
    achieved = np.logical_and.accumulate(own, axis=1) if own.shape[1] else own
    position = achieved.sum(axis=1) - 1
    return met, total, worst, achieved, position


def effective_consensus(ratings: np.ndarray, overrides: np.ndarray | None = None) -> np.ndarray:
    """Median per capability, replaced by the override where one is in force (override ``NaN`` = none)."""
    medians = median_levels(ratings)
    if overrides is None:
        return medians
    overrides = np.asarray(overrides, dtype=float)
    return np.where(np.isnan(overrides), medians, overrides)


def evaluate_consensus(model: CapabilityModel, consensus: Mapping[str, float | None]) -> tuple[str, list[ModeResult]]:
    """Position and per-mode results for given consensus levels (no bootstrap).

    Capabilities absent from ``consensus`` (or None) count as missing, i.e. level 0.
    """
    vector = np.array([np.nan if consensus.get(c) is None else float(consensus[c]) for c in model.capability_ids], dtype=float)
    return _mode_results(model, vector)


def _mode_results(model: CapabilityModel, consensus: np.ndarray) -> tuple[str, list[ModeResult]]:
    table = _targets(model)
    met, total, worst, achieved, position = _evaluate(table.targets, consensus[None, :])
    capabilities = model.capabilities
    weights = np.array([c.weight for c in capabilities], dtype=float)
    levels = np.nan_to_num(consensus, nan=0.0)
    results: list[ModeResult] = []
    for m, mode in enumerate(model.ordered_modes):
        target = table.targets[m]
        shortfall = np.clip(target - levels, 0.0, None)
        # np.lexsort sorts by the last key first: shortfall desc, then weight desc, then model order.
        order = np.lexsort((np.arange(len(capabilities)), -weights, -shortfall))
        gaps = [
            Gap(capabilities[i].id, int(target[i]), None if np.isnan(consensus[i]) else float(consensus[i]), float(shortfall[i]), float(weights[i]))
            for i in order
            if shortfall[i] > 0
        ]
        # "not assessed" is said of a capability nobody rated, whatever its target (a target of 1 is
        # only one level short of 0, a target of 4 is four): "more than one level short" of the assessed
        too_short = (shortfall > MAX_SHORTFALL_FOR_ACHIEVED) & ~np.isnan(consensus)
        unassessed = np.isnan(consensus) & (target > 0)
        rating = str(_ratings_from_sums(met[0, m], total[m]))
        attainment = float(met[0, m] / total[m]) if total[m] > 0 else 1.0
        reasons = []
        if rating != "F":
            reasons.append(f"rated {rating} (attainment {attainment_percent(100 * attainment)}; F needs more than 85%)")
        if too_short.any():
            names = ", ".join(capabilities[i].name for i in np.flatnonzero(too_short))
            count = int(too_short.sum())
            reasons.append(f"{count} capabilit{'y' if count == 1 else 'ies'} more than one level short: {names}")
        if unassessed.any():
            names = ", ".join(capabilities[i].name for i in np.flatnonzero(unassessed))
            count = int(unassessed.sum())
            reasons.append(f"{count} capabilit{'y' if count == 1 else 'ies'} it sets a target for not assessed: {names}")
        if m > 0 and not achieved[0, m - 1]:
            reasons.append(f"the lower mode {model.ordered_modes[m - 1].name} is not achieved")
        results.append(ModeResult(
            id=mode.id, name=mode.name, order=mode.order, attainment=attainment, rating=rating,
            achieved=bool(achieved[0, m]), gaps=gaps,
            more_than_one_level_short=[capabilities[i].id for i in np.flatnonzero(too_short)],
            not_assessed=[capabilities[i].id for i in np.flatnonzero(unassessed)],
            target_total=float(total[m]),
            reason="" if achieved[0, m] else "; ".join(reasons),
        ))
    index = int(position[0])
    return (table.mode_ids[index] if index >= 0 else NO_POSITION), results


def without_unrated_assessors(ratings: np.ndarray) -> tuple[np.ndarray, int]:
    """``ratings`` (capabilities × assessors) without the assessors who rated nothing, and how many
    were left out. An assessor assigned but not started carries no evidence: kept, they would
    count as a rater in the confidence and in the reliability statistics."""
    rated = ~np.isnan(ratings).all(axis=0) if ratings.shape[0] else np.zeros(ratings.shape[1], dtype=bool)
    return ratings[:, rated], int((~rated).sum())


def unrated_note(count: int) -> str:
    return f"{count} assessor{' has' if count == 1 else 's have'} rated nothing yet and {'is' if count == 1 else 'are'} left out"


def bootstrap_positions(
    model: CapabilityModel,
    ratings: np.ndarray,
    overrides: np.ndarray | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = DEFAULT_SEED,
) -> np.ndarray:
    """Position index (−1 = none, else index into ``model.ordered_modes``) of each bootstrap resample.

    All resamples at once: draws (resamples × assessors) indices, gathers a resamples ×
    capabilities × assessors array, takes the medians along the last axis and evaluates every mode.
    """
    x = np.asarray(ratings, dtype=float)
    n_caps, n_assessors = x.shape
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_assessors, size=(resamples, n_assessors))
    return _positions_of_draws(model, x, draws, overrides)


def every_draw_positions(model: CapabilityModel, ratings: np.ndarray, overrides: np.ndarray | None = None) -> np.ndarray:
    """:func:`bootstrap_positions` over every possible draw of the assessors, each once (nⁿ rows for
    n assessors, in lexicographic order): the exact bootstrap distribution, for when it is small."""
    x = np.asarray(ratings, dtype=float)
    n_assessors = x.shape[1]
    draws = np.array(list(itertools.product(range(n_assessors), repeat=n_assessors)), dtype=np.intp)
    return _positions_of_draws(model, x, draws, overrides)


def _positions_of_draws(model: CapabilityModel, x: np.ndarray, draws: np.ndarray, overrides: np.ndarray | None) -> np.ndarray:
    sample = np.moveaxis(x[:, draws], 1, 0)  # resamples × capabilities × assessors
    consensus = median_levels(sample)
    if overrides is not None:
        overrides = np.asarray(overrides, dtype=float)
        consensus = np.where(np.isnan(overrides)[None, :], consensus, overrides[None, :])
    return _evaluate(_targets(model).targets, consensus)[4]


def position(
    model: CapabilityModel,
    ratings: np.ndarray,
    overrides: Mapping[str, int | float | None] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = DEFAULT_SEED,
) -> PositionResult:
    """The position of an IT function from its assessors' ratings.

    Parameters
    ----------
    model : CapabilityModel
    ratings : array (n_capabilities, n_assessors)
        Rows in ``model.capability_ids`` order; ``NaN`` = not rated.
    overrides : mapping capability id → level
        The lead assessor's consensus overrides in force (None values are ignored).
    resamples, seed :
        Bootstrap settings; the same seed gives the same confidence.
    """
    x = np.asarray(ratings, dtype=float)
    ids = model.capability_ids
    if x.ndim != 2 or x.shape[0] != len(ids):
        raise ValueError(f"ratings must have one row per capability of the model ({len(ids)}), got shape {x.shape}")
    if resamples < 1 or resamples > MAX_RESAMPLES:
        raise ValueError(f"resamples must be between 1 and {MAX_RESAMPLES}")
    notes: list[str] = []
    x, unrated = without_unrated_assessors(x)
    if unrated:
        notes.append(unrated_note(unrated))
    override_vector = np.full(len(ids), np.nan)
    for cap_id, level in (overrides or {}).items():
        if level is None:
            continue
        if cap_id not in ids:
            raise ValueError(f"override for capability {cap_id!r}, which is not in model {model.id!r}")
        override_vector[ids.index(cap_id)] = float(level)
    consensus = effective_consensus(x, override_vector) if x.shape[1] else override_vector.copy()
    chosen, modes = _mode_results(model, consensus)
    n_assessors = x.shape[1]
    confidence: float | None = None
    exact = n_assessors >= 2 and n_assessors ** n_assessors <= resamples
    if exact:  # no more distinct draws than resamples asked for: take each once
        boot = every_draw_positions(model, x, override_vector)
    elif n_assessors >= 2:
        boot = bootstrap_positions(model, x, override_vector, resamples=resamples, seed=seed)
    if n_assessors >= 2:
        observed = -1 if chosen == NO_POSITION else [m.id for m in model.ordered_modes].index(chosen)
        confidence = float(np.mean(boot == observed))
    else:
        notes.append("confidence needs at least two assessors who have given levels, to resample")
    missing = [cap for cap, level in zip(ids, consensus) if np.isnan(level)]
    if missing:
        notes.append(f"{len(missing)} capabilit{'y has' if len(missing) == 1 else 'ies have'} no rating: they count as level 0 and block every mode that targets them: {', '.join(missing)}")
    return PositionResult(
        position=chosen,
        confidence=confidence,
        consensus={cap: (None if np.isnan(level) else float(level)) for cap, level in zip(ids, consensus)},
        modes=modes,
        missing=missing,
        overridden=[cap for cap, level in zip(ids, override_vector) if not np.isnan(level)],
        n_assessors=n_assessors,
        resamples=(n_assessors ** n_assessors if exact else resamples) if n_assessors >= 2 else 0,
        seed=None if exact else seed,
        notes=notes,
        exact=exact,
    )
