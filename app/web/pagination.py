"""A page of results, for list views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request

T = TypeVar("T")


def page_number() -> int:
    """The requested page from ?page=, at least 1."""
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages
