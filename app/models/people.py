"""Units, cadres and login accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.domain.people import Category, Role
from app.timeutil import utcnow


class Unit(Base):
    """A node of the unit tree (city -> bureau / town / street office).

    `path` is the chain of ids from the root, like '/1/4/9/', so that a whole
    subtree is one indexed prefix query; moving a unit rewrites its subtree's paths.
    """

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(500), default="", index=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    cadres: Mapped[list[Cadre]] = relationship(back_populates="unit")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"


class Cadre(Base):
    """A person on the roster; results are stored per cadre."""

    __tablename__ = "cadre"
    __table_args__ = (
        CheckConstraint(
            "category IN ('leading_cadre', 'judicial', 'law_enforcement', 'civil_servant')",
            name="category_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    position: Mapped[str] = mapped_column(String(100), default="")
    rank: Mapped[str] = mapped_column(String(50), default="")
    category: Mapped[str] = mapped_column(String(20), default=Category.CIVIL_SERVANT.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="cadres")
    user: Mapped[User | None] = relationship(back_populates="cadre")

    def __repr__(self) -> str:
        return f"<Cadre {self.staff_no} {self.name!r}>"


class UserRole(Base):
    """One role held by one user; a user may hold several."""

    __tablename__ = "user_role"
    __table_args__ = (
        CheckConstraint("role IN ('candidate', 'examiner', 'hr', 'admin')", name="role_known"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class User(UserMixin, Base):
    """A login account. A candidate's account points at its cadre."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"), unique=True)
    # An HR account limited to a unit subtree (单位管理员) sees only that subtree.
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    cadre: Mapped[Cadre | None] = relationship(back_populates="user")
    scope_unit: Mapped[Unit | None] = relationship(foreign_keys=[scope_unit_id])
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def name(self) -> str:
        if self.display_name:
            return self.display_name
        return self.cadre.name if self.cadre else self.username

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"
