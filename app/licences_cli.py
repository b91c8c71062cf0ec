"""`flask licences`: the signing key's public half, a new key for production, and revocation."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.db import database
from licences.issuance import revoke_licence
from licences.signing import key_ring, new_private_key_pem, public_key_text
from licences.verification import find_licence
from workflows.db import utcnow

licences_group = AppGroup("licences", help="Consolidated licences: signing keys and revocation.")


@licences_group.command("public-key")
def public_key() -> None:
    """Print the key licences are signed with now (its id and public half), for integrators."""
    ring = key_ring()
    click.echo(f"key id: {ring.key_id}")
    click.echo(f"public key (Ed25519, raw, base64): {public_key_text(ring.public_key)}")


@licences_group.command("new-key")
def new_key() -> None:
    """Print a new private key (PEM) to store as GUICHET_LICENCE_SIGNING_KEY; nothing is saved."""
    click.echo(new_private_key_pem(), nl=False)


@licences_group.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is no longer in force; shown on the verification page.")
def revoke(number: str, reason: str) -> None:
    """Revoke licence NUMBER: verification then answers "revoked"."""
    with database().sessions() as session, session.begin():
        licence = find_licence(session, number)
        if licence is None:
            raise click.ClickException(f"no licence has the number {number}")
        if licence.revoked_at is not None:
            raise click.ClickException(f"licence {licence.number} is already revoked")
        revoke_licence(session, licence, reason=reason.strip(), actor_id=None, now=utcnow())
        click.echo(f"Licence {licence.number} revoked.")
