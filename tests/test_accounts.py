"""The accounts service on a real database: argon2 hashes, field-level errors, tokens."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import ApiToken, User
from accounts.service import AccountError, authenticate, create_account, issue_token, user_for_token

PASSWORD = "correct horse battery"


def make(session, **overrides):
    values = {"email": "Ada@Example.ca", "password": PASSWORD, "name": "Ada Lovelace"}
    values.update(overrides)
    return create_account(session, **values)


def test_passwords_are_stored_as_argon2id_hashes(db_session):
    user = make(db_session)
    assert user.email == "ada@example.ca"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.role == "applicant"


def test_sign_in_with_the_right_password_only(db_session):
    make(db_session)
    assert authenticate(db_session, "ADA@example.ca ", PASSWORD).name == "Ada Lovelace"
    assert authenticate(db_session, "ada@example.ca", PASSWORD + "x") is None
    assert authenticate(db_session, "nobody@example.ca", PASSWORD) is None
    assert authenticate(db_session, None, PASSWORD) is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": None}, "email", "Enter a valid email address."),
        ({"password": "short pass"}, "password", "Use at least 12 characters."),
        ({"password": "x" * 1025}, "password", "Use at most 1024 characters."),
        ({"password": "ada@example.ca"}, "password", "Your password cannot be your email address."),
        ({"name": "  "}, "name", "Enter your name (200 characters at most)."),
        ({"role": "mayor"}, "role", "Choose a role among applicant, clerk, supervisor, admin."),
        ({"role": "clerk"}, "agency", "Clerks and supervisors belong to one agency; others to none."),
    ],
)
def test_bad_input_is_refused_field_by_field(db_session, overrides, field, message):
    with pytest.raises(AccountError) as raised:
        make(db_session, **overrides)
    assert [(e.field, e.message.en) for e in raised.value.errors] == [(field, message)]
    assert raised.value.errors[0].message.fr
    assert db_session.scalar(select(User).where(User.email == "ada@example.ca")) is None


def test_one_account_per_email_address(db_session):
    make(db_session)
    with pytest.raises(AccountError) as raised:
        make(db_session, email="ADA@example.ca")
    assert raised.value.errors[0].field == "email"
    assert "already exists" in raised.value.errors[0].message.en


def test_staff_accounts_belong_to_an_agency(db_session):
    clerk = make(db_session, email="clerk@toronto.ca", role="clerk", agency_code="TO-MLS")
    assert (clerk.role, clerk.agency_code) == ("clerk", "TO-MLS")


def test_tokens_are_stored_as_digests_and_expire(db_session):
    user = make(db_session)
    token = issue_token(db_session, user)
    stored = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token not in stored.token_sha256
    assert len(stored.token_sha256) == 64
    assert user_for_token(db_session, token).id == user.id
    assert user_for_token(db_session, token + "x") is None
    stored.expires_at = stored.expires_at - timedelta(days=31)
    db_session.flush()
    assert user_for_token(db_session, token) is None
