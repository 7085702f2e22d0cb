"""Numbers an operator sets in the environment, read forgivingly: a typo ("30m") must not take
every login down, so a value that is not a usable number falls back to the default, said once in
the server's log."""

from __future__ import annotations

import math
import os
import sys

_warned: set[str] = set()


def number_from_env(name: str, default: float, *, minimum: float = 0.0) -> float:
    """``name``'s value as a number; ``default`` when it is unset or not a number, ``minimum`` when it
    is smaller — a session timeout asked for too short is made as short as allowed, never the looser
    default (either said once per name in the log)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value >= minimum:
        return value
    used = minimum if math.isfinite(value) or value == -math.inf else default
    if name not in _warned:
        _warned.add(name)
        why = "is below the least allowed" if used == minimum else "is not a number"
        print(f"itcap: warning: {name}={raw!r} {why}; using {used:g}", file=sys.stderr, flush=True)
    return used
