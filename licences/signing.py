"""The service's Ed25519 keys: one signs new licences, every trusted one verifies old ones.

A licence's content is signed as canonical JSON (sorted keys, no spaces, UTF-8), so the same
content always gives the same bytes, wherever it was stored and read back. Verification
recomputes the check against the key named by the licence's key id, among the keys the
service trusts (its current one and those retired by a key rotation): a signature made with
any other key, or content changed by one character, fails.

The key ring is configured once per process (`configure`, called by the app factory), like
the logging set-up, so the engine can issue a licence wherever an approval happens without
every caller carrying the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class SigningKeyError(ValueError):
    """A configured key that cannot be used; the message says which setting and why."""


@dataclass(frozen=True, slots=True)
class Signature:
    value: str  # base64 of the 64 signature bytes
    key_id: str


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes a licence's content is signed as."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_key_text(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of a public key, base64: how a key is written in settings and shown to integrators."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class KeyRing:
    """The key new licences are signed with, and every key whose signatures are still trusted."""

    def __init__(self, signing_key: Ed25519PrivateKey, retired: Iterable[Ed25519PublicKey] = ()):
        self._signing_key = signing_key
        self.public_key = signing_key.public_key()
        self.key_id = key_id(self.public_key)
        self.trusted: dict[str, Ed25519PublicKey] = {key_id(k): k for k in retired}
        self.trusted[self.key_id] = self.public_key

    @classmethod
    def from_settings(cls, private_pem: str, retired_public_keys: str = "") -> KeyRing:
        """From a PEM (PKCS#8) private key and a comma-separated list of retired public keys."""
        try:
            key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        except (ValueError, TypeError) as error:
            raise SigningKeyError(f"the licence signing key is not a PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the licence signing key must be an Ed25519 key")
        retired = []
        for text in filter(None, (part.strip() for part in retired_public_keys.split(","))):
            try:
                retired.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)))
            except (ValueError, binascii.Error):
                raise SigningKeyError(f"a retired licence key is not a base64 Ed25519 key: {text}") from None
        return cls(key, retired)

    def sign(self, content: Mapping[str, Any]) -> Signature:
        raw = self._signing_key.sign(canonical(content))
        return Signature(base64.b64encode(raw).decode(), self.key_id)

    def verify(self, content: Mapping[str, Any], signature: str, signed_by: str) -> bool:
        """True only if `signature` is a trusted key's signature of exactly this content."""
        key = self.trusted.get(signed_by)
        if key is None:
            return False
        try:
            key.verify(base64.b64decode(signature, validate=True), canonical(content))
        except (InvalidSignature, ValueError, binascii.Error):
            return False
        return True


def new_private_key_pem() -> str:
    """A fresh signing key as PEM: for a development instance, or to put in a production secret."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


_configured: KeyRing | None = None


def configure(ring: KeyRing) -> None:
    """Set the process's key ring (the app factory does, from its settings)."""
    global _configured
    _configured = ring


def key_ring() -> KeyRing:
    if _configured is None:
        raise SigningKeyError("no licence signing key is configured: create the app, or call configure()")
    return _configured
