"""In a real browser: each demo role signs in and lands on its own page, in Chinese."""

from __future__ import annotations

import pytest

from app.db import get_session
from app.services.demo import load_demo

pytestmark = pytest.mark.e2e

LANDING = {
    "admin": ("/admin/", "系统管理"),
    "examiner": ("/examiner/", "题库"),
    "hr": ("/hr/", "干部名册"),
    "DS1001": ("/candidate/", "我的考试"),
}


@pytest.fixture
def demo_logins(app):
    with app.app_context():
        return {login.username: login.password for login in load_demo(get_session())}


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("username", list(LANDING))
def test_demo_role_lands_on_its_page_in_chinese(page, live_server, demo_logins, username):
    path, heading = LANDING[username]
    sign_in(page, live_server, username, demo_logins[username])
    page.wait_for_url(f"{live_server}{path}")
    assert page.locator("h1").first.inner_text().strip() == heading
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_wrong_password_shows_a_message(page, live_server, demo_logins):
    sign_in(page, live_server, "hr", "wrong-password")
    assert "用户名或密码不正确" in page.locator(".alert").inner_text()


def test_login_fits_a_phone_screen(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.get_by_role("button", name="登录").is_visible()
    context.close()
