"""Hypothesis strategies for hostile input: values of every JSON shape, text that breaks things.

Shared by the triage, application-form and pack fuzz tests; each test adds the valid values
of its own domain, so that drawn inputs are sometimes right, sometimes almost right.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

#: Numbers at the edges: the largest exact JSON integer and just past it, and the sizes that
#: once broke formatting (more digits than Decimal's precision, than int-to-text allows).
EDGE_NUMBERS = [0, -1, 2**31, 2**53 - 1, 2**53, 10**30, -(10**30), 10**400, 1.5, float("nan"), float("inf")]
#: Text that parsers and templates have tripped on: control characters, NUL, markup, numbers in words.
EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "1e999999",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "yes ",
    "TRUE",
    "null",
]


def examples(factor: float) -> settings:
    """The profile in force (tests/fuzz/conftest.py) with `factor` times its examples: cheap
    engine calls draw more than HTTP round trips do."""
    return settings(max_examples=max(1, int(settings.default.max_examples * factor)))


def long_text(min_size: int = 1_000, max_size: int = 100_000) -> st.SearchStrategy[str]:
    """A long string, built by repetition: drawing 100,000 characters one by one is slow."""
    return st.builds(
        lambda piece, count: (piece * count)[:max_size],
        st.text(min_size=1, max_size=8),
        st.integers(min_size, max_size),
    )


texts = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=40), long_text())
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
#: Any value JSON can carry (and NaN, which Python's json also writes), nested a little.
junk: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
#: Names that are not ids: unicode, markup, dotted paths, empty.
unknown_keys = st.one_of(st.text(max_size=30), st.sampled_from(["", "__proto__", "answers.x", "a" * 300]))
