"""Creating accounts, checking passwords and issuing API tokens.

Passwords are hashed with argon2id; tokens are random and stored only as SHA-256 digests.
Errors name the field at fault, in both languages, so every interface can show them as is.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import ROLES, STAFF_ROLES, ApiToken, User
from workflows.db import utcnow
from workflows.jurisdictions import is_jurisdiction_code
from workflows.text import LANGUAGES, FieldError, Text

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is an attack
TOKEN_LIFETIME = timedelta(days=30)

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a wrong email costs as much time as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message.en}" for e in errors))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(
    session: Session,
    *,
    email: object,
    password: object,
    name: object,
    role: str = "applicant",
    agency_code: str | None = None,
    language: object = "en",
    jurisdiction_code: str | None = None,
) -> User:
    """A new account, or AccountError naming each field at fault. The caller commits.

    `language` ("en" or "fr") is the one Guichet writes to them in. An administrator needs a
    `jurisdiction_code`, their reach: that jurisdiction and every one below it (CA: all);
    nobody else has one, so a reach can never be given by mistake to an applicant or a clerk.
    """
    errors = []
    address = normalise_email(email) if isinstance(email, str) else ""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        errors.append(
            FieldError("email", Text("Enter a valid email address.", "Entrez une adresse courriel valide."))
        )
    errors.extend(password_problems(password, address))
    # A NUL is no part of a name, and PostgreSQL's text refuses it (a 500 instead of this 422).
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\x00" in name:
        errors.append(
            FieldError(
                "name",
                Text(
                    "Enter your name (200 characters at most).", "Entrez votre nom (200 caractères au plus)."
                ),
            )
        )
    if role not in ROLES:
        errors.append(
            FieldError(
                "role",
                Text(
                    f"Choose a role among {', '.join(ROLES)}.",
                    f"Choisissez un rôle parmi {', '.join(ROLES)}.",
                ),
            )
        )
    elif (role in ("clerk", "supervisor")) != bool(agency_code):
        errors.append(
            FieldError(
                "agency",
                Text(
                    "Clerks and supervisors belong to one agency; others to none.",
                    "Les agents et superviseurs relèvent d'un organisme; les autres, d'aucun.",
                ),
            )
        )
    if role in ROLES and (role == "admin") != (jurisdiction_code is not None):
        errors.append(
            FieldError(
                "jurisdiction",
                Text(
                    "Administrators have a jurisdiction (CA, a province such as CA-ON, or a "
                    "municipality's 7-digit code); others none.",
                    "Les administrateurs relèvent d'une administration (CA, une province comme CA-ON "
                    "ou le code à 7 chiffres d'une municipalité); les autres, d'aucune.",
                ),
            )
        )
    elif role == "admin" and not is_jurisdiction_code(jurisdiction_code):
        errors.append(
            FieldError(
                "jurisdiction",
                Text(
                    f"{jurisdiction_code!r} is not a jurisdiction: use CA, a province such as CA-ON, "
                    "or a municipality's 7-digit code such as 1209034.",
                    f"{jurisdiction_code!r} n'est pas une administration : utilisez CA, une province "
                    "comme CA-ON ou le code à 7 chiffres d'une municipalité comme 1209034.",
                ),
            )
        )
    if language not in LANGUAGES:
        errors.append(
            FieldError(
                "language",
                Text("Choose en (English) or fr (French).", "Choisissez en (anglais) ou fr (français)."),
            )
        )
    if not errors and session.scalar(select(User.id).where(User.email == address)) is not None:
        errors.append(
            FieldError(
                "email",
                Text(
                    "An account with this email address already exists.",
                    "Un compte existe déjà pour cette adresse courriel.",
                ),
            )
        )
    if errors:
        raise AccountError(errors)
    user = User(
        email=address,
        name=name.strip(),
        password_hash=_hasher.hash(password),
        role=role,
        agency_code=agency_code if role in STAFF_ROLES else None,
        language=language,
        jurisdiction_code=jurisdiction_code if role == "admin" else None,
    )
    session.add(user)
    session.flush()
    return user


def password_problems(password: object, email: str) -> list[FieldError]:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return [
            FieldError(
                "password",
                Text(
                    f"Use at least {MIN_PASSWORD_LENGTH} characters.",
                    f"Utilisez au moins {MIN_PASSWORD_LENGTH} caractères.",
                ),
            )
        ]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [
            FieldError(
                "password",
                Text(
                    f"Use at most {MAX_PASSWORD_LENGTH} characters.",
                    f"Utilisez au plus {MAX_PASSWORD_LENGTH} caractères.",
                ),
            )
        ]
    if email and password.strip().lower() == email:
        return [
            FieldError(
                "password",
                Text(
                    "Your password cannot be your email address.",
                    "Votre mot de passe ne peut pas être votre adresse courriel.",
                ),
            )
        ]
    return []


def authenticate(session: Session, email: object, password: object) -> User | None:
    """The user whose email and password these are, or None. Takes the same time either way."""
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return None
    # No account's email holds a NUL, and PostgreSQL refuses one in a query (a 500, not a "no").
    user = (
        session.scalar(select(User).where(User.email == normalise_email(email)))
        if "\x00" not in email
        else None
    )
    if not _verifies(user.password_hash if user else _UNKNOWN_USER_HASH, password) or user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def change_password(session: Session, user: User, *, current_password: object, new_password: object) -> None:
    """Give `user` a new password, or AccountError naming each field at fault. The current one is
    asked for, so that someone at a browser left signed in cannot take the account over. The
    caller commits, and ends the account's other sessions and its tokens (`end_every_session`)."""
    errors = []
    if not _verifies(user.password_hash, current_password):
        errors.append(
            FieldError(
                "current_password",
                Text("Your current password is incorrect.", "Votre mot de passe actuel est incorrect."),
            )
        )
    errors.extend(
        FieldError("new_password", problem.message) for problem in password_problems(new_password, user.email)
    )
    if not errors and new_password == current_password:
        errors.append(
            FieldError(
                "new_password",
                Text(
                    "Choose a password other than your current one.",
                    "Choisissez un mot de passe autre que l'actuel.",
                ),
            )
        )
    if errors:
        raise AccountError(errors)
    user.password_hash = _hasher.hash(new_password)


def _verifies(password_hash: str, password: object) -> bool:
    """Whether `password` is the one `password_hash` was made from; never for a non-text or
    over-long one, which argon2 would spend its time on for nothing."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(session: Session, user: User) -> str:
    """A new bearer token for `user`; only its digest is kept, so it is shown this once."""
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, token_sha256=secret_digest(token), expires_at=utcnow() + TOKEN_LIFETIME)
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(User, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == secret_digest(token))
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.User


def revoke_token(session: Session, token: str) -> None:
    """End a bearer token now: an integrator done with it, or one that leaked."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_sha256 == secret_digest(token), ApiToken.expires_at > utcnow())
        .values(expires_at=utcnow())
    )


def secret_digest(token: str) -> str:
    """What is stored of a bearer token or a session id: its SHA-256, never the secret itself."""
    return hashlib.sha256(token.encode()).hexdigest()
