"""The `user create`, `user password` and `demo` commands, as operators and scripts use them."""

from __future__ import annotations

from sqlalchemy import func, select

from app.domain.people import Role
from app.models import AuditEvent, Cadre, Unit, User
from tests.conftest import Auth
from tests.factories import CadreFactory, make_user

LANDINGS = {
    "candidate": "/candidate/",
    "examiner": "/examiner/",
    "hr": "/hr/",
    "admin": "/admin/",
}


def user_named(db_session, username: str) -> User | None:
    db_session.expire_all()
    return db_session.scalar(select(User).where(User.username == username))


def count(db_session, model: type) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def demo_logins(output: str) -> list[tuple[str, str, str]]:
    """(role, username, password) for each login line that `demo` prints."""
    logins = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in LANDINGS:
            logins.append((parts[0], parts[1], parts[2]))
    return logins


# ---- user create -----------------------------------------------------------------------


def test_user_create_with_roles_and_cadre(app, runner, db_session):
    cadre = CadreFactory(staff_no="DS4242", name="孙丽")
    result = runner.invoke(
        args=[
            "user",
            "create",
            "DS4242",
            "--role",
            "candidate",
            "--role",
            "hr",
            "--cadre",
            "DS4242",
            "--name",
            "孙丽",
            "--password",
            "cli-secret-42",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "DS4242" in result.output
    user = user_named(db_session, "DS4242")
    assert user.roles == {Role.CANDIDATE, Role.HR}
    assert user.cadre_id == cadre.id
    assert user.display_name == "孙丽"
    assert user.must_change_password is False
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.object_id == str(user.id)
    assert event.actor_id is None
    login = Auth(app.test_client()).login("DS4242", "cli-secret-42")
    assert login.headers["Location"] in {"/hr/", "/candidate/"}


def test_user_create_unknown_role_names_the_valid_ones(runner, db_session):
    result = runner.invoke(
        args=["user", "create", "someone", "--role", "superuser", "--password", "cli-secret-42"]
    )
    assert result.exit_code != 0
    assert "superuser" in result.output
    for role in ("candidate", "examiner", "hr", "admin"):
        assert role in result.output
    assert user_named(db_session, "someone") is None


def test_user_create_needs_a_role(runner, db_session):
    result = runner.invoke(args=["user", "create", "someone", "--password", "cli-secret-42"])
    assert result.exit_code != 0
    assert "--role" in result.output
    assert user_named(db_session, "someone") is None


def test_user_create_duplicate_username_fails(runner, db_session):
    make_user(Role.HR, username="taken")
    result = runner.invoke(
        args=["user", "create", "taken", "--role", "admin", "--password", "cli-secret-42"]
    )
    assert result.exit_code != 0
    assert "taken" in result.output
    assert "已被占用" in result.output
    assert user_named(db_session, "taken").roles == {Role.HR}
    assert count(db_session, User) == 1


def test_user_create_unknown_cadre_fails(runner, db_session):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "DS0000",
            "--role",
            "candidate",
            "--cadre",
            "DS0000",
            "--password",
            "cli-secret-42",
        ]
    )
    assert result.exit_code != 0
    assert "DS0000" in result.output
    assert user_named(db_session, "DS0000") is None


def test_user_create_refuses_a_short_password(runner, db_session):
    result = runner.invoke(args=["user", "create", "shorty", "--role", "hr", "--password", "short"])
    assert result.exit_code != 0
    assert user_named(db_session, "shorty") is None


def test_user_create_prompts_for_a_password(app, runner, db_session):
    result = runner.invoke(
        args=["user", "create", "prompted", "--role", "examiner"],
        input="typed-secret-1\ntyped-secret-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "typed-secret-1" not in result.output
    assert (
        Auth(app.test_client()).login("prompted", "typed-secret-1").headers["Location"]
        == "/examiner/"
    )


# ---- user password ---------------------------------------------------------------------


def test_user_password_changes_the_password(app, runner, db_session):
    make_user(Role.EXAMINER, username="forgetful", must_change_password=True)
    result = runner.invoke(args=["user", "password", "forgetful", "--password", "brand-new-pass-3"])
    assert result.exit_code == 0, result.output
    assert "forgetful" in result.output
    user = user_named(db_session, "forgetful")
    assert user.must_change_password is False
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "user.password_set" in actions

    assert Auth(app.test_client()).login("forgetful").status_code == 200  # old one refused
    login = Auth(app.test_client()).login("forgetful", "brand-new-pass-3")
    assert login.status_code == 302
    assert login.headers["Location"] == "/examiner/"


def test_user_password_for_unknown_user_fails(runner, db_session):
    result = runner.invoke(args=["user", "password", "ghost", "--password", "brand-new-pass-3"])
    assert result.exit_code != 0
    assert "ghost" in result.output
    assert count(db_session, User) == 0


def test_user_password_refuses_a_short_password(runner, db_session):
    user = make_user(Role.HR, username="keeper")
    old_hash = user.password_hash
    result = runner.invoke(args=["user", "password", "keeper", "--password", "short"])
    assert result.exit_code != 0
    assert user_named(db_session, "keeper").password_hash == old_hash


# ---- demo ------------------------------------------------------------------------------


def run_demo(runner):
    return runner.invoke(args=["demo"])


def login_lines(output: str) -> list[str]:
    return [
        line for line in output.splitlines() if line.split()[:1] and line.split()[0] in LANDINGS
    ]


def test_demo_is_idempotent(app, runner, db_session):
    first = run_demo(runner)
    assert first.exit_code == 0, first.output
    counts = (count(db_session, Unit), count(db_session, Cadre), count(db_session, User))
    assert all(n > 0 for n in counts)
    assert "already present" not in first.output
    assert "已存在" not in first.output

    second = run_demo(runner)
    assert second.exit_code == 0, second.output
    assert (count(db_session, Unit), count(db_session, Cadre), count(db_session, User)) == counts
    assert demo_logins(second.output) == demo_logins(first.output)
    # The second run marks every login as already there (in the CLI's language).
    for before, after in zip(login_lines(first.output), login_lines(second.output), strict=True):
        assert after.startswith(before)
        note = after[len(before) :].strip()
        assert "已存在" in note or "already present" in note, after


def test_demo_prints_one_login_per_role(runner):
    result = run_demo(runner)
    assert result.exit_code == 0, result.output
    assert sorted(role for role, _, _ in demo_logins(result.output)) == sorted(LANDINGS)


def test_every_demo_login_signs_in_and_lands_on_its_page(app, runner):
    result = run_demo(runner)
    assert result.exit_code == 0, result.output
    logins = demo_logins(result.output)
    assert logins
    for role, username, password in logins:
        browser = Auth(app.test_client())
        response = browser.login(username, password)
        assert response.status_code == 302, f"{username} could not sign in"
        assert response.headers["Location"] == LANDINGS[role], username
        assert browser.client.get(LANDINGS[role]).status_code == 200, username


def test_demo_logins_still_work_after_a_second_run(app, runner):
    run_demo(runner)
    result = run_demo(runner)
    for role, username, password in demo_logins(result.output):
        response = Auth(app.test_client()).login(username, password)
        assert response.headers.get("Location") == LANDINGS[role], username


def test_demo_candidate_is_linked_to_a_cadre(app, runner, db_session):
    result = run_demo(runner)
    assert result.exit_code == 0, result.output
    [candidate] = [u for r, u, _ in demo_logins(result.output) if r == "candidate"]
    user = user_named(db_session, candidate)
    assert user.cadre is not None
    assert user.cadre.staff_no == candidate
