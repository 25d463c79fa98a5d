"""Human messages for the codes that services and the core report.

The core and the services speak in codes with parameters so that they stay
free of the web layer; this table turns a code into text in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain.bank import BankError
from app.domain.papers import Shortfall
from app.domain.tables import CellError
from app.services.errors import ServiceError

MESSAGES = {
    # accounts
    "password_too_short": _l("The password must have at least %(minimum)s characters."),
    "password_is_username": _l("The password must not be the username."),
    "password_unchanged": _l("The new password must differ from the current one."),
    "wrong_current_password": _l("The current password is not correct."),
    "username_required": _l("A username is required."),
    "username_taken": _l("The username %(username)s is already taken."),
    "roles_required": _l("Choose at least one role."),
    "cannot_demote_self": _l("You cannot remove your own admin role or deactivate yourself."),
    "user_not_found": _l("No such user."),
    "cadre_not_found": _l("No cadre has the staff number %(staff_no)s."),
    "cadre_has_account": _l("The cadre %(staff_no)s already has the account %(username)s."),
    # units
    "unit_not_found": _l("No such unit."),
    "unit_name_required": _l("A unit needs a name."),
    "unit_name_slash": _l("A unit name cannot contain “/”: it separates units in a path."),
    "unit_name_taken": _l("A unit named %(name)s already exists at that place."),
    "unit_move_into_itself": _l("%(name)s cannot be moved under itself or its own subunits."),
    "unit_name_ambiguous": _l(
        "Several units are named %(name)s: write the full path, such as 大石桥市/司法局."
    ),
    # uploads and tables
    "unsupported_file_type": _l("%(filename)s is neither a .csv nor an .xlsx file."),
    "undecodable_text": _l("The file is not UTF-8 or GB18030 text."),
    "too_many_rows": _l("The file has more than %(limit)s rows."),
    "broken_xlsx": _l("The file is not a readable XLSX workbook."),
    "xlsx_too_large": _l("The workbook unpacks to far more data than a roster holds; refused."),
    "upload_not_found": _l("That upload has expired or was already used; upload the file again."),
    "no_file": _l("Choose a file to upload."),
    # roster rows
    "empty_file": _l("The file is empty."),
    "no_rows": _l("The file has a header but no data rows."),
    "missing_column": _l("The header has no column %(column)s."),
    "missing_value": _l("This cell is empty but required."),
    "too_long": _l("The text is longer than %(limit)s characters."),
    "unknown_category": _l(
        "Unknown category “%(value)s”: use 领导干部, 司法人员, 行政执法人员 or 公务员 "
        "(or leading_cadre, judicial, law_enforcement, civil_servant)."
    ),
    "duplicate_staff_no": _l("Staff number %(value)s appears again (first in row %(first_row)s)."),
    "staff_no_is_username": _l(
        "Staff number %(value)s is already the username of an account not linked to this cadre."
    ),
    "roster_rejected": _l("%(count)s problems found; nothing was imported."),
    # the question bank (file:line: question-id: message)
    "file_too_large": _l("The file is larger than %(limit)s MB."),
    "yaml_syntax": _l("This is not valid YAML: %(detail)s"),
    "yaml_alias": _l("YAML anchors and aliases (& and *) are not allowed in the bank."),
    "yaml_too_deep": _l("The YAML is nested more than %(limit)s levels deep."),
    "yaml_tag": _l("The YAML tag %(tag)s is not allowed."),
    "yaml_bad_key": _l("A mapping key must be plain text."),
    "yaml_duplicate_key": _l("The key %(key)s appears twice in the same mapping."),
    "file_not_mapping": _l("The file must be a mapping with topic and questions (or laws)."),
    "file_missing": _l("The file does not exist."),
    "not_utf8": _l("The file is not UTF-8 text (first bad byte at offset %(offset)s)."),
    "no_bank_files": _l("No bank files (*.yaml) were found."),
    "no_laws_file": _l("The bank has no laws.yaml, so no citation can be checked."),
    "laws_not_list": _l("laws must be a list of laws."),
    "law_not_mapping": _l("Each law must be a mapping with id, title, version and effective."),
    "duplicate_law": _l("The law id is used again (first at line %(first_line)s)."),
    "unknown_replacement": _l("replaced_by names %(law)s, which is not in laws.yaml."),
    "bad_date": _l("%(field)s must be a date such as 2021-01-01."),
    "missing_topic": _l("The file has no topic."),
    "questions_not_list": _l("questions must be a list of questions."),
    "question_not_mapping": _l("Each question must be a mapping of fields."),
    "unknown_field": _l("Unknown field %(field)s (allowed: %(allowed)s)."),
    "unknown_field_suggest": _l("Unknown field %(field)s: did you mean %(suggestion)s?"),
    "missing_field": _l("The field %(field)s is missing."),
    "bad_id": _l("The id must be lowercase letters, digits and hyphens, such as xianfa-0001."),
    "duplicate_id": _l("The id is already used at %(first)s."),
    "bad_choice": _l("%(field)s is %(value)s; it must be one of %(allowed)s."),
    "empty_text": _l("%(field)s must not be empty."),
    "not_text": _l("%(field)s must be text."),
    "control_character": _l("%(field)s contains an invisible control character."),
    "judge_has_options": _l("A judge question has no options; its answer is true or false."),
    "options_not_mapping": _l("options must be a mapping such as A: …, B: …"),
    "option_keys": _l(
        "Option keys must run A, B, C … in order without gaps "
        "(found %(keys)s; expected %(expected)s)."
    ),
    "option_count": _l("A %(type)s question needs %(low)s to %(high)s options, not %(count)s."),
    "empty_option": _l("Option %(key)s is empty."),
    "duplicate_option": _l("Two options have the same text: %(text)s"),
    "judge_answer": _l("A judge question's answer must be true or false, not %(value)s."),
    "single_answer": _l("A single-choice answer must be one option key, not %(value)s."),
    "multiple_answer": _l(
        "A multiple-choice answer must be a list of two or more keys, such as [A, C], "
        "not %(value)s."
    ),
    "answer_repeated": _l("The answer names the same option twice."),
    "answer_not_option": _l("The answer %(key)s is not one of the options."),
    "citation_required": _l(
        "An approved question must cite %(field)s (or be marked status: draft)."
    ),
    "unknown_law": _l("The law %(law)s is not in laws.yaml (closest: %(suggestion)s)."),
    "bad_difficulty": _l("difficulty must be a whole number from 1 to 5, not %(value)s."),
    "bad_tags": _l("tags must be a list of non-empty texts, such as [总纲]."),
    "bank_rejected": _l("%(count)s problems found; nothing was imported."),
    # blueprints
    "bad_time_limit": _l(
        "time_limit_minutes must be a whole number of minutes from 1 to 600, not %(value)s."
    ),
    "bad_score": _l("%(field)s must be a positive number, not %(value)s."),
    "not_boolean": _l("%(field)s must be true or false, not %(value)s."),
    "sections_required": _l("A blueprint needs a list of sections."),
    "section_not_mapping": _l("Each section must be a mapping of fields."),
    "bad_count": _l("count must be a whole number from 1 to %(limit)s, not %(value)s."),
    "bad_quota": _l("%(field)s must be a mapping of names to numbers."),
    "bad_quota_number": _l(
        "%(field)s: %(name)s must be a whole number of questions, not %(value)s."
    ),
    "quota_sum": _l("%(field)s add up to %(total)s but the section has %(count)s questions."),
    "partial_credit_multiple_only": _l("partial_credit applies to multiple-choice sections only."),
    "pass_score_too_high": _l("pass_score %(pass_score)s is above the paper's total of %(total)s."),
    "duplicate_section_type": _l(
        "A blueprint has one section per question type; %(type)s appears twice."
    ),
    "duplicate_blueprint": _l("The blueprint id is already used in %(first)s."),
    "unknown_topic": _l("Section %(section)s asks for topic %(topic)s, which no question has."),
    # exams
    "blueprint_not_found": _l("No blueprint has the id %(blueprint_id)s."),
    "blueprint_invalid": _l("The blueprint has %(count)s problems."),
    "blueprint_infeasible": _l("The approved questions cannot fill this blueprint."),
    "exam_not_found": _l("No such exam."),
    "unit_label_not_found": _l("No unit is called %(label)s."),
    "unknown_staff_numbers": _l("%(count)s staff numbers are not on the roster: %(staff_nos)s"),
    "bad_exam_kind": _l("Unknown exam kind %(kind)s."),
    "bad_review_policy": _l("Unknown review policy %(policy)s."),
    "exam_title_required": _l("An exam needs a title."),
    "exam_window_empty": _l("The exam must close after it opens."),
    "bad_attempts_allowed": _l("Attempts allowed must be at least 1, not %(value)s."),
    "bad_time_limit_minutes": _l("The time limit must be 1 to 600 minutes, not %(value)s."),
    "make_up_needs_original": _l("A make-up exam must name the exam it makes up for."),
    "no_eligible_cadres": _l(
        "No cadre is eligible for this exam; check the units, categories and staff numbers."
    ),
    "extension_not_eligible": _l("Extra time was given to cadres who may not sit: %(staff_nos)s"),
    "bad_extension": _l("Extra time must be 0 to 600 minutes, not %(value)s."),
    "not_a_candidate": _l("%(staff_no)s may not sit this exam."),
    "not_eligible": _l("You may not sit this exam."),
    "no_attempts_left": _l("You have used all %(allowed)s attempts of this exam."),
    "exam_not_open": _l("This exam is not open now."),
    # the exam API
    "not_found": _l("Not found."),
    "login_required": _l("Sign in first."),
    "candidate_only": _l("Only candidates linked to a roster entry take exams."),
    "json_object_required": _l("The body must be a JSON object."),
    "answer_shape": _l(
        'An answer is {"choice": [keys], "seq": a whole number ≥ 0, "flagged": true/false}.'
    ),
    "attempt_closed": _l("Time is up: this attempt is closed and no more answers are accepted."),
    "invalid_choice": _l("That choice does not fit this question."),
    "attempt_in_progress": _l("The attempt is still in progress."),
    # backups
    "backup_needs_file_database": _l("Only a database in a file can be backed up."),
    "backup_tool_missing": _l("%(tool)s is not installed; install the PostgreSQL client tools."),
    "backup_tool_failed": _l("%(tool)s failed: %(detail)s"),
    "backup_unsupported": _l("Backups of %(backend)s databases are not supported."),
    "backup_missing": _l("No backup file at %(path)s."),
    "restore_target_not_empty": _l(
        "%(path)s already holds data; restore into a new, empty database."
    ),
    # laws
    "law_not_found": _l("No law has the id %(law_id)s."),
    "law_exists": _l("A law with the id %(law_id)s already exists."),
    "bad_law_status": _l("A law can be marked amended or repealed, not %(status)s."),
    # spreadsheets
    "sheet_missing_column": _l(
        "The header has no %(field)s column (headed %(names)s): add one, or choose a column "
        "with --map %(field)s=COLUMN."
    ),
    "sheet_duplicate_column": _l("A second column for %(field)s; the first is %(first)s."),
    "sheet_mapped_column_missing": _l(
        "--map %(field)s=%(name)s: the header has no column %(name)s."
    ),
    "sheet_unknown_field": _l(
        "%(field)s is not a template column: use a header such as 题干 or 答案, "
        "or a field name such as stem or answer."
    ),
    "sheet_bad_map": _l("--map %(value)s must be FIELD=COLUMN, such as 题干=input."),
    "sheet_mixed_paths": _l(
        "Give either YAML bank files and folders or spreadsheets (.xlsx, .csv), not both."
    ),
    "sheet_id_prefix_one_file": _l("--id-prefix applies to one spreadsheet at a time."),
    "sheet_bad_id_prefix": _l(
        "The id prefix %(prefix)s must be lowercase letters, digits and hyphens "
        "(at most 58 characters), such as xianfa."
    ),
    "sheet_bad_type": _l(
        "Unknown question type %(value)s: write 单选, 多选 or 判断 (or single, multiple, judge)."
    ),
    "sheet_bad_answer": _l(
        "The answer %(value)s cannot be read: write option letters such as B, ACD, A,C,D "
        "or A、C、D, or for a judge question 正确/错误, 对/错, √/× or T/F."
    ),
    "sheet_bad_status": _l(
        "Unknown status %(value)s: write 草稿, 已审核, 已停用 or 待复核 "
        "(or draft, approved, retired, needs_review)."
    ),
    "sheet_ambiguous_law": _l(
        "Several laws are titled %(law)s (%(ids)s): write the id of the one meant."
    ),
    "sheet_duplicate_id": _l("The id %(id)s is already used in row %(first_row)s."),
    # examiner pages
    "question_not_found": _l("No question has the id %(question_id)s."),
    "version_not_found": _l("Question %(question_id)s has no version %(number)s."),
    "question_invalid": _l("%(count)s problems found; the question was not saved."),
    "question_exists": _l("The id %(question_id)s is already used by another question."),
    "law_not_in_force": _l(
        "%(law)s is no longer in force: cite the law in force, or save the question as a draft."
    ),
    "citation_missing": _l(
        "The question cites no law or no article: edit it to cite both before approving it."
    ),
    "cannot_approve": _l(
        "Only a draft or retired question can be approved; a question waiting for review "
        "is re-approved from the review queue."
    ),
    "not_in_review": _l("The question is not waiting for review."),
    "already_retired": _l("The question is already retired."),
    "unsupported_bank_file": _l(
        "%(filename)s is not a bank file: upload a .yaml file, a .zip of them, or a .xlsx or "
        ".csv spreadsheet."
    ),
    "broken_zip": _l("The file is not a readable zip archive."),
    "zip_too_large": _l("The zip unpacks to more than %(limit)s MB; it was refused."),
    "zip_too_many_files": _l("The zip holds more than %(limit)s files; it was refused."),
    "question_changed_meanwhile": _l(
        "Someone else saved %(question_id)s meanwhile (now version %(version)s); nothing was "
        "saved. Reopen the question to see their change, then edit again."
    ),
}


BAND_LABELS = {"easy": _l("easy (1-2)"), "medium": _l("medium (3)"), "hard": _l("hard (4-5)")}


def message_for(code: str, params: Mapping[str, object] | None = None) -> str:
    """The text for `code` in the current language, with its parameters filled in."""
    template = MESSAGES.get(code)
    if template is None:
        return gettext("Error: %(code)s", code=code)
    return str(template) % dict(params or {}) if params else str(template)


def describe_bank_error(error: BankError) -> str:
    """`path:line: question-id: message`, the form every bank tool prints."""
    text = message_for(error.code, error.param_dict)
    column = error.param_dict.get("column")
    if column:  # a spreadsheet cell: `file:row: id: column 答案: message`
        text = gettext("column %(column)s", column=column) + ": " + text
    place = f"{error.path}:{error.line}" if error.line else error.path
    if error.question_id:
        return f"{place}: {error.question_id}: {text}"
    return f"{place}: {text}"


def describe_shortfall(shortfall: Shortfall) -> str:
    """Which section, topics and difficulties fall short, and by how many."""
    return gettext(
        "Section %(section)s: topics %(topics)s at difficulty %(bands)s need %(needed)s "
        "questions, the approved pool has %(available)s (short by %(short)s).",
        section=shortfall.section,
        topics="、".join(shortfall.topics) or gettext("(any)"),
        bands="、".join(str(BAND_LABELS.get(b, b)) for b in shortfall.bands) or gettext("(any)"),
        needed=shortfall.needed,
        available=shortfall.available,
        short=shortfall.short_by,
    )


def describe(error: ServiceError) -> str:
    return message_for(error.code, error.params)


def describe_cell(error: CellError) -> str:
    """One line naming the row and column of a table error."""
    text = message_for(error.code, error.param_dict)
    if error.column:
        return gettext(
            "Row %(row)s, column %(column)s: %(text)s",
            row=error.row,
            column=error.column,
            text=text,
        )
    return gettext("Row %(row)s: %(text)s", row=error.row, text=text)
