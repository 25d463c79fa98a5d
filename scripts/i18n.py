"""Keep the translation catalogs in step with the code.

    python scripts/i18n.py update   # extract messages, update zh_Hans_CN and en, fill en
    python scripts/i18n.py check    # fail when a message lacks a translation

English message ids are the source text, so the en catalog is filled with
each id as its own translation; zh_Hans_CN is translated by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_Hans_CN", "en")


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def update() -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "--project",
        "law-exam",
        "-o",
        str(TEMPLATE),
        ".",
    )
    for locale in LOCALES:
        pybabel(
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            str(TRANSLATIONS),
            "-l",
            locale,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        )
    fill_english()


def fill_english() -> None:
    path = catalog_path("en")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, no_location=True, omit_header=False, sort_output=True, width=100)


def check() -> int:
    problems = []
    for locale in LOCALES:
        with catalog_path(locale).open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or "fuzzy" in message.flags:
                problems.append(f"{locale}: untranslated: {message.id!r}")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
        sys.exit(0)
    sys.exit(check())
