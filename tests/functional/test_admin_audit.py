"""The audit log page filters by actor, action and local (Asia/Shanghai) day, and paginates."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.domain.people import Role
from app.models import AuditEvent
from tests.factories import make_user


@pytest.fixture
def admin(auth):
    user = make_user(Role.ADMIN, username="auditor")
    auth.login(user.username)
    return user


def add_event(
    db_session, at: datetime, object_id: str, action: str = "test.event", actor=None
) -> AuditEvent:
    """An event with an explicit naive-UTC time; `object_id` names it on the page."""
    event = AuditEvent(
        at=at,
        action=action,
        object_type="doc",
        object_id=object_id,
        actor_id=actor.id if actor else None,
        detail={},
    )
    db_session.add(event)
    db_session.commit()
    return event


def shown(client, **query: str) -> list[str]:
    """The object ids of the `doc` events on the audit page, in page order."""
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200
    return re.findall(r"<td>doc:([^<]+)</td>", response.get_data(as_text=True))


def test_audit_page_lists_events_newest_first(client, admin, db_session):
    add_event(db_session, datetime(2020, 5, 1, 8, 0), "older")
    add_event(db_session, datetime(2020, 5, 2, 8, 0), "newer")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert shown(client) == ["newer", "older"]
    assert "auditor" in page  # the admin's own login is an event too
    assert '登录 <code class="small">login</code>' in page  # readable label beside the code


def test_times_are_shown_in_local_time(client, admin, db_session):
    add_event(db_session, datetime(2020, 3, 9, 16, 0, 0), "midnight")
    page = client.get("/admin/audit", query_string={"action": "test.event"}).get_data(as_text=True)
    assert "2020-03-10 00:00:00" in page
    assert "2020-03-09 16:00:00" not in page


def test_filter_by_actor_username(client, admin, db_session):
    alice = make_user(Role.HR, username="alice")
    bob = make_user(Role.HR, username="bob")
    add_event(db_session, datetime(2020, 1, 1, 1), "by-alice", actor=alice)
    add_event(db_session, datetime(2020, 1, 1, 2), "by-bob", actor=bob)
    add_event(db_session, datetime(2020, 1, 1, 3), "by-system")
    assert shown(client, actor="alice") == ["by-alice"]
    assert shown(client, actor="bob") == ["by-bob"]
    assert shown(client, actor="nobody") == []
    page = client.get("/admin/audit", query_string={"actor": "alice"}).get_data(as_text=True)
    assert "共 1 条记录" in page


def test_filter_by_action(client, admin, db_session):
    add_event(db_session, datetime(2020, 1, 1, 1), "created", action="unit.create")
    add_event(db_session, datetime(2020, 1, 1, 2), "renamed", action="unit.rename")
    add_event(db_session, datetime(2020, 1, 1, 3), "moved", action="unit.move")
    assert shown(client, action="unit.rename") == ["renamed"]
    page = client.get("/admin/audit").get_data(as_text=True)
    action_select = re.search(r'<select[^>]*name="action".*?</select>', page, re.S).group(0)
    for action in ("unit.create", "unit.rename", "unit.move", "login"):
        assert f'value="{action}"' in action_select


def test_action_filter_matches_the_chosen_action_only(client, admin, db_session):
    # The form offers exact actions; choosing "login" must not also list failed logins.
    add_event(db_session, datetime(2020, 1, 1, 1), "ok", action="login")
    add_event(db_session, datetime(2020, 1, 1, 2), "failed", action="login.failed")
    add_event(db_session, datetime(2020, 1, 1, 3), "refused", action="login.refused_inactive")
    assert shown(client, action="login") == ["ok"]
    assert shown(client, action="login.failed") == ["failed"]


def test_date_filter_uses_local_days(client, admin, db_session):
    # Asia/Shanghai is UTC+8: the local day 2020-03-10 runs from 16:00 UTC on 03-09
    # to 15:59:59 UTC on 03-10.
    add_event(db_session, datetime(2020, 3, 9, 15, 59, 59), "local-09-end")
    add_event(db_session, datetime(2020, 3, 9, 16, 0, 0), "local-10-start")
    add_event(db_session, datetime(2020, 3, 10, 15, 59, 59), "local-10-end")
    add_event(db_session, datetime(2020, 3, 10, 16, 0, 0), "local-11-start")

    assert shown(client, date_from="2020-03-10", date_to="2020-03-10") == [
        "local-10-end",
        "local-10-start",
    ]
    assert shown(client, date_to="2020-03-09") == ["local-09-end"]
    assert shown(client, date_from="2020-03-11") == ["local-11-start"]
    assert shown(client, date_from="2020-03-09", date_to="2020-03-11") == [
        "local-11-start",
        "local-10-end",
        "local-10-start",
        "local-09-end",
    ]


def test_filters_combine(client, admin, db_session):
    alice = make_user(Role.HR, username="alice")
    add_event(db_session, datetime(2020, 3, 9, 16, 0), "match", action="unit.create", actor=alice)
    add_event(
        db_session, datetime(2020, 3, 9, 16, 0), "other-action", action="unit.move", actor=alice
    )
    add_event(
        db_session, datetime(2020, 3, 8, 16, 0), "other-day", action="unit.create", actor=alice
    )
    add_event(db_session, datetime(2020, 3, 9, 16, 0), "other-actor", action="unit.create")
    assert shown(
        client, actor="alice", action="unit.create", date_from="2020-03-10", date_to="2020-03-10"
    ) == ["match"]


def test_audit_log_paginates_and_keeps_the_filter(app, client, admin, db_session):
    app.config["PAGE_SIZE"] = 2
    for day in range(1, 6):
        add_event(db_session, datetime(2020, 1, day, 4), f"day-{day}")
    response = client.get("/admin/audit", query_string={"action": "test.event"})
    assert response.status_code == 200
    first = response.get_data(as_text=True)
    assert re.findall(r"<td>doc:([^<]+)</td>", first) == ["day-5", "day-4"]
    assert "共 5 条记录" in first
    assert "第 1 页，共 3 页" in first
    next_link = re.search(r'href="(/admin/audit\?[^"]*page=2[^"]*)"', first)
    assert next_link, "no link to page 2"
    assert "action=test.event" in next_link.group(1)
    assert shown(client, action="test.event", page="2") == ["day-3", "day-2"]
    assert shown(client, action="test.event", page="3") == ["day-1"]


def test_page_past_the_end_is_empty_not_an_error(client, admin, db_session):
    add_event(db_session, datetime(2020, 1, 1, 4), "only")
    assert shown(client, action="test.event", page="9") == []


def test_invalid_date_is_shown_as_an_error(client, admin, db_session):
    response = client.get("/admin/audit", query_string={"date_from": "not-a-date"})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
