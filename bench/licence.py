"""Licence PDF benchmark: how long does drawing a consolidated licence take once fonts are loaded?

Builds the signed content of a real Toronto restaurant's licence from the bundled packs,
without a database: the 12 permits triage gives a restaurant with alcohol, staff, a patio
and renovations (no outdoor sign), their names and agencies in English and French from the
packs, issue and expiry dates, conditions on two permits, a Business Number with its
program accounts, and an Ed25519 signature. The content has the shape `licences.content`
gives it. The benchmark then times `licences.pdf.licence_pdf` on it, as the licence
download does:

1. `register_fonts()` on its own: the one-off cost of reading the two DejaVu fonts, paid by
   the first licence a process draws.
2. The first render after that (cold caches), reported apart.
3. A few warm-up renders, then `--runs` timed renders (`time.perf_counter`), each one whole
   PDF into memory.

    .venv/bin/python bench/licence.py                # 5 warm-ups, 30 timed renders (a few seconds)
    .venv/bin/python bench/licence.py --runs 200     # more renders, steadier percentiles
    .venv/bin/python bench/licence.py --out /tmp/licence.pdf   # keep the PDF to look at

Target: a median render under 40 ms for 12 permits once fonts are registered. Prints every
figure, then PASS or FAIL; exits 0 either way, as it measures rather than gates. See
docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from licences.content import FORMAT, with_identity  # noqa: E402
from licences.issuance import add_months  # noqa: E402
from licences.numbering import licence_number, permit_number  # noqa: E402
from licences.pdf import licence_pdf, register_fonts  # noqa: E402
from licences.signing import KeyRing  # noqa: E402
from tests.answer_sets import TORONTO, TORONTO_FULL_NO_SIGN  # noqa: E402
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory  # noqa: E402
from workflows.packs.model import LEVELS  # noqa: E402
from workflows.triage import TriageEngine  # noqa: E402

#: The target this benchmark checks (see docs/performance.md).
TARGET_MEDIAN_MS = 40.0
PERMITS = 12

ISSUED_AT = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
BUSINESS_NUMBER = "123456782"
CONDITIONS = {
    "TO-EATING": ["Température du réfrigérateur à 4 °C au plus.", "Licence affichée à l'entrée."],
    "ON-AGCO": ["Service d'alcool sur la terrasse jusqu'à 23 h."],
}


def licence_content() -> dict[str, Any]:
    """The signed content of a 12-permit Toronto licence, built from the bundled packs."""
    packs = load_pack_set(read_pack_directory(bundled_pack_directory()))
    engine = TriageEngine(packs)
    chain = engine.chain(TORONTO)
    result = engine.triage(TORONTO, TORONTO_FULL_NO_SIGN)
    rank = {level: index for index, level in enumerate(LEVELS)}
    permits = sorted(
        (outcome.permit for outcome in result.permits),
        key=lambda permit: (rank[permit.level], chain.permit_rank[permit.code]),
    )
    if len(permits) != PERMITS:
        raise SystemExit(
            f"the restaurant needs {len(permits)} permits in {TORONTO}, not {PERMITS}: fix the answers"
        )
    province = next(j for j in chain.jurisdictions if j.level == "provincial")
    accounts = sorted(f"{BUSINESS_NUMBER} {p.program_account} 0001" for p in permits if p.program_account)
    content = {
        "format": FORMAT,
        "business": {
            "business_number": BUSINESS_NUMBER,
            "program_accounts": accounts,
            "legal_name": "Café Ça Va Inc.",
            "operating_name": "Café Ça Va",
            "premises_address": "300 Queen St W",
            "postal_code": "M5V 3L9",
            "municipality": {
                "code": chain.municipality.code,
                "en": chain.municipality.name.en,
                "fr": chain.municipality.name.fr,
            },
            "province": {"code": province.code, "en": province.name.en, "fr": province.name.fr},
        },
        "permits": [
            {
                "code": permit.code,
                "number": permit_number(permit.code, 1000 + index),
                "level": permit.level,
                "name": {"en": permit.name.en, "fr": permit.name.fr},
                "authority": {
                    "code": permit.agency.code,
                    "en": permit.agency.name.en,
                    "fr": permit.agency.name.fr,
                },
                "conditions": CONDITIONS.get(permit.code, []),
                "issued_at": ISSUED_AT.isoformat(),
                "expires_at": add_months(ISSUED_AT, permit.validity_months).isoformat()
                if permit.validity_months
                else None,
            }
            for index, permit in enumerate(permits)
        ],
    }
    return with_identity(content, number=licence_number("7K3M9QXD2H", 1), version=1, issued_at=ISSUED_AT)


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed renders (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed renders first (default 5)")
    parser.add_argument("--out", type=Path, help="write the rendered PDF here")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    print("Guichet licence PDF benchmark")
    print(
        f"machine: {platform.platform()}; {platform.processor() or platform.machine()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()} ({platform.python_implementation()})"
    )
    content = licence_content()
    signature = KeyRing(Ed25519PrivateKey.generate()).sign(content)
    number = content["licence"]["number"]
    verify_url = f"https://guichet.example.ca/verify/{number}"

    def render() -> bytes:
        return licence_pdf(content, signature=signature.value, key_id=signature.key_id, verify_url=verify_url)

    started = time.perf_counter()
    register_fonts()
    fonts_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    pdf = render()
    first_ms = (time.perf_counter() - started) * 1000
    for _ in range(args.warmup):
        render()
    gc.collect()
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = render()
        samples.append((time.perf_counter() - started) * 1000)
    if args.out:
        args.out.write_bytes(pdf)

    ordered = sorted(samples)
    median = statistics.median(ordered)
    pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
    conditions = sum(len(permit["conditions"]) for permit in content["permits"])
    figures = [
        ("licence", f"{number}: {len(content['permits'])} permits, {conditions} conditions, {pages} pages"),
        ("register_fonts (once per process)", f"{fonts_ms:.1f} ms"),
        ("first render after fonts", f"{first_ms:.1f} ms"),
        (f"render, {args.runs} runs after {args.warmup} warm-ups", f"median {median:.1f} ms"),
        ("", f"p90 {percentile(ordered, 0.9):.1f} ms, min {ordered[0]:.1f} ms, max {ordered[-1]:.1f} ms"),
        ("PDF size", f"{len(pdf):,} bytes ({len(pdf) / 1024:.1f} KiB)"),
    ]
    if args.out:
        figures.append(("written to", str(args.out)))
    print()
    width = max(len(name) for name, _ in figures) + 2
    for name, value in figures:
        print(f"{name:<{width}}{value}")
    print()
    passed = median < TARGET_MEDIAN_MS
    print(
        f"{'PASS' if passed else 'FAIL'}  median render of {PERMITS} permits once fonts are loaded "
        f"< {TARGET_MEDIAN_MS:.0f} ms: {median:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
