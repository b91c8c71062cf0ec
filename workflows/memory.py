"""Handing memory freed by Python back to the operating system, where the C library allows it.

Loading a country's packs allocates and frees hundreds of megabytes. CPython returns its own
small-object arenas once they are empty, but larger blocks go through the C library's
`malloc`, and glibc keeps the free pages inside its heap for later: a worker would stay as
big as its load's peak. `malloc_trim(0)` gives them back. Elsewhere (musl, macOS) there is no
such call and this does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc only: musl has no malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def release_free_memory() -> bool:
    """Return the C library's free heap pages to the system; False where that is not possible."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True
