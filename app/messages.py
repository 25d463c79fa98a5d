"""Human messages for the codes that services and the core report.

The core and the services speak in codes with parameters so that they stay
free of the web layer; this table turns a code into text in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

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
}


def message_for(code: str, params: Mapping[str, object] | None = None) -> str:
    """The text for `code` in the current language, with its parameters filled in."""
    template = MESSAGES.get(code)
    if template is None:
        return gettext("Error: %(code)s", code=code)
    return str(template) % dict(params or {}) if params else str(template)


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
