"""Which packs an administrator may publish: those of their jurisdiction and of the ones below it.

The jurisdiction a file is for is the one it declares, so the check reads `jurisdiction.code`
before anything is validated: a file for another province is refused with its location, like
any other problem, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflows.jurisdictions import is_jurisdiction_code, is_within
from workflows.packs.errors import PackError, PackProblem
from workflows.packs.loader import PackSource
from workflows.packs.yaml_source import YamlFault, parse_yaml
from workflows.text import Text

CODE_PATH = ("jurisdiction", "code")


class OutOfReach(PackError):
    """Files for jurisdictions beyond the administrator's reach, each said in both languages."""

    @property
    def reasons(self) -> tuple[Text, ...]:
        return tuple(problem.text for problem in self.problems)


def declared_code(source: PackSource) -> tuple[str | None, int | None]:
    """The jurisdiction code a file declares and its line, or (None, None) when it cannot be read."""
    try:
        parsed = parse_yaml(source.text)
    except YamlFault:
        return None, None
    jurisdiction = parsed.data.get("jurisdiction") if isinstance(parsed.data, dict) else None
    code = jurisdiction.get("code") if isinstance(jurisdiction, dict) else None
    return (code, parsed.line_of(CODE_PATH)) if isinstance(code, str) else (None, None)


def check_reach(sources: Sequence[PackSource], reach: str | None) -> None:
    """Raise OutOfReach naming every file whose jurisdiction `reach` does not cover.

    Files whose code cannot be read are left to validation, which reports them precisely.
    """
    problems = []
    for source in sources:
        code, line = declared_code(source)
        if code is None or not is_jurisdiction_code(code) or is_within(code, reach):
            continue
        reason = Text(
            f"{code} is outside your reach: you may publish the packs of {reach} "
            "and of the jurisdictions below it only",
            f"{code} est hors de votre portée : vous ne pouvez publier que les paquets de {reach} "
            "et des administrations qui en relèvent",
        )
        problems.append(PackProblem.said(source.filename, "jurisdiction.code", reason, line))
    if problems:
        raise OutOfReach(problems)
