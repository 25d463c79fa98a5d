"""The law registry as written in the bank's laws.yaml, for reading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class LawEntry:
    id: str
    title: str
    version: str
    effective: str
    status: str


def read_law_registry(bank_dir: str) -> list[LawEntry]:
    """The laws listed in `bank_dir`/laws.yaml; empty when the file is absent."""
    path = Path(bank_dir) / "laws.yaml"
    if not path.exists():
        return []
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
    return [
        LawEntry(
            id=str(item.get("id", "")),
            title=str(item.get("title", "")),
            version=str(item.get("version", "")),
            effective=str(item.get("effective", "")),
            status=str(item.get("status", "in_force")),
        )
        for item in data.get("laws", [])
        if isinstance(item, dict)
    ]
