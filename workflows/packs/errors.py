"""What is wrong with a pack, said so that its author can find and fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflows.text import Language, Text

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
    """One fault: which file, where inside it (and on which line), and why it is wrong.

    `reason` is English, as operators read it at the command line and in docs/packs.md;
    `reason_fr` says the same in French for an administrator reading the upload page in French.
    Keys, codes and values quoted inside a reason are the pack's own and are the same in both.
    """

    file: str
    path: str
    reason: str
    line: int | None = None
    reason_fr: str = ""

    @classmethod
    def said(cls, file: str, path: str, reason: Text, line: int | None = None) -> PackProblem:
        """A problem whose reason is given in both languages."""
        return cls(file, path, reason.en, line, reason.fr)

    def reason_language(self, language: str) -> Language:
        """The language `reason_in(language)` answers in: English when no French was given."""
        return "fr" if language == "fr" and self.reason_fr else "en"

    def reason_in(self, language: str) -> str:
        return self.reason_fr if self.reason_language(language) == "fr" else self.reason

    @property
    def text(self) -> Text:
        return Text(self.reason, self.reason_fr or self.reason)

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
