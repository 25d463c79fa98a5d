"""Shared data and helpers for the examiner page tests (this module holds no tests)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.domain import bank as core
from app.domain.people import Role
from app.services import bank_io
from tests.conftest import Auth, csrf_token
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
STARTER_BANK = ROOT / "question_bank"

TINY_LAWS = """\
laws:
  - id: ceshi-fa
    title: 测试法
    version: 2020修正
    effective: 2020-01-01
  - id: jiu-fa
    title: 旧法
    version: "2010"
    effective: 2010-01-01
    status: repealed
"""

# Text an examiner may really type: markup-like characters, full-width
# punctuation, a hash, quotes and a stem over two lines.
TRICKY_STEM = '<script>alert(1)</script> & "引号" #标签：\n第二行，全角标点（　　）。'
TINY_TOPIC = """\
topic: 测试
questions:
  - id: ceshi-0001
    type: single
    difficulty: 2
    stem: |-
      <script>alert(1)</script> & "引号" #标签：
      第二行，全角标点（　　）。
    options:
      A: "<b>粗体</b> & 选项"
      B: 普通选项
    answer: A
    law: ceshi-fa
    article: 第一条
    explanation: 解析 <i>斜体</i> & 说明
    tags: [总则]

  - id: ceshi-0002
    type: multiple
    difficulty: 4
    stem: 下列属于测试原则的有（　　）。
    options:
      A: 独一无二的选项文字
      B: 公开
      C: 公正
    answer: [B, C]
    law: ceshi-fa
    article: 第九十九条
    explanation: 只在解析里出现的词语。
    tags: [原则, 总则]

  - id: ceshi-0003
    type: judge
    difficulty: 1
    stem: 测试法自2020年1月1日起施行。
    answer: true
    law: ceshi-fa
    article: 第一百条
    tags: [附则]
"""
TINY_IDS = {"ceshi-0001", "ceshi-0002", "ceshi-0003"}

QUESTION_LINK = re.compile(r'href="/examiner/questions/([a-z0-9-]+)"')


def load_starter(session: Session) -> bank_io.ImportReport:
    return bank_io.import_bank(session, None, bank_io.read_bank([STARTER_BANK]))


def load_tiny(session: Session, folder: Path) -> bank_io.ImportReport:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "laws.yaml").write_text(TINY_LAWS, encoding="utf-8")
    (folder / "ceshi.yaml").write_text(TINY_TOPIC, encoding="utf-8")
    bank = bank_io.read_bank([folder])
    assert bank.errors == []
    return bank_io.import_bank(session, None, bank)


def starter_bank() -> core.Bank:
    return bank_io.read_bank([STARTER_BANK])


def sign_in_examiner(client: FlaskClient):
    user = make_user(Role.EXAMINER)
    assert Auth(client).login(user.username).status_code == 302
    return user


def post(client: FlaskClient, path: str, data: dict | None = None, **kwargs: object):
    """POST with a CSRF token read from a page the signed-in user may open."""
    token = csrf_token(client, "/auth/password")
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def question_links(html: str) -> set[str]:
    """The ids of the questions a page links to."""
    return {match for match in QUESTION_LINK.findall(html) if match != "new"}


def question_form(**overrides: object) -> dict:
    """Form fields of a valid single-choice question citing ceshi-fa."""
    data: dict = {
        "question_id": "ceshi-0100",
        "qtype": "single",
        "topic": "测试",
        "difficulty": "3",
        "status": "approved",
        "stem": "新题的题干（　　）。",
        "option_a": "甲",
        "option_b": "乙",
        "option_c": "丙",
        "answer_keys": ["B"],
        "law": "ceshi-fa",
        "article": "第二条",
        "explanation": "解析。",
        "tags": "总则, 新增",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
