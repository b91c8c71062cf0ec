"""The load benchmarks' seeded database (bench/seed.py) holds working applications, not lookalikes.

The benchmarks' figures mean something only if the copied applications behave like real
ones: their owner reads them, a clerk claims and approves their tasks, and each has its own
valid Business Number.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from accounts.models import User
from accounts.service import issue_token
from app import create_app
from app.db import db_session
from bench import seed
from licences.business_number import is_valid_business_number
from tests.conftest import SIGNING_KEY
from tests.factories import user


@pytest.mark.postgres
def test_a_seeded_database_holds_copies_that_work_like_the_applications_they_copy(fresh_database):
    url = seed.postgres_url(fresh_database("postgresql"))
    seeded = seed.seed(url, 12, echo=False)
    assert seeded.applications == 12

    engine = create_engine(url)
    with engine.connect() as connection:
        numbers = connection.execute(
            text(
                "SELECT a.business_number, b.number FROM applications a"
                " JOIN assigned_business_numbers b ON b.application_id = a.id"
            )
        ).all()
        permits_by_application = connection.execute(
            text(
                "SELECT a.jurisdiction_code,"
                " string_agg(p.permit_code || ':' || p.state, ',' ORDER BY p.permit_code)"
                " FROM applications a JOIN permit_cases p ON p.application_id = a.id"
                " GROUP BY a.id, a.jurisdiction_code"
            )
        ).all()
        owners = connection.execute(
            text("SELECT owner_id, count(*) FROM applications GROUP BY owner_id")
        ).all()
        zoning = connection.execute(
            text(
                "SELECT p.id, a.id, a.owner_id FROM permit_cases p"
                " JOIN applications a ON a.id = p.application_id"
                " WHERE p.permit_code = 'TO-ZONING' ORDER BY a.id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    assert len(numbers) == 12 and all(mine == assigned for mine, assigned in numbers)
    assert len({mine for mine, _ in numbers}) == 12 and all(is_valid_business_number(n) for n, _ in numbers)
    by_place: dict[str, set[str]] = {}
    for place, permits in permits_by_application:
        by_place.setdefault(place, set()).add(permits)
    assert set(by_place) == {"3520005", "5915022"}
    assert all(len(kinds) == 1 for kinds in by_place.values())  # each copy has its template's permits
    assert sorted(count for _owner, count in owners).count(2) == 5  # copies: two per owner

    task_id, application_id, owner_id = zoning
    app = create_app({"TESTING": True, "DATABASE_URL": url, "LICENCE_SIGNING_KEY": SIGNING_KEY})
    with app.app_context():
        session = db_session()
        owner_token = issue_token(session, session.get(User, owner_id))
        clerk_token = issue_token(session, user(session, "clerk", "TO-TB"))
        session.commit()
    client = app.test_client()
    document = client.get(
        f"/api/v1/applications/{application_id}", headers={"Authorization": f"Bearer {owner_token}"}
    )
    assert document.status_code == 200
    assert {p["code"]: p["waiting_on"] for p in document.json["permits"]}["TO-ZONING"] == "agency"
    as_clerk = {"Authorization": f"Bearer {clerk_token}"}
    assert client.post(f"/api/v1/tasks/{task_id}/claim", json={}, headers=as_clerk).status_code == 200
    approved = client.post(f"/api/v1/tasks/{task_id}/approve", json={}, headers=as_clerk)
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    app.extensions["guichet.db"].engine.dispose()
