"""What is wrong with a pack, said so that its author can find and fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """`permits[3].fee.bands[1]`: the location inside a pack, as its author reads it."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(whole file)"


@dataclass(frozen=True, slots=True)
class PackProblem:
    """One fault: which file, where inside it (and on which line), and why it is wrong."""

    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "path": self.path, "line": self.line, "reason": self.reason}


class PackError(Exception):
    """The packs were rejected as a whole; `problems` lists every fault found."""

    def __init__(self, problems: Sequence[PackProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
