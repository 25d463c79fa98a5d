from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField


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
