"""Admins build the unit tree: add, rename and move units, never into a loop."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.domain.people import Role
from app.models import AuditEvent, Unit
from app.services import units
from app.services.errors import InvalidInput
from tests.conftest import post_form
from tests.factories import UnitFactory, make_user

TREE_ROW = re.compile(r'unit-depth-(\d)">\s*<span>([^<]*)</span>')


@pytest.fixture
def admin(auth):
    user = make_user(Role.ADMIN)
    auth.login(user.username)
    return user


def tree(client) -> list[tuple[int, str]]:
    """The tree on the units page as (depth, name) in display order."""
    page = client.get("/admin/units")
    assert page.status_code == 200
    return [(int(depth), name) for depth, name in TREE_ROW.findall(page.get_data(as_text=True))]


def parents(rows: list[tuple[int, str]]) -> dict[str, str | None]:
    """Each shown unit's parent, read back from the indentation of the tree."""
    result: dict[str, str | None] = {}
    chain: list[str] = []
    for depth, name in rows:
        assert depth <= len(chain), f"{name} is indented deeper than its parent"
        chain = chain[:depth]
        result[name] = chain[-1] if chain else None
        chain.append(name)
    return result


def unit_named(db_session, name: str) -> Unit | None:
    db_session.expire_all()
    return db_session.scalar(select(Unit).where(Unit.name == name))


def count_units(db_session, name: str) -> int:
    return db_session.scalar(select(func.count()).where(Unit.name == name))


def events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def add_unit(client, name: str, parent_id: int = 0):
    return post_form(
        client, "/admin/units", {"name": name, "parent_id": str(parent_id)}, page="/admin/units"
    )


def rename(client, unit: Unit, name: str):
    return post_form(
        client,
        f"/admin/units/{unit.id}",
        {"rename-name": name, "rename-submit": "重命名"},
        page=f"/admin/units/{unit.id}",
    )


def move(client, unit: Unit, parent_id: int):
    return post_form(
        client,
        f"/admin/units/{unit.id}",
        {"move-parent_id": str(parent_id), "move-submit": "移动"},
        page=f"/admin/units/{unit.id}",
    )


def test_add_a_root_unit_and_a_child(client, admin, db_session):
    response = add_unit(client, "大石桥市")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/units"
    city = unit_named(db_session, "大石桥市")
    assert city.parent_id is None
    assert city.path == f"/{city.id}/"
    assert "单位“大石桥市”已添加。" in client.get("/admin/units").get_data(as_text=True)

    assert add_unit(client, "司法局", city.id).headers["Location"] == "/admin/units"
    bureau = unit_named(db_session, "司法局")
    assert bureau.parent_id == city.id
    assert bureau.path == f"/{city.id}/{bureau.id}/"

    created = events(db_session, "unit.create")
    assert [(e.actor_id, e.detail["name"], e.detail["parent"]) for e in created] == [
        (admin.id, "大石桥市", None),
        (admin.id, "司法局", "大石桥市"),
    ]


def test_sibling_name_clash_is_refused(client, admin, db_session):
    city = UnitFactory(name="大石桥市")
    UnitFactory(name="司法局", parent=city)
    response = add_unit(client, "司法局", city.id)
    assert response.status_code == 200
    assert "该位置下已存在名为“司法局”的单位。" in response.get_data(as_text=True)
    assert count_units(db_session, "司法局") == 1


def test_root_name_clash_is_refused(client, admin, db_session):
    UnitFactory(name="大石桥市")
    response = add_unit(client, " 大石桥市 ")
    assert response.status_code == 200
    assert "该位置下已存在名为“大石桥市”的单位。" in response.get_data(as_text=True)
    assert count_units(db_session, "大石桥市") == 1


def test_same_name_under_different_parents_is_allowed(client, admin, db_session):
    town = UnitFactory(name="虎庄镇")
    street = UnitFactory(name="石桥街道")
    UnitFactory(name="党政办", parent=town)
    assert add_unit(client, "党政办", street.id).status_code == 302
    assert count_units(db_session, "党政办") == 2


def test_unit_name_with_slash_is_refused(client, admin, db_session):
    response = add_unit(client, "司法局/公证处")
    assert response.status_code == 200
    assert "单位名称不能包含“/”" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Unit)) == 0


def test_rename_is_audited(client, admin, db_session):
    unit = UnitFactory(name="司法所")
    response = rename(client, unit, "司法局")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/units"
    assert unit_named(db_session, "司法局").id == unit.id
    assert unit_named(db_session, "司法所") is None
    [event] = events(db_session, "unit.rename")
    assert event.actor_id == admin.id
    assert event.object_id == str(unit.id)
    assert event.detail == {"old": "司法所", "new": "司法局"}


def test_rename_with_slash_is_refused(client, admin, db_session):
    unit = UnitFactory(name="司法局")
    response = rename(client, unit, "司法/局")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/units/{unit.id}"
    assert "单位名称不能包含“/”" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert unit_named(db_session, "司法局") is not None
    assert not events(db_session, "unit.rename")


def test_rename_to_a_sibling_name_is_refused(client, admin, db_session):
    city = UnitFactory(name="大石桥市")
    UnitFactory(name="司法局", parent=city)
    other = UnitFactory(name="财政局", parent=city)
    response = rename(client, other, "司法局")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "该位置下已存在名为“司法局”的单位。" in page
    assert unit_named(db_session, "财政局").id == other.id
    assert count_units(db_session, "司法局") == 1


def test_move_takes_the_subtree_along(client, admin, db_session):
    city = UnitFactory(name="大石桥市")
    old_home = UnitFactory(name="旧镇", parent=city)
    office = UnitFactory(name="司法所", parent=old_home)
    desk = UnitFactory(name="调解室", parent=office)
    corner = UnitFactory(name="接待处", parent=desk)
    new_home = UnitFactory(name="新区", parent=city)

    response = move(client, office, new_home.id)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/units"

    db_session.expire_all()
    assert office.parent_id == new_home.id
    assert office.path == f"/{city.id}/{new_home.id}/{office.id}/"
    assert desk.path == f"/{city.id}/{new_home.id}/{office.id}/{desk.id}/"
    assert corner.path == f"/{city.id}/{new_home.id}/{office.id}/{desk.id}/{corner.id}/"
    assert desk.parent_id == office.id
    assert old_home.path == f"/{city.id}/{old_home.id}/"

    [event] = events(db_session, "unit.move")
    assert event.actor_id == admin.id
    assert event.object_id == str(office.id)
    assert event.detail == {"old_parent": "旧镇", "new_parent": "新区"}

    page = client.get(f"/admin/units/{corner.id}").get_data(as_text=True)
    assert "大石桥市/新区/司法所/调解室/接待处" in page
    assert parents(tree(client)) == {
        "大石桥市": None,
        "旧镇": "大石桥市",
        "新区": "大石桥市",
        "司法所": "新区",
        "调解室": "司法所",
        "接待处": "调解室",
    }


def test_move_to_the_top_level(client, admin, db_session):
    city = UnitFactory(name="大石桥市")
    office = UnitFactory(name="司法所", parent=city)
    desk = UnitFactory(name="调解室", parent=office)
    assert move(client, office, 0).status_code == 302
    db_session.expire_all()
    assert office.parent_id is None
    assert office.path == f"/{office.id}/"
    assert desk.path == f"/{office.id}/{desk.id}/"


def test_move_where_the_name_is_taken_is_refused(client, admin, db_session):
    a = UnitFactory(name="甲镇")
    b = UnitFactory(name="乙镇")
    UnitFactory(name="司法所", parent=b)
    office = UnitFactory(name="司法所", parent=a)
    old_path = office.path
    response = move(client, office, b.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "该位置下已存在名为“司法所”的单位。" in page
    db_session.expire_all()
    assert office.parent_id == a.id
    assert office.path == old_path
    assert not events(db_session, "unit.move")


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_moving_a_unit_under_itself_or_its_descendant_is_refused(client, admin, db_session, target):
    city = UnitFactory(name="大石桥市")
    office = UnitFactory(name="司法所", parent=city)
    desk = UnitFactory(name="调解室", parent=office)
    corner = UnitFactory(name="接待处", parent=desk)
    paths = {u.id: u.path for u in (city, office, desk, corner)}
    parent = {"itself": office, "child": desk, "grandchild": corner}[target]

    response = move(client, office, parent.id)
    # The form offers no unit of the subtree, so the choice itself is refused.
    assert response.status_code == 200
    assert re.search(r'class="invalid-feedback">[^<]+<', response.get_data(as_text=True))

    db_session.expire_all()
    assert {u.id: u.path for u in db_session.scalars(select(Unit))} == paths
    assert office.parent_id == city.id
    assert not events(db_session, "unit.move")


def test_the_service_refuses_a_loop_even_without_the_form(admin, db_session):
    city = UnitFactory(name="大石桥市")
    office = UnitFactory(name="司法所", parent=city)
    desk = UnitFactory(name="调解室", parent=office)
    with pytest.raises(InvalidInput) as refused:
        units.move_unit(db_session, admin.id, office, desk.id)
    assert refused.value.code == "unit_move_into_itself"
    db_session.rollback()
    db_session.expire_all()
    assert office.parent_id == city.id
    assert desk.path == f"/{city.id}/{office.id}/{desk.id}/"


def test_move_choices_leave_out_the_units_own_subtree(client, admin):
    city = UnitFactory(name="大石桥市")
    office = UnitFactory(name="司法所", parent=city)
    UnitFactory(name="调解室", parent=office)
    UnitFactory(name="财政局", parent=city)
    page = client.get(f"/admin/units/{office.id}").get_data(as_text=True)
    move_select = re.search(r'<select[^>]*name="move-parent_id".*?</select>', page, re.S).group(0)
    assert "大石桥市" in move_select
    assert "财政局" in move_select
    assert "司法所" not in move_select
    assert "调解室" not in move_select


def test_tree_page_shows_the_hierarchy(client, admin):
    city = UnitFactory(name="大石桥市")
    justice = UnitFactory(name="司法局", parent=city)
    UnitFactory(name="公证处", parent=justice)
    UnitFactory(name="财政局", parent=city)
    UnitFactory(name="营口市")
    rows = tree(client)
    assert len(rows) == 5
    assert parents(rows) == {
        "大石桥市": None,
        "司法局": "大石桥市",
        "公证处": "司法局",
        "财政局": "大石桥市",
        "营口市": None,
    }


def test_tree_page_invites_the_first_unit_when_empty(client, admin):
    page = client.get("/admin/units").get_data(as_text=True)
    assert tree(client) == []
    assert "暂无单位。" in page


def test_unknown_unit_is_404(client, admin):
    assert client.get("/admin/units/999999").status_code == 404
