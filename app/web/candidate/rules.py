"""The rules of one exam as the start page states them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.blueprints import Blueprint, format_score
from app.models import Exam
from app.services.blueprints import to_blueprint


@dataclass(frozen=True)
class SectionRule:
    title: str
    type: str
    count: int
    points: str
    max_score: str
    partial_credit: str


@dataclass(frozen=True)
class ExamRules:
    minutes: int  # the time limit plus this candidate's extension
    extra_minutes: int
    question_count: int
    max_score: str
    pass_score: str
    sections: tuple[SectionRule, ...]
    review_policy: str
    closes_at: datetime
    cut_short: bool  # starting now, the window closes before the time limit runs out

    @property
    def partial_credit(self) -> bool:
        return any(s.partial_credit == "half" for s in self.sections)


def exam_rules(exam: Exam, extra_minutes: int, now: datetime) -> ExamRules:
    blueprint: Blueprint = to_blueprint(exam.blueprint_snapshot)
    minutes = exam.time_limit_minutes + extra_minutes
    return ExamRules(
        minutes=minutes,
        extra_minutes=extra_minutes,
        question_count=blueprint.question_count,
        max_score=format_score(blueprint.max_score),
        pass_score=format_score(blueprint.pass_score),
        sections=tuple(
            SectionRule(
                s.title,
                s.type,
                s.count,
                format_score(s.points),
                format_score(s.max_score),
                s.partial_credit,
            )
            for s in blueprint.sections
        ),
        review_policy=exam.review_policy,
        closes_at=exam.closes_at,
        cut_short=exam.opens_at <= now < exam.closes_at
        and now + timedelta(minutes=minutes) > exam.closes_at,
    )
