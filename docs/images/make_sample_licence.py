"""Draw the sample licence shown in the README: docs/images/sample-licence.png.

The licence is the one bench/licence.py times (a fictional Toronto restaurant, Café Ça Va
Inc., with its 12 permits from the bundled packs and conditions on two of them), signed
with a throwaway Ed25519 key derived from a fixed phrase, never a service key, so running
this again gives the same picture. Page 1 of the PDF is rasterised with pdfium and reduced
to a 64-colour palette, which keeps the text sharp at a fraction of the size.

    .venv/bin/python docs/images/make_sample_licence.py [--pdf /tmp/sample-licence.pdf]

Needs the test extras (pypdfium2 and Pillow): `pip install -e '.[test]'`, as `make test` does.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import pypdfium2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.licence import licence_content  # noqa: E402
from licences.pdf import licence_pdf  # noqa: E402
from licences.signing import KeyRing  # noqa: E402

PNG = Path(__file__).resolve().parent / "sample-licence.png"
WIDTH_PX = 960
COLOURS = 64
SAMPLE_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"Guichet sample licence").digest())


def sample_pdf() -> bytes:
    content = licence_content()
    signature = KeyRing(SAMPLE_KEY).sign(content)
    verify_url = f"https://guichet.example.ca/verify/{content['licence']['number']}"
    return licence_pdf(content, signature=signature.value, key_id=signature.key_id, verify_url=verify_url)


def first_page_png(pdf: bytes, path: Path) -> Image.Image:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=WIDTH_PX / page.get_width()).to_pil().convert("RGB")
    picture = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    picture.save(path, optimize=True)
    return picture


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdf", type=Path, help="also keep the whole PDF here")
    parser.add_argument("--png", type=Path, default=PNG, help=f"where the picture goes (default {PNG})")
    args = parser.parse_args(argv)
    pdf = sample_pdf()
    if args.pdf:
        args.pdf.write_bytes(pdf)
    picture = first_page_png(pdf, args.png)
    print(f"{args.png}: {picture.width} x {picture.height} px, {args.png.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
