"""Configuration classes, read from the environment when the app is built.

Nothing here runs at import time beyond defining classes: `create_app` picks a
class and calls `from_env()` so that tests and production read the environment
at the moment the app is made.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting is wrong."""


def _persistent_secret_key(instance_dir: Path) -> str:
    """Read the development secret key, generating it once into instance/."""
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


# Settings an operator may set in the environment.
ENVIRONMENT_OVERRIDES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "QUESTION_BANK_DIR",
    "INSTANCE_DIR",
    "RATELIMIT_STORAGE_URI",
    "LOGIN_LIMIT_PER_IP",
    "LOGIN_LIMIT_PER_USERNAME",
    "SAVE_GRACE_SECONDS",
)


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _env_flag(name: str) -> bool | None:
    """A yes/no environment variable: None when unset, ConfigError when unreadable."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={os.environ[name]!r} is not a yes/no value: use 1 or 0")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DATABASE_URL = ""
    SECRET_KEY = ""
    QUESTION_BANK_DIR = str(BASE_DIR / "question_bank")
    INSTANCE_DIR = str(BASE_DIR / "instance")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session; exams run for hours
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # The exam API takes answers of a few hundred bytes: refuse anything bigger early.
    API_MAX_CONTENT_LENGTH = 64 * 1024

    # Login throttling: per client address and per username, failures only.
    LOGIN_LIMIT_PER_IP = "30 per minute"
    LOGIN_LIMIT_PER_USERNAME = "5 per minute;20 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True

    # Werkzeug hash method for passwords people choose. Generated initial
    # passwords use INITIAL_PASSWORD_HASH_METHOD (see services/accounts.py).
    PASSWORD_HASH_METHOD = "scrypt"
    INITIAL_PASSWORD_HASH_METHOD = "pbkdf2:sha256:60000"
    PASSWORD_MIN_LENGTH = 8

    PAGE_SIZE = 50

    # Saves arriving this long after an attempt's deadline are still accepted
    # (a network round trip); later ones are refused with attempt_closed.
    SAVE_GRACE_SECONDS = 10

    # A JSON line per request on stderr; tests keep quiet.
    LOG_REQUESTS = True

    @classmethod
    def from_env(cls) -> dict[str, object]:
        """Return this class's settings with environment overrides applied."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        for key in ENVIRONMENT_OVERRIDES:
            if os.environ.get(key):
                default = settings.get(key)
                settings[key] = (
                    int(os.environ[key]) if isinstance(default, int) else os.environ[key]
                )
        return settings

    @staticmethod
    def apply_cookie_secure(settings: dict[str, object]) -> None:
        """COOKIE_SECURE=0 drops the cookies' Secure flag (production sets it): only for
        plain-HTTP loopback, such as the load tests in bench/ talking to gunicorn."""
        secure = _env_flag("COOKIE_SECURE")
        if secure is not None:
            settings["SESSION_COOKIE_SECURE"] = secure
            settings["REMEMBER_COOKIE_SECURE"] = secure


class DevelopmentConfig(Config):
    ENV_NAME = "development"

    @classmethod
    def from_env(cls) -> dict[str, object]:
        settings = super().from_env()
        instance_dir = Path(str(settings["INSTANCE_DIR"]))
        if not settings["DATABASE_URL"]:
            settings["DATABASE_URL"] = f"sqlite:///{instance_dir / 'lawexam.sqlite3'}"
        if not settings["SECRET_KEY"]:
            settings["SECRET_KEY"] = _persistent_secret_key(instance_dir)
        return settings


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    # Cheap hashes keep the suite fast; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    INITIAL_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    LOG_REQUESTS = False
    RATELIMIT_ENABLED = True

    @classmethod
    def from_env(cls) -> dict[str, object]:
        settings = super().from_env()
        settings["SECRET_KEY"] = cls.SECRET_KEY
        return settings


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def from_env(cls) -> dict[str, object]:
        settings = super().from_env()
        for required in ("SECRET_KEY", "DATABASE_URL"):
            if not settings[required]:
                raise ConfigError(f"{required} is not set: production needs it in the environment")
        cls.apply_cookie_secure(settings)
        return settings


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """Pick the config class named by `name` or APP_ENV (default development)."""
    name = name or os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"APP_ENV={name!r} is unknown: use one of {', '.join(CONFIGS)}") from None
