"""Papers as stored on attempts, and the rules of time.

deadline = min(started_at + time limit + personal extension, exam closes_at).
Saves are accepted until the deadline plus a short network grace; after the
deadline an attempt is graded on what was saved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from app.domain.papers import Paper, PaperItem, PaperSection


def compute_deadline(
    started_at: datetime, time_limit_minutes: int, extra_minutes: int, closes_at: datetime
) -> datetime:
    return min(started_at + timedelta(minutes=time_limit_minutes + extra_minutes), closes_at)


def accepts_saves(now: datetime, deadline: datetime, grace_seconds: int) -> bool:
    return now <= deadline + timedelta(seconds=grace_seconds)


def paper_to_json(paper: Paper, pass_score: Fraction) -> dict[str, Any]:
    """The frozen paper as stored on the attempt; scores as exact fractions in text."""
    return {
        "blueprint": paper.blueprint_id,
        "seed": paper.seed,
        "pass_score": str(pass_score),
        "sections": [
            {
                "title": section.title,
                "type": section.type,
                "points": str(section.points),
                "partial_credit": section.partial_credit,
                "items": [
                    {
                        "question_id": item.question_id,
                        "version_id": item.version_id,
                        "version": item.version,
                        "option_order": list(item.option_order),
                        "difficulty": item.difficulty,
                    }
                    for item in section.items
                ],
            }
            for section in paper.sections
        ],
    }


def paper_from_json(data: dict[str, Any]) -> Paper:
    return Paper(
        data["blueprint"],
        data["seed"],
        tuple(
            PaperSection(
                section["title"],
                section["type"],
                Fraction(section["points"]),
                section["partial_credit"],
                tuple(
                    PaperItem(
                        item["question_id"],
                        item["version_id"],
                        item["version"],
                        tuple(item["option_order"]),
                        Fraction(section["points"]),
                        item["difficulty"],
                    )
                    for item in section["items"]
                ),
            )
            for section in data["sections"]
        ),
    )
