"""factory-boy factories for the models; bound to the test's session by conftest."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.domain.people import Category, Role
from app.models import Cadre, Unit, User, UserRole

DEFAULT_PASSWORD = "correct-horse-7"
# One cheap hash, computed once: factories make many users.
_DEFAULT_HASH = generate_password_hash(DEFAULT_PASSWORD, method="pbkdf2:sha256:1000")


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = None
        sqlalchemy_session_persistence = "commit"


def bind(session: Session) -> None:
    """Point every factory at `session`."""
    for factory_class in (UnitFactory, CadreFactory, UserFactory):
        factory_class._meta.sqlalchemy_session = session


class UnitFactory(BaseFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"单位{n}")
    parent = None

    @factory.post_generation
    def set_path(unit: Unit, create: bool, extracted: object, **kwargs: object) -> None:
        session = UnitFactory._meta.sqlalchemy_session
        session.flush()
        unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.id}/"
        session.commit()


class CadreFactory(BaseFactory):
    class Meta:
        model = Cadre

    staff_no = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"干部{n}")
    unit = factory.SubFactory(UnitFactory)
    position = "科员"
    rank = "一级科员"
    category = Category.CIVIL_SERVANT.value


class UserFactory(BaseFactory):
    """A user; pass roles=[Role.X, ...] (default candidate)."""

    class Meta:
        model = User
        exclude = ("roles",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = _DEFAULT_HASH
    active = True
    must_change_password = False
    roles = (Role.CANDIDATE,)
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=Role(r).value) for r in o.roles])


def make_user(*roles: Role, **kwargs: object) -> User:
    """A user holding `roles`; a candidate gets a cadre unless one is given."""
    roles = roles or (Role.CANDIDATE,)
    if Role.CANDIDATE in roles and "cadre" not in kwargs:
        kwargs["cadre"] = CadreFactory()
    return UserFactory(roles=roles, **kwargs)
