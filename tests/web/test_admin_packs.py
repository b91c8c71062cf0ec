"""The administrators' permit-pack pages and commands, through the Flask test client and CLI runner."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounts.models import User
from accounts.service import create_account
from app.db import db_session as app_session
from tests.web.conftest import PASSWORD, csrf_token, sign_in
from workflows.audit import AuditEntry
from workflows.models import PackVersion
from workflows.pack_admin import publish
from workflows.packs.loader import PackSource, bundled_pack_directory

EXAMPLES = Path(__file__).parent.parent.parent / "docs" / "examples"
TORONTO_TEXT = (bundled_pack_directory() / "toronto-3520005.yaml").read_text(encoding="utf-8")
EATING_FEE = ("fee: {kind: flat, amount_cents: 51600}", "fee: {kind: flat, amount_cents: 52600}")


def toronto(*changes: tuple[str, str]) -> str:
    text = TORONTO_TEXT
    for old, new in changes:
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def people(app) -> dict[str, str]:
    """Administrators of Canada, Ontario and Vancouver, and a clerk: their email addresses."""
    with app.app_context():
        session = app_session()
        made = {}
        for name, role, agency, reach in [
            ("ca", "admin", None, "CA"),
            ("on", "admin", None, "CA-ON"),
            ("van", "admin", None, "5915022"),
            ("clerk", "clerk", "TO-TB", None),
        ]:
            account = create_account(
                session,
                email=f"{name}@example.ca",
                password=PASSWORD,
                name=f"Admin {name}",
                role=role,
                agency_code=agency,
                jurisdiction_code=reach,
            )
            made[name] = account.email
        session.commit()
    return made


def client_of(app, email: str, address: str = "10.1.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    assert sign_in(client, email).status_code == 302
    return client


def upload(client, *files: tuple[str, str], data: dict | None = None):
    payload = {"files": [(io.BytesIO(text.encode()), name) for name, text in files], **(data or {})}
    return client.post("/admin/packs/upload", data=payload, content_type="multipart/form-data")


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*?value="([^"]*)"', html).group(1)


def version_count(app) -> int:
    with app.app_context():
        return app_session().scalar(select(func.count()).select_from(PackVersion))


def test_only_administrators_see_and_open_the_permit_packs(app, people):
    admin = client_of(app, people["on"])
    assert 'id="permit-packs-link"' in page(admin.get("/account/"))
    clerk = client_of(app, people["clerk"], "10.1.0.2")
    assert 'id="permit-packs-link"' not in page(clerk.get("/account/"))
    refused = clerk.get("/admin/packs")
    assert refused.status_code == 403 and 'id="forbidden"' in page(refused)
    assert app.test_client().get("/admin/packs").status_code == 302  # to sign in


def test_the_list_shows_the_packs_in_force_within_the_reach(app, people):
    html = page(client_of(app, people["on"]).get("/admin/packs"))
    assert 'id="pack-CA-ON"' in html and 'id="pack-3520005"' in html
    assert 'id="pack-5915022"' not in html and 'id="pack-CA"' not in html
    assert "You publish the packs of CA-ON" in html


def test_broken_files_are_refused_with_every_problem_and_its_location(app, people):
    before = version_count(app)
    broken = toronto(("workflow: review", "workflow: revue"), ("code: TO-SIGN", "code: TO-ZONING"))
    response = upload(client_of(app, people["on"]), ("toronto.yaml", broken))
    assert response.status_code == 422
    html = page(response)
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\">([^<]+)</th>\s*<td>(\d*)</td>\s*<td><code>([^<]+)</code></td>", html
    )
    assert len(rows) >= 2 and all(file == "toronto.yaml" and line for file, line, _path in rows)
    assert any(path.endswith(".code") for _file, _line, path in rows)
    assert "unknown workflow template revue" in html and "duplicate code TO-ZONING" in html
    assert "nothing was published" in html
    assert version_count(app) == before


def test_broken_files_are_explained_in_french_on_the_french_page(app, people):
    client = client_of(app, people["on"])
    broken = toronto(("workflow: review", "workflow: revue"), ("code: TO-SIGN", "code: TO-ZONING"))
    assert '<html lang="fr">' in page(client.get("/admin/packs/upload?lang=fr"))  # kept in the session
    response = upload(client, ("toronto.yaml", broken))
    assert response.status_code == 422
    html = page(response)
    assert "Les paquets n'ont pas été acceptés" in html
    cells = re.findall(r"<td( lang=\"\w+\")?>([^<]*)</td>\s*</tr>", html)
    assert len(cells) >= 2
    assert all(not lang for lang, _reason in cells), "a reason is marked as in another language than the page"
    reasons = [reason for _lang, reason in cells]
    assert any(
        reason.startswith("modèle de processus inconnu revue; modèles connus : ") for reason in reasons
    )
    assert "code en double TO-ZONING : déjà utilisé dans toronto.yaml" in reasons
    assert "unknown workflow template" not in html and "duplicate code" not in html
    assert '<html lang="en">' in page(client.get("/admin/packs/upload?lang=en"))
    english = page(upload(client, ("toronto.yaml", broken)))
    assert "duplicate code TO-ZONING: already used in toronto.yaml" in english
    assert "code en double" not in english and '<td lang="en">' not in english


def test_a_pack_beyond_the_reach_is_refused_clearly_in_both_languages(app, people):
    client = client_of(app, people["van"])
    response = upload(client, ("toronto.yaml", toronto(EATING_FEE)))
    assert response.status_code == 422
    assert "3520005 is outside your reach: you may publish the packs of 5915022" in page(response)
    french = client.post(
        "/admin/packs/upload?lang=fr",
        data={"files": [(io.BytesIO(toronto(EATING_FEE).encode()), "toronto.yaml")]},
        content_type="multipart/form-data",
    )
    assert "3520005 est hors de votre portée" in page(french)


BOMB = "".join(  # 9 aliases of 9 aliases, five deep: a few hundred bytes read as 59,049 values
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9) if previous else ', '.join(['x'] * 9)}]\n"
    for previous, name in zip([None, "a", "b", "c", "d"], "abcde", strict=True)
)


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        (BOMB, "aliases are not accepted in packs: write the value out in full"),
        ("notes: " + "[" * 50_000 + "]" * 50_000, "nested more than 100 levels deep"),
    ],
    ids=["alias-bomb", "nested-past-the-parser"],
)
def test_hostile_yaml_is_refused_with_its_reason_before_it_is_expanded(app, people, hostile, reason):
    """Found by the security review: aliases made a 414-byte upload take 36 s to refuse, and
    nesting past the parser's recursion limit answered 500."""
    before = version_count(app)
    response = upload(client_of(app, people["on"]), ("toronto.yaml", toronto() + hostile))
    assert response.status_code == 422
    assert reason in page(response) and "nothing was published" in page(response)
    assert version_count(app) == before


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Choose at least one pack file."),
        ([("notes.txt", "format: 1")], "notes.txt: a pack file ends in .yaml or .yml."),
        ([("big.yaml", "#" * (300 * 1024))], "big.yaml: a pack file is at most 256 KB."),
        ([("latin.yaml", "")], None),  # replaced below by bytes that are not UTF-8
    ],
)
def test_the_upload_form_explains_each_refusal_next_to_the_field(app, people, files, message):
    client = client_of(app, people["on"])
    if message is None:
        response = client.post(
            "/admin/packs/upload",
            data={"files": [(io.BytesIO("café: é".encode("latin-1")), "latin.yaml")]},
            content_type="multipart/form-data",
        )
        message = "latin.yaml: save the file as UTF-8 text."
    else:
        response = upload(client, *files)
    assert response.status_code == 422
    html = page(response)
    assert f'<a href="#files">Pack files: {message}</a>' in html  # the summary links to the field
    assert 'id="files-error"' in html and 'aria-invalid="true"' in html


def test_files_over_the_server_limit_answer_413_on_the_form(app, people):
    # A lower limit than the 1 MB in force, so the test client keeps the body in memory.
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024
    files = [(f"pack{n}.yaml", "#" * (120 * 1024)) for n in range(2)]
    response = upload(client_of(app, people["on"]), *files)
    assert response.status_code == 413
    summary = '<a href="#files">Pack files: The files are too large together: at most 200 KB at once.</a>'
    assert summary in page(response)


def test_preview_then_publish_makes_a_new_version_by_that_administrator(app, people):
    client = client_of(app, people["on"])
    response = upload(client, ("toronto-3520005.yaml", toronto(EATING_FEE)))
    assert response.status_code == 200
    html = page(response)
    assert "Replaces version 1, in force." in html
    assert re.search(
        r"TO-EATING: Eating or drinking establishment licence</th>\s*<td>Permit</td>\s*<td>Changed</td>", html
    )
    assert "+    fee: {kind: flat, amount_cents: 52600}" in html  # the unified diff
    restaurant = html[html.index('id="sample-3520005-restaurant"') :]
    restaurant = restaurant[: restaurant.index("</tr>")]
    assert restaurant.count("Eating or drinking establishment licence (TO-EATING)") == 2  # now and after
    assert "Fees: +$10.00" in restaurant
    token = hidden(html, "upload")
    published = client.post("/admin/packs/publish", data={"upload": token})
    assert published.status_code == 302 and published.headers["Location"].endswith("/admin/packs")
    assert "3520005: published as version 2." in page(client.get("/admin/packs"))
    with app.app_context():
        session = app_session()
        row = session.scalar(
            select(PackVersion).where(PackVersion.jurisdiction_code == "3520005", PackVersion.active)
        )
        admin = session.scalar(select(User).where(User.email == people["on"]))
        assert (row.version, row.published_by_id) == (2, admin.id)
        assert session.scalar(select(func.count()).where(AuditEntry.action == "pack.publish")) == 1


def test_the_publish_button_only_takes_the_files_previewed_by_the_same_person(app, people):
    on = client_of(app, people["on"])
    token = hidden(page(upload(on, ("toronto.yaml", toronto(EATING_FEE)))), "upload")
    before = version_count(app)
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert on.post("/admin/packs/publish", data={"upload": altered}).status_code == 400
    other = client_of(app, people["ca"], "10.1.0.3")
    refused = other.post("/admin/packs/publish", data={"upload": token})
    assert refused.status_code == 400 and 'id="expired"' in page(refused)
    assert version_count(app) == before


def test_a_preview_made_before_someone_else_published_is_shown_again(app, people):
    client = client_of(app, people["on"])
    token = hidden(page(upload(client, ("toronto.yaml", toronto(EATING_FEE)))), "upload")
    with app.app_context():
        session = app_session()
        publish(
            session,
            [PackSource("toronto.yaml", toronto(("amount_cents: 20000", "amount_cents: 21000")))],
            actor=None,
        )
        session.commit()
    before = version_count(app)
    response = client.post("/admin/packs/publish", data={"upload": token})
    assert response.status_code == 409
    html = page(response)
    assert 'id="stale"' in html and "Replaces version 2, in force." in html
    assert version_count(app) == before
    assert client.post("/admin/packs/publish", data={"upload": hidden(html, "upload")}).status_code == 302
    assert version_count(app) == before + 1


def test_versions_are_listed_and_an_earlier_one_restored_after_its_preview(app, people):
    client = client_of(app, people["on"])
    token = hidden(page(upload(client, ("toronto.yaml", toronto(EATING_FEE)))), "upload")
    client.post("/admin/packs/publish", data={"upload": token})
    versions = page(client.get("/admin/packs/3520005/versions"))
    assert 'id="version-2"' in versions and "Admin on" in versions and "The command line" in versions
    assert "Preview restoring version 1" in versions and "Preview restoring version 2" not in versions
    preview = client.get("/admin/packs/3520005/versions/1/restore")
    html = page(preview)
    assert preview.status_code == 200 and "Preview: restoring version 1 of 3520005" in html
    assert "Fees: \u2212$10.00" in html  # a minus sign
    restored = client.post(
        "/admin/packs/3520005/versions/1/restore", data={"revision": hidden(html, "revision")}
    )
    assert restored.status_code == 302
    assert "Version 1 of 3520005 restored as version 3." in page(client.get(restored.headers["Location"]))
    again = client.post(
        "/admin/packs/3520005/versions/1/restore", data={"revision": hidden(html, "revision")}
    )
    assert again.status_code == 409  # packs changed since that preview: shown again, nothing restored
    assert 'id="nothing-to-publish"' in page(again)
    assert version_count(app) == 5 + 2


def test_another_jurisdictions_versions_answer_404(app, people):
    van = client_of(app, people["van"])
    assert van.get("/admin/packs/5915022/versions").status_code == 200
    for path in (
        "/admin/packs/3520005/versions",
        "/admin/packs/3520005/versions/1/restore",
        "/admin/packs/5915022/versions/7/restore",
        "/admin/packs/nope/versions",
    ):
        assert van.get(path).status_code == 404, path
    assert van.post("/admin/packs/3520005/versions/1/restore", data={"revision": "1"}).status_code == 404


def test_a_new_municipality_and_its_province_are_published_from_the_browser(app, people):
    client = client_of(app, people["ca"])
    files = [
        (name, (EXAMPLES / name).read_text(encoding="utf-8"))
        for name in ("ca-ns.yaml", "halifax-1209034.yaml")
    ]
    html = page(upload(client, *files))
    assert "A new jurisdiction: no pack of it is in force." in html
    assert 'id="samples-1209034"' in html and "Not in force yet" in html
    assert client.post("/admin/packs/publish", data={"upload": hidden(html, "upload")}).status_code == 302
    assert "Halifax" in page(client.get("/triage/1209034"))


def test_the_forms_carry_csrf_tokens_and_refuse_posts_without_them(app, people, browser):
    browser.environ_base["REMOTE_ADDR"] = "10.1.0.9"
    sign_in(browser, people["on"])
    form = page(browser.get("/admin/packs/upload"))
    assert 'enctype="multipart/form-data"' in form and '<label for="files">' in form
    files = {"files": [(io.BytesIO(toronto(EATING_FEE).encode()), "toronto.yaml")]}
    assert (
        browser.post("/admin/packs/upload", data=files, content_type="multipart/form-data").status_code == 400
    )
    files = {
        "files": [(io.BytesIO(toronto(EATING_FEE).encode()), "toronto.yaml")],
        "csrf_token": csrf_token(form),
    }
    preview = page(browser.post("/admin/packs/upload", data=files, content_type="multipart/form-data"))
    assert 'name="csrf_token"' in preview
    assert browser.post("/admin/packs/publish", data={"upload": hidden(preview, "upload")}).status_code == 400
    published = browser.post(
        "/admin/packs/publish", data={"upload": hidden(preview, "upload"), "csrf_token": csrf_token(preview)}
    )
    assert published.status_code == 302


def test_the_pages_speak_french(app, people):
    client = client_of(app, people["on"])
    html = page(client.get("/admin/packs?lang=fr"))
    assert '<html lang="fr">' in html and "Paquets de permis" in html
    assert "Vous publiez les paquets de CA-ON" in html
    preview = page(upload(client, ("toronto.yaml", toronto(EATING_FEE))))
    assert "Aperçu" in preview and "Publier" in preview


# The command line --------------------------------------------------------------------------


def test_preview_prints_the_changes_and_samples(runner, tmp_path):
    changed = tmp_path / "toronto.yaml"
    changed.write_text(toronto(EATING_FEE))
    result = runner.invoke(args=["packs", "preview", str(changed)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3520005 Toronto (toronto.yaml): replaces version 1"
    assert lines[1] == "  changed  permits TO-EATING: fee"
    assert any(line.startswith("* 3520005 Full-service restaurant") and "-> $" in line for line in lines)
    broken = tmp_path / "broken.yaml"
    broken.write_text(toronto(("workflow: review", "workflow: revue")))
    refused = runner.invoke(args=["packs", "preview", str(broken)])
    assert refused.exit_code == 1 and "broken.yaml:" in refused.output and "revue" in refused.output


def test_versions_and_restore_from_the_command_line(runner, tmp_path, db_session):
    changed = tmp_path / "toronto.yaml"
    changed.write_text(toronto(EATING_FEE))
    assert (
        runner.invoke(args=["packs", "load", str(changed)]).output.strip()
        == "3520005: published as version 2"
    )
    listing = runner.invoke(args=["packs", "versions", "3520005"]).output.splitlines()
    assert listing[0].startswith("v2 ") and listing[0].endswith("in force") and "command line" in listing[0]
    assert listing[1].startswith("v1 ")
    assert runner.invoke(args=["packs", "versions", "1209034"]).exit_code == 2
    dry = runner.invoke(args=["packs", "restore", "3520005", "1", "--dry-run"])
    assert dry.exit_code == 0 and "changed  permits TO-EATING: fee" in dry.output
    restored = runner.invoke(args=["packs", "restore", "3520005", "1"])
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[-1] == "3520005: version 1 restored as version 3"
    again = runner.invoke(args=["packs", "restore", "3520005", "3"])
    assert again.exit_code == 1 and "is already the text in force" in again.output
    assert runner.invoke(args=["packs", "restore", "3520005", "9"]).exit_code == 2
    entries = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("pack.%"))).all()
    assert entries == ["pack.publish", "pack.restore"]


def test_users_create_gives_an_administrator_a_jurisdiction(runner):
    made = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "hfx@example.ca",
            "--password",
            PASSWORD,
            "--role",
            "admin",
            "--jurisdiction",
            "1209034",
        ]
    )
    assert made.exit_code == 0, made.output
    assert "Created admin of 1209034 and below: hfx@example.ca" in made.output
    missing = runner.invoke(
        args=["users", "create", "--email", "x@example.ca", "--password", PASSWORD, "--role", "admin"]
    )
    assert missing.exit_code == 1 and "jurisdiction: Administrators have a jurisdiction" in missing.output
