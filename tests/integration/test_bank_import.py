"""services.bank_io.import_bank and services.laws.mark_law against the database.

Import is atomic (any error: nothing changes), idempotent (an unchanged bank
changes nothing), versioned (changed content makes a new immutable version) and
watches the law registry (a lapsed law sends approved questions to review).
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain import bank as core
from app.models import AuditEvent, Law, Question, QuestionVersion
from app.services import bank_io, laws
from app.services.bank_io import BankRejected, import_bank, read_bank
from app.services.errors import Conflict, InvalidInput

LAWS_YAML = """\
laws:
  - id: xianfa
    title: 中华人民共和国宪法
    version: 2018修正
    effective: 2018-03-11
  - id: xingzheng-chufa
    title: 中华人民共和国行政处罚法
    version: 2021修订
    effective: 2021-07-15
"""

XIANFA_YAML = """\
topic: 宪法
questions:
  - id: xianfa-0001
    type: single
    difficulty: 2
    stem: 中华人民共和国的一切权力属于（　　）。
    options: {A: 人民, B: 全国人民代表大会, C: 国务院, D: 人民政府}
    answer: A
    law: xianfa
    article: 第二条
    explanation: 宪法第二条第一款规定，中华人民共和国的一切权力属于人民。
    tags: [总纲]

  - id: xianfa-0002
    type: multiple
    stem: 下列属于公民基本权利的有（　　）。
    options:
      A: 选举权
      B: 宗教信仰自由
      C: 纳税
      D: 受教育的权利
    answer: [A, B, D]
    law: xianfa
    article: 第二章

  - id: xianfa-0003
    type: judge
    stem: 宪法是国家的根本法。
    answer: true
    law: xianfa
    article: 序言

  - id: xianfa-0004
    type: judge
    stem: 尚未审定的题目。
    answer: false
    law: xianfa
    status: draft
"""

CHUFA_YAML = """\
topic: 行政处罚法
questions:
  - id: chufa-0001
    type: judge
    stem: 行政处罚遵循公正、公开的原则。
    answer: true
    law: xingzheng-chufa
    article: 第五条

  - id: chufa-0002
    type: single
    stem: 行政处罚的种类不包括（　　）。
    options: {A: 警告, B: 罚款, C: 记过}
    answer: C
    law: xingzheng-chufa
    article: 第九条
"""

ALL_IDS = ["chufa-0001", "chufa-0002", "xianfa-0001", "xianfa-0002", "xianfa-0003", "xianfa-0004"]
APPROVED_XIANFA = ["xianfa-0001", "xianfa-0002", "xianfa-0003"]


def write_bank(folder: Path, **files: str) -> Path:
    """Write the bank files into `folder`; keyword `laws` is laws.yaml, others <name>.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def starter(folder: Path) -> Path:
    return write_bank(folder, laws=LAWS_YAML, xianfa=XIANFA_YAML, chufa=CHUFA_YAML)


def run_import(session, folder: Path, **options: bool) -> bank_io.ImportReport:
    return import_bank(session, None, read_bank([folder]), source=str(folder), **options)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def counts(session) -> tuple[int, int, int]:
    return count(session, Law), count(session, Question), count(session, QuestionVersion)


def snapshot(session) -> dict[str, object]:
    """Everything an import may touch, as plain values."""
    session.expire_all()
    return {
        "laws": sorted(
            (row.id, row.title, row.version, row.effective, row.status, row.replaced_by)
            for row in session.scalars(select(Law))
        ),
        "questions": sorted(
            (row.id, row.status, row.review_reason, row.source_file, row.current_version_id)
            for row in session.scalars(select(Question))
        ),
        "versions": sorted(
            (row.id, row.question_id, row.number, row.content_hash, row.stem, str(row.answer))
            for row in session.scalars(select(QuestionVersion))
        ),
    }


def status_of(session, question_id: str) -> str:
    session.expire_all()
    return session.get(Question, question_id).status


# ---- first import -------------------------------------------------------------------------


def test_import_into_an_empty_database(db_session, tmp_path):
    folder = starter(tmp_path / "bank")

    report = run_import(db_session, folder)

    assert sorted(report.added) == ALL_IDS
    expected = {
        "added": 6,
        "new_version": 0,
        "unchanged": 0,
        "retired": 0,
        "status_changed": 0,
        "needs_review": 0,
        "laws_added": 2,
        "laws_changed": 0,
    }
    assert {name: report.counts()[name] for name in expected} == expected
    assert counts(db_session) == (2, 6, 6)
    parsed = {q.id: q for q in read_bank([folder]).questions}
    for row in db_session.scalars(select(Question)):
        assert row.current is not None and row.current.number == 1
        assert bank_io.content_of(row.current) == parsed[row.id].content
        assert row.status == parsed[row.id].status
    assert db_session.get(Question, "xianfa-0004").status == "draft"
    assert db_session.get(Question, "chufa-0001").source_file == "chufa.yaml"
    law = db_session.get(Law, "xianfa")
    assert (law.title, law.version, law.effective, law.status) == (
        "中华人民共和国宪法",
        "2018修正",
        date(2018, 3, 11),
        "in_force",
    )
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.import")).one()
    assert event.detail["added"] == 6


def test_reimporting_an_unchanged_bank_changes_nothing(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    before = snapshot(db_session)
    updated = {row.id: row.updated_at for row in db_session.scalars(select(Question))}

    report = run_import(db_session, folder)

    assert sorted(report.unchanged) == ALL_IDS
    assert report.counts() | {"unchanged": 0} == dict.fromkeys(report.counts(), 0)
    assert snapshot(db_session) == before
    assert {row.id: row.updated_at for row in db_session.scalars(select(Question))} == updated


# ---- versions -----------------------------------------------------------------------------


def test_a_changed_stem_makes_version_2_and_leaves_version_1_as_it_was(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    first = db_session.get(Question, "xianfa-0003").current
    first_id, first_stem, first_hash = first.id, first.stem, first.content_hash

    write_bank(folder, xianfa=XIANFA_YAML.replace("宪法是国家的根本法。", "宪法是国家的根本大法。"))
    report = run_import(db_session, folder)

    assert report.new_version == ["xianfa-0003"]
    assert sorted(report.unchanged) == [i for i in ALL_IDS if i != "xianfa-0003"]
    db_session.expire_all()
    question = db_session.get(Question, "xianfa-0003")
    assert [(v.number, v.stem) for v in question.versions] == [
        (1, "宪法是国家的根本法。"),
        (2, "宪法是国家的根本大法。"),
    ]
    assert question.current.number == 2
    old = db_session.get(QuestionVersion, first_id)
    assert (old.question_id, old.number, old.stem, old.content_hash) == (
        "xianfa-0003",
        1,
        first_stem,
        first_hash,
    )
    assert count(db_session, QuestionVersion) == 7


def test_a_changed_answer_key_makes_a_new_version(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    first_id = db_session.get(Question, "xianfa-0002").current_version_id

    write_bank(folder, xianfa=XIANFA_YAML.replace("answer: [A, B, D]", "answer: [A, D]"))
    report = run_import(db_session, folder)

    assert report.new_version == ["xianfa-0002"]
    db_session.expire_all()
    question = db_session.get(Question, "xianfa-0002")
    assert question.current.number == 2
    assert question.current.answer == ["A", "D"]
    assert db_session.get(QuestionVersion, first_id).answer == ["A", "B", "D"]
    # Importing the same files once more adds no third version.
    again = run_import(db_session, folder)
    assert again.new_version == [] and count(db_session, QuestionVersion) == 7


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("difficulty: 2", "difficulty: 4"),
        ("tags: [总纲]", "tags: [总纲, 国家机构]"),
        ("article: 第二条\n", "article: 第二条第一款\n"),
        ("explanation: 宪法第二条", "explanation: 《宪法》第二条"),
        ("D: 人民政府}", "D: 地方各级人民政府}"),
    ],
)
def test_any_content_change_makes_a_new_version(db_session, tmp_path, before, after):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    assert before in XIANFA_YAML
    write_bank(folder, xianfa=XIANFA_YAML.replace(before, after, 1))

    report = run_import(db_session, folder)

    assert report.new_version == ["xianfa-0001"]


def test_a_status_change_alone_makes_no_new_version(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    assert XIANFA_YAML.count("    article: 序言\n") == 1
    write_bank(
        folder,
        xianfa=XIANFA_YAML.replace(
            "    article: 序言\n", "    article: 序言\n    status: retired\n"
        ),
    )

    report = run_import(db_session, folder)

    assert report.new_version == []
    assert report.status_changed == ["xianfa-0003"]
    assert status_of(db_session, "xianfa-0003") == "retired"
    assert count(db_session, QuestionVersion) == 6


# ---- atomicity ----------------------------------------------------------------------------

BROKEN_CHUFA = CHUFA_YAML.replace("answer: C", "answer: E")


def test_one_bad_file_imports_nothing_into_an_empty_database(db_session, tmp_path):
    folder = write_bank(tmp_path / "bank", laws=LAWS_YAML, xianfa=XIANFA_YAML, chufa=BROKEN_CHUFA)
    bank = read_bank([folder])

    with pytest.raises(BankRejected) as caught:
        import_bank(db_session, None, bank)

    assert [(Path(e.path).name, e.line, e.question_id, e.code) for e in caught.value.errors] == [
        ("chufa.yaml", 14, "chufa-0002", "answer_not_option")
    ]
    assert counts(db_session) == (0, 0, 0)


def test_one_bad_file_changes_nothing_in_a_database_with_data(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    before = snapshot(db_session)

    write_bank(
        folder,
        laws=LAWS_YAML.replace("version: 2018修正", "version: 2018修正\n    status: amended"),
        xianfa=XIANFA_YAML.replace("宪法是国家的根本法。", "改过的题干。"),
        chufa=BROKEN_CHUFA,
        new=XIANFA_YAML.replace("xianfa-000", "xianfa-100"),
    )
    with pytest.raises(BankRejected):
        run_import(db_session, folder, retire_missing=True)

    assert snapshot(db_session) == before


def test_a_bad_laws_file_rejects_the_whole_bank(db_session, tmp_path):
    folder = write_bank(
        tmp_path / "bank",
        laws=LAWS_YAML.replace("2021-07-15", "2021-07-32"),
        xianfa=XIANFA_YAML,
        chufa=CHUFA_YAML,
    )
    with pytest.raises(BankRejected) as caught:
        run_import(db_session, folder)
    assert sorted(
        (Path(e.path).name, e.line, e.question_id, e.code) for e in caught.value.errors
    ) == [
        ("chufa.yaml", 7, "chufa-0001", "unknown_law"),
        ("chufa.yaml", 15, "chufa-0002", "unknown_law"),
        ("laws.yaml", 9, "xingzheng-chufa", "bad_date"),
    ]
    assert counts(db_session) == (0, 0, 0)


def test_a_database_failure_midway_rolls_everything_back(db_session, tmp_path, monkeypatch):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    before = snapshot(db_session)
    write_bank(folder, xianfa=XIANFA_YAML.replace("宪法是国家的根本法。", "改过的题干。"))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bank_io.audit, "record", fail)
    with pytest.raises(RuntimeError):
        run_import(db_session, folder)

    assert snapshot(db_session) == before


# ---- retire missing, dry run --------------------------------------------------------------


def test_retire_missing_retires_only_the_questions_missing_from_the_files(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    without_0002 = CHUFA_YAML.split("\n  - id: chufa-0002")[0] + "\n"
    write_bank(folder, chufa=without_0002)

    plain = run_import(db_session, folder)
    assert plain.retired == []
    assert status_of(db_session, "chufa-0002") == "approved"

    report = run_import(db_session, folder, retire_missing=True)

    assert report.retired == ["chufa-0002"]
    assert sorted(report.unchanged) == [i for i in ALL_IDS if i != "chufa-0002"]
    db_session.expire_all()
    statuses = {row.id: row.status for row in db_session.scalars(select(Question))}
    assert statuses == {
        "chufa-0001": "approved",
        "chufa-0002": "retired",
        "xianfa-0001": "approved",
        "xianfa-0002": "approved",
        "xianfa-0003": "approved",
        "xianfa-0004": "draft",
    }
    assert count(db_session, QuestionVersion) == 6
    # Already retired: not retired again.
    assert run_import(db_session, folder, retire_missing=True).retired == []


def test_dry_run_reports_but_changes_nothing(db_session, tmp_path):
    folder = starter(tmp_path / "bank")

    first = run_import(db_session, folder, dry_run=True)

    assert first.dry_run is True
    assert sorted(first.added) == ALL_IDS
    assert counts(db_session) == (0, 0, 0)
    assert count(db_session, AuditEvent) == 0

    run_import(db_session, folder)
    before = snapshot(db_session)
    write_bank(
        folder,
        laws=LAWS_YAML.replace("version: 2018修正", "version: 2018修正\n    status: amended"),
        xianfa=XIANFA_YAML.replace("宪法是国家的根本法。", "改过的题干。"),
        chufa=CHUFA_YAML.split("\n  - id: chufa-0002")[0] + "\n",
    )

    report = run_import(db_session, folder, dry_run=True, retire_missing=True)

    assert report.new_version == ["xianfa-0003"]
    assert report.retired == ["chufa-0002"]
    assert report.laws_changed == ["xianfa"]
    assert sorted(report.needs_review) == APPROVED_XIANFA
    assert snapshot(db_session) == before


# ---- the law registry ---------------------------------------------------------------------

AMENDED_LAWS = LAWS_YAML.replace("version: 2018修正", "version: 2018修正\n    status: amended")


def test_a_law_marked_amended_sends_its_approved_questions_to_review(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    write_bank(folder, laws=AMENDED_LAWS)

    report = run_import(db_session, folder)

    assert report.laws_changed == ["xianfa"]
    assert sorted(report.needs_review) == APPROVED_XIANFA
    assert report.new_version == []
    db_session.expire_all()
    rows = {row.id: row for row in db_session.scalars(select(Question))}
    for question_id in APPROVED_XIANFA:
        assert (rows[question_id].status, rows[question_id].review_reason) == (
            "needs_review",
            "law_changed",
        )
    assert rows["xianfa-0004"].status == "draft"
    assert rows["chufa-0001"].status == rows["chufa-0002"].status == "approved"
    assert db_session.get(Law, "xianfa").status == "amended"

    # The files still say "approved": importing them again does not re-approve.
    again = run_import(db_session, folder)
    assert again.status_changed == [] and again.needs_review == []
    assert all(status_of(db_session, q) == "needs_review" for q in APPROVED_XIANFA)


def test_a_repealed_law_in_a_first_import_flags_its_approved_questions(db_session, tmp_path):
    folder = write_bank(
        tmp_path / "bank",
        laws=LAWS_YAML.replace("version: 2021修订", "version: 2021修订\n    status: repealed"),
        chufa=CHUFA_YAML,
    )

    report = run_import(db_session, folder)

    assert sorted(report.needs_review) == ["chufa-0001", "chufa-0002"]
    assert status_of(db_session, "chufa-0001") == "needs_review"


def test_approving_a_draft_with_new_content_while_its_law_is_amended(db_session, tmp_path):
    folder = write_bank(tmp_path / "bank", laws=AMENDED_LAWS, xianfa=XIANFA_YAML)
    run_import(db_session, folder)
    assert status_of(db_session, "xianfa-0004") == "draft"

    # The draft gains its article (new content) and loses `status: draft`.
    write_bank(folder, xianfa=XIANFA_YAML.replace("    status: draft\n", "    article: 第一条\n"))
    report = run_import(db_session, folder)

    assert report.new_version == ["xianfa-0004"]
    assert status_of(db_session, "xianfa-0004") == "needs_review"


def test_approving_a_draft_without_new_content_while_its_law_is_amended(db_session, tmp_path):
    cited_draft = XIANFA_YAML.replace(
        "    status: draft\n", "    article: 第一条\n    status: draft\n"
    )
    folder = write_bank(tmp_path / "bank", laws=AMENDED_LAWS, xianfa=cited_draft)
    run_import(db_session, folder)
    assert status_of(db_session, "xianfa-0004") == "draft"

    # Only the status changes: same content, so no new version, but the law is still amended.
    write_bank(folder, xianfa=cited_draft.replace("    status: draft\n", ""))
    report = run_import(db_session, folder)

    assert report.new_version == []
    assert "xianfa-0004" in report.unchanged
    assert status_of(db_session, "xianfa-0004") == "needs_review"


def test_mark_law_with_a_successor_adds_it_and_flags_questions(db_session, tmp_path):
    folder = starter(tmp_path / "bank")
    run_import(db_session, folder)
    successor = core.Law("xianfa-2028", "中华人民共和国宪法", "2028修正", date(2028, 3, 11))

    flagged = laws.mark_law(db_session, None, "xianfa", "amended", successor=successor)

    assert sorted(flagged) == APPROVED_XIANFA
    db_session.expire_all()
    old, new = db_session.get(Law, "xianfa"), db_session.get(Law, "xianfa-2028")
    assert (old.status, old.replaced_by) == ("amended", "xianfa-2028")
    assert (new.title, new.version, new.effective, new.status) == (
        "中华人民共和国宪法",
        "2028修正",
        date(2028, 3, 11),
        "in_force",
    )
    rows = {row.id: row for row in db_session.scalars(select(Question))}
    assert {q: rows[q].status for q in APPROVED_XIANFA} == dict.fromkeys(
        APPROVED_XIANFA, "needs_review"
    )
    assert rows["xianfa-0001"].review_reason == laws.LAW_CHANGED
    assert rows["xianfa-0004"].status == "draft"
    assert rows["chufa-0001"].status == "approved"
    assert db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "law.amended")
    ).one().detail == {"successor": "xianfa-2028", "flagged": 3}

    # Re-importing the (unchanged) question files does not re-approve the flagged questions.
    write_bank(folder, laws=AMENDED_LAWS)
    run_import(db_session, folder)
    assert all(status_of(db_session, q) == "needs_review" for q in APPROVED_XIANFA)
    assert status_of(db_session, "xianfa-0004") == "draft"


def test_mark_law_repealed_without_successor(db_session, tmp_path):
    run_import(db_session, starter(tmp_path / "bank"))

    flagged = laws.mark_law(db_session, None, "xingzheng-chufa", "repealed")

    assert sorted(flagged) == ["chufa-0001", "chufa-0002"]
    db_session.expire_all()
    assert db_session.get(Law, "xingzheng-chufa").status == "repealed"
    assert status_of(db_session, "xianfa-0001") == "approved"
    # Marking it again flags nothing new.
    assert laws.mark_law(db_session, None, "xingzheng-chufa", "repealed") == []


def test_mark_law_refuses_a_bad_status_and_an_existing_successor(db_session, tmp_path):
    run_import(db_session, starter(tmp_path / "bank"))
    with pytest.raises(InvalidInput):
        laws.mark_law(db_session, None, "xianfa", "in_force")
    existing = core.Law("xingzheng-chufa", "行政处罚法", "2021", date(2021, 7, 15))
    with pytest.raises(Conflict):
        laws.mark_law(db_session, None, "xianfa", "amended", successor=existing)
    db_session.rollback()
    assert status_of(db_session, "xianfa-0001") == "approved"
    assert db_session.get(Law, "xianfa").status == "in_force"
