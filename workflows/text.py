"""Bilingual text as packs carry it: every user-facing string exists in English and French."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")


@dataclass(frozen=True, slots=True)
class Text:
    """A string in both official languages; `in_(lang)` picks one."""

    en: str
    fr: str

    def in_(self, language: str) -> str:
        return self.fr if language == "fr" else self.en

    @classmethod
    def from_data(cls, data: dict[str, str]) -> Text:
        return cls(en=data["en"], fr=data["fr"])


@dataclass(frozen=True, slots=True)
class FieldError:
    """One rejected input: the field it concerns (`jurisdiction`, `answers.seats`, `email`) and why."""

    field: str
    message: Text
