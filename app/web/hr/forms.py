from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("Roster file (.csv or .xlsx)"),
        validators=[
            FileRequired(_l("Choose a file to upload.")),
            FileAllowed(["csv", "xlsx"], _l("Only .csv and .xlsx files are accepted.")),
        ],
    )


class ConfirmForm(FlaskForm):
    token = HiddenField()


class RosterFilterForm(FlaskForm):
    """The roster search: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or staff number"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit (with its subunits)"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)
    rank = SelectField(_l("Rank"), validate_choice=False)
    position = SelectField(_l("Position"), validate_choice=False)


class CaseForm(FlaskForm):
    staff_no = StringField(_l("Cadre (staff number)"), validators=[DataRequired(), Length(max=40)])
    proposed_post = StringField(_l("Proposed post"), validators=[DataRequired(), Length(max=200)])
    appointing_body = StringField(
        _l("Appointing body"), validators=[DataRequired(), Length(max=200)]
    )
    needed_by = DateField(_l("Result needed by"), validators=[Optional()])
    blueprint_id = SelectField(
        _l("Open a new exam from the blueprint"), validate_choice=False, default=""
    )
    exam_id = SelectField(_l("Or link an open exam"), validate_choice=False, default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class ExemptForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class ActionForm(FlaskForm):
    """A bare form for POST buttons: it carries only the CSRF token."""
