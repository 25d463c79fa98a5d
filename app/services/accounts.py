"""Accounts: signing in, passwords, roles and activation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.people import Role
from app.models import Cadre, User, UserRole
from app.services import audit
from app.services.errors import Conflict, InvalidInput, NotFound
from app.timeutil import utcnow

# No 0/O, 1/l/I: initial passwords are read off paper and typed by hand.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INITIAL_PASSWORD_LENGTH = 12


def generate_password() -> str:
    """A random initial password (about 70 bits), easy to copy by hand."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH))


def hash_password(password: str, *, generated: bool = False) -> str:
    """Hash a password with the configured method.

    Generated passwords are long and random, so a cheaper hash loses nothing
    against guessing and keeps a roster import of thousands of cadres fast;
    the owner must replace them on first login, and chosen passwords always
    get the full-strength method.
    """
    key = "INITIAL_PASSWORD_HASH_METHOD" if generated else "PASSWORD_HASH_METHOD"
    return generate_password_hash(password, method=current_app.config[key])


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    failure: str | None = None  # "invalid" | "inactive"


def authenticate(session: Session, username: str, password: str, ip: str = "") -> LoginOutcome:
    """Check a username and password and record the attempt in the audit log."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not check_password_hash(user.password_hash, password):
        audit.record(
            session, user.id if user else None, "login.failed", "user", username.strip()[:64], ip=ip
        )
        session.commit()
        return LoginOutcome(None, "invalid")
    if not user.active:
        audit.record(session, user.id, "login.refused_inactive", "user", user.id, ip=ip)
        session.commit()
        return LoginOutcome(None, "inactive")
    user.last_login_at = utcnow()
    audit.record(session, user.id, "login", "user", user.id, ip=ip)
    session.commit()
    return LoginOutcome(user)


def check_new_password(user: User, new_password: str) -> None:
    """Refuse a password that is too short or equals the username."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(new_password) < minimum:
        raise InvalidInput("password_too_short", minimum=minimum)
    if new_password.strip().lower() == user.username.lower():
        raise InvalidInput("password_is_username")


def change_password(
    session: Session, user: User, current_password: str, new_password: str, ip: str = ""
) -> None:
    """Replace the user's password after checking the current one."""
    if not check_password_hash(user.password_hash, current_password):
        raise InvalidInput("wrong_current_password")
    if current_password == new_password:
        raise InvalidInput("password_unchanged")
    check_new_password(user, new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, user.id, "user.password_changed", "user", user.id, ip=ip)
    session.commit()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", user_id=user_id)
    return user


def find_cadre(session: Session, staff_no: str) -> Cadre:
    cadre = session.scalar(select(Cadre).where(Cadre.staff_no == staff_no.strip()))
    if cadre is None:
        raise NotFound("cadre_not_found", staff_no=staff_no)
    return cadre


def _free_cadre(session: Session, staff_no: str | None, user: User | None) -> Cadre | None:
    """The cadre to link, refusing one whose account is someone else's."""
    if not staff_no:
        return None
    cadre = find_cadre(session, staff_no)
    if cadre.user is not None and cadre.user is not user:
        raise Conflict("cadre_has_account", staff_no=staff_no, username=cadre.user.username)
    return cadre


def create_user(
    session: Session,
    actor_id: int | None,
    username: str,
    roles: set[Role],
    *,
    display_name: str = "",
    cadre_staff_no: str | None = None,
    password: str | None = None,
    ip: str = "",
) -> tuple[User, str | None]:
    """Create an account. Without a password one is generated and returned once.

    An account with a generated password must change it at first login.
    """
    username = username.strip()
    if not username:
        raise InvalidInput("username_required")
    if not roles:
        raise InvalidInput("roles_required")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_taken", username=username)
    # Every check runs before the user joins the session: a refusal leaves nothing pending.
    cadre = _free_cadre(session, cadre_staff_no, None)
    generated = None
    user = User(username=username, display_name=display_name.strip())
    if password is None:
        generated = generate_password()
        user.password_hash = hash_password(generated, generated=True)
        user.must_change_password = True
    else:
        check_new_password(user, password)
        user.password_hash = hash_password(password)
    user.role_rows = [UserRole(role=role.value) for role in sorted(roles)]
    user.cadre = cadre
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor_id,
        "user.create",
        "user",
        user.id,
        ip=ip,
        username=username,
        roles=sorted(r.value for r in roles),
    )
    session.commit()
    return user, generated


def update_user(
    session: Session,
    actor_id: int | None,
    user: User,
    *,
    roles: set[Role],
    display_name: str,
    active: bool,
    cadre_staff_no: str | None,
    ip: str = "",
) -> None:
    """Change an account's roles, name, activation and cadre link, auditing each change."""
    if not roles:
        raise InvalidInput("roles_required")
    if user.id == actor_id and (Role.ADMIN not in roles or not active):
        raise InvalidInput("cannot_demote_self")
    before = {
        "roles": sorted(r.value for r in user.roles),
        "active": user.active,
        "display_name": user.display_name,
        "cadre": user.cadre.staff_no if user.cadre else None,
    }
    user.cadre = _free_cadre(session, cadre_staff_no, user)
    user.display_name = display_name.strip()
    user.active = active
    wanted = {r.value for r in roles}
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=value) for value in sorted(wanted - {row.role for row in user.role_rows})
    ]
    after = {
        "roles": sorted(wanted),
        "active": active,
        "display_name": user.display_name,
        "cadre": user.cadre.staff_no if user.cadre else None,
    }
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        action = "user.roles_changed" if "roles" in changed else "user.update"
        audit.record(session, actor_id, action, "user", user.id, ip=ip, changes=changed)
    session.commit()


def reset_password(session: Session, actor_id: int | None, user: User, ip: str = "") -> str:
    """Give the user a new random password, to be changed at next login; return it once."""
    password = generate_password()
    user.password_hash = hash_password(password, generated=True)
    user.must_change_password = True
    audit.record(session, actor_id, "user.password_reset", "user", user.id, ip=ip)
    session.commit()
    return password


def set_password(session: Session, actor_id: int | None, user: User, password: str) -> None:
    """Set a chosen password (the operator's CLI); it need not be changed at login."""
    check_new_password(user, password)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    audit.record(session, actor_id, "user.password_set", "user", user.id)
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.commit()


def search_users(
    session: Session, query: str = "", role: Role | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[User], int]:
    """Users matching a username or name fragment, one page of them, and the total."""
    statement = select(User).outerjoin(User.cadre)
    if query:
        pattern = f"%{query.strip()}%"
        statement = statement.where(
            or_(
                User.username.ilike(pattern),
                User.display_name.ilike(pattern),
                Cadre.name.ilike(pattern),
            )
        )
    if role is not None:
        statement = statement.where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role == role.value))
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    users = session.scalars(
        statement.order_by(User.username).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(users), total


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))
