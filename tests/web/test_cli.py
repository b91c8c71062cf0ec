"""The command line: flask packs validate / load / list, flask triage, flask db."""

import json

from sqlalchemy import func, select

from tests.answer_sets import TORONTO_FULL
from workflows.models import PackVersion
from workflows.packs.loader import bundled_pack_directory


def test_validate_the_bundled_packs(runner):
    result = runner.invoke(args=["packs", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Valid: 5 pack(s),")


def test_validate_reports_every_problem_with_file_path_and_line(runner, tmp_path):
    bad = tmp_path / "toronto-3520005.yaml"
    text = (bundled_pack_directory() / "toronto-3520005.yaml").read_text()
    bad.write_text(
        text.replace("workflow: review", "workflow: revue", 1).replace("code: TO-SIGN", "code: TO-ZONING")
    )
    result = runner.invoke(args=["packs", "validate", str(bad)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "toronto-3520005.yaml:" in result.output
    assert "unknown workflow template revue" in result.output
    assert "duplicate code TO-ZONING" in result.output


def test_load_publishes_then_reports_unchanged(runner, tmp_path, db_session):
    result = runner.invoke(args=["packs", "load"])
    assert result.exit_code == 0, result.output
    assert "3520005: unchanged (version 1)" in result.output
    changed = tmp_path / "toronto.yaml"
    changed.write_text((bundled_pack_directory() / "toronto-3520005.yaml").read_text() + "\n# reviewed\n")
    result = runner.invoke(args=["packs", "load", str(changed)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3520005: published as version 2"
    listing = runner.invoke(args=["packs", "list"]).output
    assert "3520005  v2" in listing
    assert "CA       v1" in listing


def test_load_of_a_bad_pack_stores_nothing(runner, tmp_path, db_session):
    before = db_session.scalar(select(func.count()).select_from(PackVersion))
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\njurisdiction: {code: '3520005', level: municipal, parent: CA-ON}\n")
    result = runner.invoke(args=["packs", "load", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:2: jurisdiction: missing required key 'name'" in result.output
    assert db_session.scalar(select(func.count()).select_from(PackVersion)) == before


def test_triage_prints_permits_reasons_and_total(runner, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(TORONTO_FULL))
    result = runner.invoke(args=["triage", "--jurisdiction", "3520005", "--answers", str(answers)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(" 1. [federal] Business Number (CA-BN)")
    assert any("(ON-AGCO)" in line for line in lines)
    assert lines[-1].startswith("Total: $")
    assert "estimated time to open:" in lines[-1]
    french = runner.invoke(
        args=["triage", "--jurisdiction", "3520005", "--answers", str(answers), "--lang", "fr"]
    )
    assert "Numéro d'entreprise" in french.output
    assert french.output.splitlines()[-1].startswith("Total: ")


def test_triage_rejects_bad_answers_with_their_field(runner, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**TORONTO_FULL, "seating_capacity": "lots"}))
    result = runner.invoke(args=["triage", "--jurisdiction", "3520005", "--answers", str(answers)])
    assert result.exit_code == 1
    assert "answers.seating_capacity: Enter a whole number." in result.output
    answers.write_text("[not json")
    result = runner.invoke(args=["triage", "--jurisdiction", "3520005", "--answers", str(answers)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    from app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite", "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
