"""Errors the survey services raise, phrased for the person who has to act on them."""

from __future__ import annotations

from collections.abc import Iterable


MAX_LISTED_PROBLEMS = 100


class SurveyError(ValueError):
    """Bad input to a survey service; ``problems`` lists every problem, one line each.

    The CLI prints each problem on its own line and exits 1; pages show them as messages.
    """

    def __init__(self, problems: str | Iterable[str]):
        problems = [problems] if isinstance(problems, str) else list(problems)
        if len(problems) > MAX_LISTED_PROBLEMS + 1:  # a wrong file can hold 300,000 bad lines: a page cannot show them
            more = len(problems) - MAX_LISTED_PROBLEMS
            problems = problems[:MAX_LISTED_PROBLEMS] + [f"… and {more:,} more problems like these ({len(problems):,} in all): "
                                                        "is this the right file?"]
        self.problems = problems
        super().__init__("\n".join(self.problems))


class NotFound(SurveyError):
    """A campaign (or other record) asked for by id does not exist."""
