"""The `flask --app app ...` commands: output, idempotence and clear errors."""

import json

import sqlalchemy as sa

from tracker.db import db
from tracker.models import Obligation, Team, User


def test_seed_demo_prints_the_login_and_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output and "password" in first.output
    count = db.session.scalar(sa.select(sa.func.count(Obligation.id)))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "obligations: 0 created, 0 updated, 12 unchanged" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == count
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
    assert admin.role == "admin" and admin.password_hash


def test_seed_demo_if_empty_leaves_an_existing_register_alone(runner):
    runner.invoke(args=["create-user", "x@example.com", "--role", "viewer"])
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "already has data" in result.output


def test_import_pack_reports_every_problem_and_exits_non_zero(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"pack": "x", "teams": [{"key": "t", "name": "T", "timezone": "Nowhere/City"}],
                               "obligations": [{"key": "o", "title": "O", "team": "t",
                                                "deadline": {"rule": "relative", "anchor": "x", "offset": 1}}]}))
    result = runner.invoke(args=["import-pack", str(bad)])
    assert result.exit_code == 1
    assert "teams[0].timezone: unknown time zone 'Nowhere/City'" in result.output
    assert "obligations[0].deadline.anchor: unknown event 'x'" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 0


def test_import_pack_of_a_missing_file_or_non_json_fails_clearly(runner, tmp_path):
    missing = runner.invoke(args=["import-pack", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x89PNG not json")
    result = runner.invoke(args=["import-pack", str(garbage)])
    assert result.exit_code == 1 and "pack:" in result.output


def test_export_pack_round_trips_through_import(runner, tmp_path):
    runner.invoke(args=["seed-demo"])
    out = tmp_path / "export.json"
    assert runner.invoke(args=["export-pack", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    ca = next(o for o in data["obligations"] if o["key"] == "ca-vendor-cert")
    assert (ca["due_date"], ca["due_state"], ca["status"]) == ("2026-07-01", "firm", "open")
    again = runner.invoke(args=["import-pack", str(out)])
    assert again.exit_code == 0, again.output
    assert "obligations: 0 created, 0 updated, 12 unchanged" in again.output
    stdout = runner.invoke(args=["export-pack"])
    assert json.loads(stdout.output)["pack"] == "register"


def test_create_user_joins_a_team_by_name_and_refuses_bad_input(runner):
    runner.invoke(args=["seed-demo"])
    ok = runner.invoke(args=["create-user", "New.Person@Example.com", "--role", "editor", "--team", "Procurement",
                             "--password", "long-enough-1"])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(sa.select(User).where(User.email == "new.person@example.com"))
    assert [t.key for t in user.teams] == ["procurement"]
    dup = runner.invoke(args=["create-user", "new.person@example.com", "--role", "editor"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    bad = runner.invoke(args=["create-user", "not-an-email", "--role", "editor"])
    assert bad.exit_code == 1 and "email" in bad.output
    no_team = runner.invoke(args=["create-user", "z@example.com", "--role", "viewer", "--team", "Nope"])
    assert no_team.exit_code == 1 and "no team" in no_team.output
    short = runner.invoke(args=["create-user", "s@example.com", "--role", "viewer", "--password", "short"])
    assert short.exit_code == 1 and "8 characters" in short.output
    role = runner.invoke(args=["create-user", "r@example.com", "--role", "owner"])
    assert role.exit_code != 0


def test_seed_synthetic_adds_obligations_with_computed_dates(runner):
    result = runner.invoke(args=["seed-synthetic", "--obligations", "300", "--teams", "3", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == 300
    states = set(db.session.scalars(sa.select(Obligation.due_state).distinct()))
    assert {"firm", "projected"} <= states
    dated = db.session.scalar(sa.select(sa.func.count(Obligation.id)).where(Obligation.due_date.is_not(None)))
    assert dated > 0
    assert runner.invoke(args=["seed-synthetic", "--obligations", "0"]).exit_code == 1


def test_commands_on_an_unmigrated_database_say_what_to_do(tmp_path):
    from tracker import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}", "TESTING": True,
                      "TRACKER_SCHEDULER": "off"})
    runner = app.test_cli_runner()
    for args in (["seed-demo"], ["feed-url", "procurement"], ["export-pack"],
                 ["create-user", "a@example.com", "--role", "viewer"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert "db upgrade" in result.output and "Traceback" not in result.output, args
