"""Errors the survey services raise, phrased for the person who has to act on them."""

from __future__ import annotations

from collections.abc import Iterable


class SurveyError(ValueError):
    """Bad input to a survey service; ``problems`` lists every problem, one line each.

    The CLI prints each problem on its own line and exits 1; pages show them as messages.
    """

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class NotFound(SurveyError):
    """A campaign (or other record) asked for by id does not exist."""
