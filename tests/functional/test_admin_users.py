"""Admins list, create, edit, deactivate and reset accounts; nobody else may."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.domain.people import Role
from app.models import AuditEvent, User
from tests.conftest import Auth, csrf_token, post_form
from tests.factories import DEFAULT_PASSWORD, CadreFactory, make_user

SHOWN_PASSWORD = re.compile(r'<p class="password-shown[^"]*">\s*([^<\s]+)\s*</p>')


@pytest.fixture
def admin(auth):
    user = make_user(Role.ADMIN, username="root-admin")
    assert auth.login(user.username).headers["Location"] == "/admin/"
    return user


def listed(page: str) -> list[str]:
    """The usernames in the users table, in order."""
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a></td>', page)


def events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def user_named(db_session, username: str) -> User | None:
    db_session.expire_all()
    return db_session.scalar(select(User).where(User.username == username))


def edit_form(user: User, **changes: object) -> dict[str, object]:
    """The edit form as the page would post it unchanged, with `changes` applied."""
    data: dict[str, object] = {
        "display_name": user.display_name,
        "roles": sorted(role.value for role in user.roles),
        "cadre_staff_no": user.cadre.staff_no if user.cadre else "",
        "active": "y" if user.active else None,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def sign_in_fresh(app, username: str, password: str):
    """Sign in through the login form of a new browser; return the response."""
    return Auth(app.test_client()).login(username, password)


# ---- listing and searching ---------------------------------------------------------------


def test_admin_lists_users(client, admin):
    make_user(Role.HR, username="hr-li")
    make_user(Role.EXAMINER, username="exam-wang")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert listed(page.get_data(as_text=True)) == ["exam-wang", "hr-li", "root-admin"]


def test_search_by_username_fragment(client, admin):
    make_user(Role.HR, username="zhang-hr")
    make_user(Role.HR, username="zhangsan")
    make_user(Role.HR, username="lisi")
    page = client.get("/admin/users?q=zhang").get_data(as_text=True)
    assert listed(page) == ["zhang-hr", "zhangsan"]
    assert "共找到 2 个账号" in page


def test_search_by_cadre_name(client, admin):
    make_user(Role.CANDIDATE, username="DS9001", cadre=CadreFactory(name="欧阳修"))
    make_user(Role.CANDIDATE, username="DS9002", cadre=CadreFactory(name="司马光"))
    page = client.get("/admin/users", query_string={"q": "欧阳"}).get_data(as_text=True)
    assert listed(page) == ["DS9001"]


def test_filter_by_role(client, admin):
    make_user(Role.HR, username="hr-one")
    make_user(Role.HR, Role.EXAMINER, username="hr-and-examiner")
    make_user(Role.EXAMINER, username="examiner-only")
    page = client.get("/admin/users?role=hr").get_data(as_text=True)
    assert listed(page) == ["hr-and-examiner", "hr-one"]
    both = client.get("/admin/users?role=examiner&q=hr").get_data(as_text=True)
    assert listed(both) == ["hr-and-examiner"]


def test_unknown_role_filter_lists_everyone(client, admin):
    make_user(Role.HR, username="hr-one")
    page = client.get("/admin/users?role=nonsense")
    assert page.status_code == 200
    assert listed(page.get_data(as_text=True)) == ["hr-one", "root-admin"]


def test_user_list_paginates_and_keeps_the_search(app, client, admin):
    app.config["PAGE_SIZE"] = 2
    for letter in "abcde":
        make_user(Role.HR, username=f"pg-{letter}")
    response = client.get("/admin/users?q=pg-")
    assert response.status_code == 200
    first = response.get_data(as_text=True)
    assert listed(first) == ["pg-a", "pg-b"]
    assert "第 1 页，共 3 页" in first
    assert re.search(r'href="/admin/users\?[^"]*page=2', first)
    assert re.search(r'href="/admin/users\?[^"]*q=pg-', first)
    second = client.get("/admin/users?q=pg-&page=2").get_data(as_text=True)
    assert listed(second) == ["pg-c", "pg-d"]
    last = client.get("/admin/users?q=pg-&page=3").get_data(as_text=True)
    assert listed(last) == ["pg-e"]
    assert "第 3 页，共 3 页" in last


# ---- creating ----------------------------------------------------------------------------


def test_create_user_with_chosen_password(app, client, admin, db_session):
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "new-hr",
            "display_name": "新人事",
            "roles": ["hr", "examiner"],
            "password": "chosen-secret-5",
        },
        page="/admin/users/new",
    )
    user = user_named(db_session, "new-hr")
    assert user is not None
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert user.roles == {Role.HR, Role.EXAMINER}
    assert user.display_name == "新人事"
    assert user.must_change_password is False
    [event] = events(db_session, "user.create")
    assert event.actor_id == admin.id
    assert event.object_id == str(user.id)
    assert event.detail["roles"] == ["examiner", "hr"]
    assert "账号 new-hr 已创建。" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert sign_in_fresh(app, "new-hr", "chosen-secret-5").headers["Location"] == "/examiner/"


def test_create_user_with_a_cadre_link(client, admin, db_session):
    cadre = CadreFactory(staff_no="DS7001")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "DS7001",
            "roles": ["candidate"],
            "cadre_staff_no": "DS7001",
            "password": "chosen-secret-5",
        },
        page="/admin/users/new",
    )
    assert response.status_code == 302
    assert user_named(db_session, "DS7001").cadre_id == cadre.id


def test_create_user_with_generated_password_shows_it_once(app, client, admin, db_session):
    response = post_form(
        client,
        "/admin/users/new",
        {"username": "gen-user", "roles": ["hr"]},
        page="/admin/users/new",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "gen-user 的密码" in page
    match = SHOWN_PASSWORD.search(page)
    assert match, "the generated password is not on the page"
    password = match.group(1)
    assert len(password) >= 12

    user = user_named(db_session, "gen-user")
    assert user.must_change_password is True
    assert password not in user.password_hash
    assert password not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert events(db_session, "user.create")

    other = Auth(app.test_client())
    login = other.login("gen-user", password)
    assert login.headers["Location"] == "/auth/password"
    assert other.client.get("/hr/").headers["Location"] == "/auth/password"


def test_duplicate_username_is_refused(client, admin, db_session):
    make_user(Role.HR, username="taken")
    response = post_form(
        client,
        "/admin/users/new",
        {"username": "taken", "roles": ["examiner"], "password": "chosen-secret-5"},
        page="/admin/users/new",
    )
    assert response.status_code == 200
    assert "用户名 taken 已被占用。" in response.get_data(as_text=True)
    count = db_session.scalar(select(func.count()).where(User.username == "taken"))
    assert count == 1
    assert user_named(db_session, "taken").roles == {Role.HR}
    assert not events(db_session, "user.create")


def test_unknown_cadre_staff_number_is_refused(client, admin, db_session):
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "orphan",
            "roles": ["candidate"],
            "cadre_staff_no": "NOPE-1",
            "password": "chosen-secret-5",
        },
        page="/admin/users/new",
    )
    assert response.status_code == 200
    assert "干部名册中没有工号为 NOPE-1 的干部。" in response.get_data(as_text=True)
    assert user_named(db_session, "orphan") is None
    assert not events(db_session, "user.create")


def test_create_needs_a_role(client, admin, db_session):
    response = post_form(
        client,
        "/admin/users/new",
        {"username": "roleless", "password": "chosen-secret-5"},
        page="/admin/users/new",
    )
    assert response.status_code == 200
    assert "请至少选择一个角色。" in response.get_data(as_text=True)
    assert user_named(db_session, "roleless") is None


# ---- editing -----------------------------------------------------------------------------


def test_edit_roles_is_audited_with_before_and_after(client, admin, db_session):
    target = make_user(Role.HR, username="promote-me")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        edit_form(target, roles=["examiner", "hr"]),
        page=f"/admin/users/{target.id}",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{target.id}"
    assert user_named(db_session, "promote-me").roles == {Role.EXAMINER, Role.HR}
    [event] = events(db_session, "user.roles_changed")
    assert event.actor_id == admin.id
    assert event.object_id == str(target.id)
    assert event.detail["changes"]["roles"] == [["hr"], ["examiner", "hr"]]
    assert "已保存。" in client.get(f"/admin/users/{target.id}").get_data(as_text=True)


def test_removing_a_role_takes_its_pages_away(app, client, admin, db_session):
    target = make_user(Role.HR, Role.EXAMINER, username="two-hats")
    post_form(
        client,
        f"/admin/users/{target.id}",
        edit_form(target, roles=["examiner"]),
        page=f"/admin/users/{target.id}",
    )
    assert user_named(db_session, "two-hats").roles == {Role.EXAMINER}
    other = Auth(app.test_client())
    assert other.login("two-hats").headers["Location"] == "/examiner/"
    assert other.client.get("/hr/").status_code == 403


def test_deactivated_user_cannot_log_in(app, client, admin, db_session):
    target = make_user(Role.HR, username="leaver")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        edit_form(target, active=None),
        page=f"/admin/users/{target.id}",
    )
    assert response.status_code == 302
    assert user_named(db_session, "leaver").active is False
    refused = sign_in_fresh(app, "leaver", DEFAULT_PASSWORD)
    assert refused.status_code == 200
    assert "停用" in refused.get_data(as_text=True)
    listing = client.get("/admin/users?q=leaver").get_data(as_text=True)
    assert "已停用" in listing


def test_link_a_cadre_by_staff_number(client, admin, db_session):
    cadre = CadreFactory(staff_no="DS8001")
    target = make_user(Role.EXAMINER, username="to-link")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        edit_form(target, cadre_staff_no="DS8001"),
        page=f"/admin/users/{target.id}",
    )
    assert response.status_code == 302
    assert user_named(db_session, "to-link").cadre_id == cadre.id
    [event] = events(db_session, "user.update")
    assert event.detail["changes"]["cadre"] == [None, "DS8001"]


def test_linking_a_cadre_that_has_another_account_is_refused(client, admin, db_session):
    cadre = CadreFactory(staff_no="DS8002")
    make_user(Role.CANDIDATE, username="owner", cadre=cadre)
    target = make_user(Role.EXAMINER, username="intruder")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        edit_form(target, cadre_staff_no="DS8002", display_name="改名"),
        page=f"/admin/users/{target.id}",
    )
    assert response.status_code == 200
    assert "工号为 DS8002 的干部已有账号 owner。" in response.get_data(as_text=True)
    intruder = user_named(db_session, "intruder")
    assert intruder.cadre_id is None
    assert intruder.display_name != "改名"
    assert user_named(db_session, "owner").cadre_id == cadre.id
    assert not events(db_session, "user.update")


def test_admin_cannot_remove_own_admin_role(client, admin, db_session):
    response = post_form(
        client,
        f"/admin/users/{admin.id}",
        edit_form(admin, roles=["hr"]),
        page=f"/admin/users/{admin.id}",
    )
    assert response.status_code == 200
    assert "不能取消本人的系统管理员角色" in response.get_data(as_text=True)
    assert user_named(db_session, "root-admin").roles == {Role.ADMIN}
    assert not events(db_session, "user.roles_changed")
    assert client.get("/admin/").status_code == 200


def test_admin_cannot_deactivate_self(client, admin, db_session):
    response = post_form(
        client,
        f"/admin/users/{admin.id}",
        edit_form(admin, active=None),
        page=f"/admin/users/{admin.id}",
    )
    assert response.status_code == 200
    assert "不能停用本人账号" in response.get_data(as_text=True)
    assert user_named(db_session, "root-admin").active is True
    assert client.get("/admin/").status_code == 200


def test_another_admin_may_be_demoted(client, admin, db_session):
    other = make_user(Role.ADMIN, username="second-admin")
    response = post_form(
        client,
        f"/admin/users/{other.id}",
        edit_form(other, roles=["hr"]),
        page=f"/admin/users/{other.id}",
    )
    assert response.status_code == 302
    assert user_named(db_session, "second-admin").roles == {Role.HR}


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    token = csrf_token(client, "/admin/users")
    assert (
        client.post("/admin/users/999999/reset-password", data={"csrf_token": token}).status_code
        == 404
    )


# ---- password reset ----------------------------------------------------------------------


def test_reset_password_shows_a_working_password_and_forces_a_change(
    app, client, admin, db_session
):
    target = make_user(Role.HR, username="forgetful")
    response = post_form(
        client, f"/admin/users/{target.id}/reset-password", page=f"/admin/users/{target.id}"
    )
    assert response.status_code == 200
    match = SHOWN_PASSWORD.search(response.get_data(as_text=True))
    assert match, "the new password is not on the page"
    password = match.group(1)
    assert user_named(db_session, "forgetful").must_change_password is True

    [event] = events(db_session, "user.password_reset")
    assert event.actor_id == admin.id
    assert event.object_id == str(target.id)
    assert password not in str(event.detail)

    assert sign_in_fresh(app, "forgetful", DEFAULT_PASSWORD).status_code == 200  # old one is gone
    other = Auth(app.test_client())
    assert other.login("forgetful", password).headers["Location"] == "/auth/password"
    assert other.client.get("/hr/").headers["Location"] == "/auth/password"


def test_reset_password_needs_post(client, admin):
    target = make_user(Role.HR)
    assert client.get(f"/admin/users/{target.id}/reset-password").status_code == 405


# ---- CSRF and access ---------------------------------------------------------------------


def test_create_without_csrf_token_is_refused(client, admin, db_session):
    response = client.post(
        "/admin/users/new",
        data={"username": "sneaky", "roles": ["admin"], "password": "chosen-secret-5"},
    )
    assert response.status_code == 400
    assert user_named(db_session, "sneaky") is None


def test_edit_without_csrf_token_is_refused(client, admin, db_session):
    target = make_user(Role.HR, username="victim")
    response = client.post(f"/admin/users/{target.id}", data=edit_form(target, roles=["admin"]))
    assert response.status_code == 400
    assert user_named(db_session, "victim").roles == {Role.HR}


def test_reset_without_csrf_token_is_refused(client, admin, db_session):
    target = make_user(Role.HR, username="victim")
    old_hash = target.password_hash
    response = client.post(f"/admin/users/{target.id}/reset-password")
    assert response.status_code == 400
    victim = user_named(db_session, "victim")
    assert victim.password_hash == old_hash
    assert victim.must_change_password is False
    assert not events(db_session, "user.password_reset")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/{id}",
        "/admin/units",
        "/admin/audit",
    ],
)
def test_hr_gets_403_on_admin_pages(client, auth, path):
    hr = make_user(Role.HR)
    auth.login(hr.username)
    assert client.get(path.format(id=hr.id)).status_code == 403


def test_hr_cannot_post_admin_forms(client, auth, db_session):
    hr = make_user(Role.HR, username="hr-person")
    target = make_user(Role.EXAMINER, username="examiner-person")
    auth.login(hr.username)
    token = csrf_token(client, "/hr/")
    created = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "made-by-hr",
            "roles": ["admin"],
            "password": "chosen-secret-5",
        },
    )
    assert created.status_code == 403
    assert user_named(db_session, "made-by-hr") is None
    promoted = client.post(
        f"/admin/users/{hr.id}", data={"csrf_token": token, "roles": ["admin", "hr"], "active": "y"}
    )
    assert promoted.status_code == 403
    assert user_named(db_session, "hr-person").roles == {Role.HR}
    reset = client.post(f"/admin/users/{target.id}/reset-password", data={"csrf_token": token})
    assert reset.status_code == 403
    assert not events(db_session, "user.password_reset")


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
