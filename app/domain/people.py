"""Roles, cadre categories and unit paths: the vocabulary of the roster."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CANDIDATE = "candidate"
    EXAMINER = "examiner"
    HR = "hr"
    ADMIN = "admin"


class Category(StrEnum):
    LEADING_CADRE = "leading_cadre"
    JUDICIAL = "judicial"
    LAW_ENFORCEMENT = "law_enforcement"
    CIVIL_SERVANT = "civil_servant"


# The Chinese labels HR writes in rosters, mapped to the stored code.
CATEGORY_LABELS_ZH: dict[Category, str] = {
    Category.LEADING_CADRE: "领导干部",
    Category.JUDICIAL: "司法人员",
    Category.LAW_ENFORCEMENT: "行政执法人员",
    Category.CIVIL_SERVANT: "公务员",
}


def parse_category(text: str) -> Category | None:
    """Read a category given as its code or its Chinese label; None when unknown."""
    value = text.strip()
    for category, label in CATEGORY_LABELS_ZH.items():
        if value in (category.value, label):
            return category
    return None


def parse_roles(values: list[str]) -> tuple[set[Role], list[str]]:
    """Split role names into known roles and the unknown names."""
    known = {role.value: role for role in Role}
    roles = {known[v] for v in values if v in known}
    unknown = [v for v in values if v not in known]
    return roles, unknown


UNIT_PATH_SEPARATORS = ("/", "／", ">")


def split_unit_path(text: str) -> list[str]:
    """Split '大石桥市/司法局' into its names; blank parts are dropped."""
    value = text.strip()
    for separator in UNIT_PATH_SEPARATORS[1:]:
        value = value.replace(separator, UNIT_PATH_SEPARATORS[0])
    return [part.strip() for part in value.split(UNIT_PATH_SEPARATORS[0]) if part.strip()]
