"""Roster import from the web: upload, preview, confirm, download passwords once."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from app.domain.people import Role
from app.models import AuditEvent, Cadre, Unit, User
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.roster_files import GOOD_ROWS, csv_bytes, xlsx_bytes

TOKEN_FIELD = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def upload(client, content: bytes, filename: str):
    token = csrf_token(client, "/hr/roster/import")
    return client.post(
        "/hr/roster/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, page_html: str, path: str = "/hr/roster/import/confirm"):
    match = TOKEN_FIELD.search(page_html)
    assert match, "the preview page carries the upload token"
    token = csrf_token(client, "/hr/roster/import")
    return client.post(path, data={"csrf_token": token, "token": match.group(1)})


def test_preview_changes_nothing_then_confirm_imports_everything(client, auth, db_session):
    hr = make_user(Role.HR)
    auth.login(hr.username)
    preview = upload(client, csv_bytes(GOOD_ROWS), "名册.csv")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "王建国" in html and "3" in html
    assert count(db_session, Cadre) == 0

    done = confirm(client, html)
    assert done.status_code == 200
    assert "3" in done.get_data(as_text=True)
    cadres = {c.staff_no: c for c in db_session.scalars(select(Cadre))}
    assert set(cadres) == {"1001", "1002", "1003"}
    assert cadres["1003"].category == "law_enforcement"
    units = {u.name: u for u in db_session.scalars(select(Unit))}
    assert set(units) == {"大石桥市", "司法局", "市场监督管理局"}
    assert units["司法局"].parent_id == units["大石桥市"].id
    assert units["司法局"].path == f"/{units['大石桥市'].id}/{units['司法局'].id}/"
    accounts = {
        u.username: u for u in db_session.scalars(select(User).where(User.cadre_id.isnot(None)))
    }
    assert set(accounts) == {"1001", "1002", "1003"}
    assert all(u.must_change_password and u.roles == {Role.CANDIDATE} for u in accounts.values())
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert event.actor_id == hr.id and event.detail["created"] == 3


def test_initial_passwords_download_once_and_work(client, auth, app):
    hr = make_user(Role.HR)
    auth.login(hr.username)
    done = confirm(client, upload(client, csv_bytes(GOOD_ROWS), "r.csv").get_data(as_text=True))
    html = done.get_data(as_text=True)
    download = confirm(client, html, "/hr/roster/import/credentials")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese correctly
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0] == ["工号", "姓名", "单位", "用户名", "初始密码"]
    credentials = {row[3]: row[4] for row in rows[1:]}
    assert set(credentials) == {"1001", "1002", "1003"}
    assert confirm(client, html, "/hr/roster/import/credentials").status_code == 302

    other = app.test_client()
    from tests.conftest import Auth

    response = Auth(other).login("1002", credentials["1002"])
    assert response.headers["Location"] == "/auth/password"


def test_bad_rows_are_all_listed_and_nothing_is_imported(client, auth, db_session):
    auth.login(make_user(Role.HR).username)
    rows = [
        *GOOD_ROWS,
        ["", "无工号", "大石桥市/司法局", "", "", "公务员"],
        ["1001", "重复", "大石桥市/司法局", "", "", "公务员"],
        ["1005", "未知类别", "大石桥市/司法局", "", "", "临时工"],
    ]
    response = upload(client, csv_bytes(rows), "bad.csv")
    html = response.get_data(as_text=True)
    assert "第 5 行" in html and "第 6 行" in html and "第 7 行" in html
    assert "临时工" in html
    assert "token" not in TOKEN_FIELD.pattern or not TOKEN_FIELD.search(html)
    assert count(db_session, Cadre) == 0
    assert count(db_session, Unit) == 0


def test_xlsx_roster_with_numeric_staff_numbers(client, auth, db_session):
    auth.login(make_user(Role.ADMIN).username)
    rows = [[3001, "孙丽", "大石桥市/综合行政执法局", "大队长", "一级主任科员", "行政执法人员"]]
    html = upload(client, xlsx_bytes(rows), "roster.xlsx").get_data(as_text=True)
    confirm(client, html)
    cadre = db_session.scalar(select(Cadre))
    assert cadre.staff_no == "3001"
    assert cadre.category == "law_enforcement"


def test_reimport_updates_existing_cadres_without_new_accounts(client, auth, db_session):
    auth.login(make_user(Role.HR).username)
    confirm(client, upload(client, csv_bytes(GOOD_ROWS), "a.csv").get_data(as_text=True))
    changed = [list(row) for row in GOOD_ROWS]
    changed[1][3] = "科长"
    html = confirm(client, upload(client, csv_bytes(changed), "b.csv").get_data(as_text=True))
    text = html.get_data(as_text=True)
    assert "1 名干部已更新" in text or "更新 1" in text or "1" in text
    cadre = db_session.scalar(select(Cadre).where(Cadre.staff_no == "1002"))
    db_session.refresh(cadre)
    assert cadre.position == "科长"
    assert count(db_session, User) == 4  # the HR user and three candidates, no more


def test_upload_rejects_other_file_types_and_broken_workbooks(client, auth, db_session):
    auth.login(make_user(Role.HR).username)
    assert "csv" in upload(client, b"hello", "roster.txt").get_data(as_text=True)
    broken = upload(client, b"PK\x03\x04not really a zip", "roster.xlsx")
    assert broken.status_code == 200
    assert "XLSX" in broken.get_data(as_text=True)
    assert count(db_session, Cadre) == 0


def test_staff_number_already_used_as_another_username_is_refused(client, auth, db_session):
    auth.login(make_user(Role.HR).username)
    make_user(Role.EXAMINER, username="1002")
    html = confirm(client, upload(client, csv_bytes(GOOD_ROWS), "a.csv").get_data(as_text=True))
    assert "1002" in html.get_data(as_text=True)
    assert count(db_session, Cadre) == 0


def test_confirm_needs_own_upload_token(client, auth, app, db_session):
    auth.login(make_user(Role.HR).username)
    html = upload(client, csv_bytes(GOOD_ROWS), "a.csv").get_data(as_text=True)
    intruder = app.test_client()
    from tests.conftest import Auth

    Auth(intruder).login(make_user(Role.HR).username)
    response = confirm(intruder, html)
    assert response.status_code == 302
    assert count(db_session, Cadre) == 0


def test_candidates_and_examiners_cannot_import(client, auth):
    for role in (Role.CANDIDATE, Role.EXAMINER):
        auth.login(make_user(role).username)
        assert client.get("/hr/roster/import").status_code == 403
        auth.logout()
