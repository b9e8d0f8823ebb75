"""Bounds on what one file may cost to read: characters, clauses, pages, zip contents, seconds.

A 500 KB upload can inflate to hundreds of megabytes and hundreds of thousands of clauses, which a
build would embed for days; so every reader checks these bounds before (or while) it does the work,
and a file over one is refused with a message that names the limit and the setting that raises it.
Each default is far above the largest real document measured (docs/hostile-inputs.md): the longest
national law (生态环境法典) written out as published has 169,232 characters and 1,381 clauses, the
longest of the 599 NCP notices 16,867 characters.

Each limit is read from its environment variable at the moment it is checked, so a user (or a test)
raises it for one run without touching code.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .errors import UserError


class LoadError(UserError, ValueError):
    """A file that cannot be read, or is refused by a limit; the message names the reason and what to do."""


@dataclass(frozen=True)
class Limit:
    """One named bound: its environment variable, default and unit (for messages)."""

    env: str
    default: float
    unit: str

    def value(self) -> float:
        """The bound in force: the environment variable when it holds a positive number, else the default."""
        raw = os.environ.get(self.env, "").strip()
        try:
            number = float(raw)
        except ValueError:
            return self.default
        return number if number > 0 else self.default

    def refuse(self, what: str, found: float) -> LoadError:
        """The one-line refusal: what was found, the bound, and how to raise it."""
        return LoadError(
            f"{what} {_number(found)} {self.unit}, over the limit of {_number(self.value())} {self.unit} "
            f"(set {self.env} to raise it)"
        )

    def check(self, what: str, found: float) -> None:
        """Raise the refusal when ``found`` is over the bound."""
        if found > self.value():
            raise self.refuse(what, found)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


MAX_CHARS = Limit("POLICY_SEARCH_MAX_CHARS", 2_000_000, "characters")
MAX_CLAUSES = Limit("POLICY_SEARCH_MAX_CLAUSES", 20_000, "clauses")
MAX_PAGES = Limit("POLICY_SEARCH_MAX_PAGES", 3_000, "pages")
MAX_ZIP_MEMBERS = Limit("POLICY_SEARCH_MAX_ZIP_MEMBERS", 10_000, "members")
MAX_UNZIPPED_MB = Limit("POLICY_SEARCH_MAX_UNZIPPED_MB", 256, "MB unzipped")
MAX_ZIP_RATIO = Limit("POLICY_SEARCH_MAX_ZIP_RATIO", 100, "to 1")
MAX_READ_SECONDS = Limit("POLICY_SEARCH_MAX_READ_SECONDS", 60, "seconds")
# members this small are never ratio-checked: tiny XML parts of a real package compress far beyond 100:1
RATIO_FLOOR_BYTES = 1 << 20


class Budget:
    """The reading-time budget of one file, checked between units of work (pages, parts, paragraphs).

    Readers cannot be interrupted from outside without a process per file, so each loop asks the
    budget; every unit between two checks is itself bounded (by the size limits), and external tools
    are given the time left as their timeout. A file that runs over is refused and the corpus goes on.
    """

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = MAX_READ_SECONDS.value() if seconds is None else seconds
        self.start = time.monotonic()

    def left(self) -> float:
        """Seconds left (never below a small positive amount, so a timeout argument stays valid)."""
        return max(0.01, self.seconds - (time.monotonic() - self.start))

    def check(self) -> None:
        """Raise the refusal once the budget is spent."""
        if time.monotonic() - self.start > self.seconds:
            raise self.expired()

    def expired(self) -> LoadError:
        """The refusal for a tool that was stopped at the budget's end."""
        return LoadError(
            f"reading took over {_number(self.seconds)} seconds and was stopped "
            f"(set {MAX_READ_SECONDS.env} to raise the limit)"
        )
