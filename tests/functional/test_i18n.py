"""Chinese by default, English on request (kept per account), and complete catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.domain.people import Role
from app.models import User
from tests.conftest import Auth, csrf_token
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
CATALOGS = {
    "zh_Hans_CN": TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po",
    "en": TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def switch_language(client, locale: str, next_path: str = ""):
    token = csrf_token(client, next_path if next_path.startswith("/") else "/auth/login")
    return client.post("/language", data={"csrf_token": token, "locale": locale, "next": next_path})


def login_page(client) -> str:
    return client.get("/auth/login").get_data(as_text=True)


# ---- switching -------------------------------------------------------------------------


def test_pages_are_chinese_by_default(client, auth):
    page = login_page(client)
    assert 'lang="zh-CN"' in page
    assert "登录" in page
    assert "Sign in" not in page
    admin = make_user(Role.ADMIN)
    auth.login(admin.username)
    home = client.get("/admin/").get_data(as_text=True)
    assert "系统管理" in home
    assert "退出" in home
    assert "Administration" not in home


def test_anonymous_visitor_switches_to_english(client):
    response = switch_language(client, "en", "/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    page = login_page(client)
    assert 'lang="en"' in page
    assert "Sign in" in page
    assert "登录" not in page
    switch_language(client, "zh_CN")
    assert "登录" in login_page(client)


def test_language_switch_returns_only_to_local_pages(client):
    response = switch_language(client, "en", "https://evil.example/")
    assert response.headers["Location"] == "/"


def test_anonymous_choice_lives_in_the_session_only(app, client):
    switch_language(client, "en")
    assert "Sign in" in login_page(client)
    assert "登录" in login_page(app.test_client())


def test_signed_in_user_keeps_the_language_on_the_account(app, client, auth, db_session):
    user = make_user(Role.HR)
    auth.login(user.username)
    response = switch_language(client, "en", "/hr/")
    assert response.headers["Location"] == "/hr/"
    db_session.expire_all()
    assert db_session.scalar(select(User.locale).where(User.id == user.id)) == "en"
    assert 'lang="en"' in client.get("/hr/").get_data(as_text=True)

    # Another browser: Chinese until the account is known, English after signing in.
    other = Auth(app.test_client())
    assert "登录" in login_page(other.client)
    landing = other.login(user.username)
    assert landing.headers["Location"] == "/hr/"
    page = other.client.get("/hr/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Sign out" in page


def test_account_language_wins_over_the_session(app, client, auth):
    user = make_user(Role.HR, locale="en")
    switch_language(client, "zh_CN")
    auth.login(user.username)
    assert 'lang="en"' in client.get("/hr/").get_data(as_text=True)


def test_unknown_locale_is_ignored(client, auth, db_session):
    response = switch_language(client, "fr", "/auth/login")
    assert response.status_code == 302
    assert "登录" in login_page(client)
    user = make_user(Role.HR)
    auth.login(user.username)
    switch_language(client, "xx_XX", "/hr/")
    db_session.expire_all()
    assert db_session.scalar(select(User.locale).where(User.id == user.id)) is None
    assert 'lang="zh-CN"' in client.get("/hr/").get_data(as_text=True)


def test_language_switch_needs_csrf(client, auth, db_session):
    login_page(client)
    response = client.post("/language", data={"locale": "en"})
    assert response.status_code == 400
    assert "登录" in login_page(client)
    user = make_user(Role.HR)
    auth.login(user.username)
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    db_session.expire_all()
    assert db_session.scalar(select(User.locale).where(User.id == user.id)) is None


def test_user_who_must_change_password_may_still_switch_language(client, auth):
    user = make_user(Role.HR, must_change_password=True)
    auth.login(user.username)
    response = switch_language(client, "en", "/auth/password")
    assert response.headers["Location"] == "/auth/password"
    assert 'lang="en"' in client.get("/auth/password").get_data(as_text=True)


# ---- catalogs --------------------------------------------------------------------------


def read_catalog(locale: str):
    with CATALOGS[locale].open("rb") as handle:
        return read_po(handle, locale=locale)


def as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_catalog_is_complete(locale):
    problems = []
    catalog = read_catalog(locale)
    assert len([m for m in catalog if m.id]) > 0
    for message in catalog:
        if not message.id:
            continue
        ids = as_tuple(message.id)
        strings = as_tuple(message.string)
        names = set(PLACEHOLDER.findall(" ".join(ids)))
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != names:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == [], f"{locale}: " + "\n".join(problems)


def extracted_ids() -> set[str]:
    """The message ids in the code now, extracted as scripts/i18n.py does."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_in_the_code_has_a_chinese_translation():
    in_code = extracted_ids()
    assert "Sign in" in in_code  # the extraction itself works
    catalog = read_catalog("zh_Hans_CN")
    translated = {as_tuple(m.id)[0] for m in catalog if m.id}
    assert sorted(in_code - translated) == []


def test_every_message_in_the_code_has_an_english_entry():
    in_code = extracted_ids()
    catalog = read_catalog("en")
    present = {as_tuple(m.id)[0] for m in catalog if m.id}
    assert sorted(in_code - present) == []
