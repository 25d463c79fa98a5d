from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain.people import Role
from app.web.labels import ROLE_LABELS


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in Role]


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    roles = RolesField(
        _l("Roles"),
        choices=role_choices(),
        validators=[DataRequired(_l("Choose at least one role."))],
    )
    cadre_staff_no = StringField(
        _l("Linked cadre (staff number)"), validators=[Optional(), Length(max=40)]
    )
    password = PasswordField(
        _l("Password (leave empty to generate one)"), validators=[Optional(), Length(max=200)]
    )


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    roles = RolesField(
        _l("Roles"),
        choices=role_choices(),
        validators=[DataRequired(_l("Choose at least one role."))],
    )
    cadre_staff_no = StringField(
        _l("Linked cadre (staff number)"), validators=[Optional(), Length(max=40)]
    )
    active = BooleanField(_l("Active (may sign in)"))
    # Not sent (an older form): the scope stays as it is; an unknown unit is refused later.
    scope_unit_id = SelectField(
        _l("HR scope: sees only this unit and those below it"), coerce=int, validate_choice=False
    )


class ActionForm(FlaskForm):
    """A bare form for POST buttons: it carries only the CSRF token."""


class UnitCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    parent_id = SelectField(_l("Parent unit"), coerce=int, validate_choice=True)


class UnitRenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Rename"))


class UnitMoveForm(FlaskForm):
    parent_id = SelectField(_l("New parent unit"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Move"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    actor = StringField(_l("Actor (username)"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
