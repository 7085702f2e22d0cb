"""Numbers an operator sets in the environment, read forgivingly: a typo ("30m") must not take
every login down, so a value that is not a usable number falls back to the default, said once in
the server's log."""

from __future__ import annotations

import math
import os
import sys

_warned: set[str] = set()


def number_from_env(name: str, default: float, *, minimum: float = 0.0) -> float:
    """``name``'s value as a number no smaller than ``minimum``; ``default`` when it is unset, or not
    such a number (with a line in the log saying so, once per name)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value >= minimum:
        return value
    if name not in _warned:
        _warned.add(name)
        print(f"itcap: warning: {name}={raw!r} is not a number of at least {minimum:g}; using {default:g}",
              file=sys.stderr, flush=True)
    return default
