"""Percentiles by linear interpolation between closest ranks.

The method is the one PostgreSQL's percentile_cont, NumPy's default and spreadsheets'
PERCENTILE.INC use: for n sorted values v[0..n-1] and a fraction p, the rank is
r = p * (n - 1); the percentile is v[floor(r)] + (v[ceil(r)] - v[floor(r)]) * (r - floor(r)).
So the median of an even number of values is the mean of the two middle ones, and the
90th percentile of ten values lies nine tenths of the way from the 9th to the 10th.
Computed in Python over durations already fetched, so SQLite and PostgreSQL agree exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` (0 to 1) percentile of `values`, or None when there are none."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"a percentile's fraction lies between 0 and 1, not {fraction}")
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
