"""Lines for a :class:`~bot.sandbox.session.Session`: typed at a terminal, piped in, or replayed
from a script with ``expect "text"`` checks.

A script is a transcript: one line per command (or per answer while a modal is open),
``# comments`` and blank lines skipped, and ``expect "text"`` after a command to check that
its output contains the text.  The first failed expectation stops the replay with its line
number and what was shown instead.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.sandbox.session import Session

QUIT = ("quit", "exit")


def tour_script() -> Path:
    """The tour that ships with the package."""
    return Path(str(resources.files(__package__).joinpath("tour.txt")))


def interact(session: Session, lines: TextIO, *, out: TextIO) -> None:
    """A terminal gets a prompt; piped lines are echoed after it, so the output reads as a
    transcript.  The end of the input ends the session."""
    tty = lines.isatty()
    while True:
        if tty:
            try:
                line = input(session.prompt)
            except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C ends the session
                print(file=out)
                return
        else:
            line = lines.readline()
            if not line:
                return
            print(f"{session.prompt}{line.rstrip()}", file=out)
        if line.strip() in QUIT and session.modal is None:
            return
        shown = session.handle(line)
        if shown:
            print(shown, file=out)


def replay(session: Session, lines: Iterable[str], *, out: TextIO, pause: float = 0.0) -> int:
    """Run a script; 0 when every expectation held, 1 at the first that did not."""
    shown = ""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith("#") or (not line and session.modal is None):
            continue
        if line.startswith("expect ") or line == "expect":
            wanted = _expected(line)
            if wanted is None or wanted not in shown:
                problem = "expect needs one quoted text" if wanted is None else f'expected "{wanted}"'
                print(f"line {number}: {problem}; the last command showed:\n{shown or '(nothing)'}", file=out)
                return 1
            continue
        if line in QUIT and session.modal is None:
            break
        print(f"{session.prompt}{line}", file=out)
        shown = session.handle(line)
        if shown:
            print(shown, file=out)
        if pause:  # the tour, for a person to watch
            time.sleep(pause)
    return 0


def _expected(line: str) -> str | None:
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    return words[1] if len(words) == 2 else None
