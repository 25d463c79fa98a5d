"""Blueprints in the database: the pool they draw from, feasibility, fairness, drawing."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.bank import BankError
from app.domain.blueprints import Blueprint, blueprint_mapping, check_blueprint
from app.domain.papers import (
    Paper,
    Pool,
    PoolItem,
    Shortfall,
    check_feasibility,
    draw_paper,
    eligible,
)
from app.models import Blueprint as BlueprintRow
from app.models import Question, QuestionVersion
from app.services import audit
from app.services.errors import NotFound, ServiceError


class BlueprintInvalid(ServiceError):
    code = "blueprint_invalid"

    def __init__(self, errors: list[BankError]) -> None:
        super().__init__(count=len(errors))
        self.errors = errors


def get_row(session: Session, blueprint_id: str) -> BlueprintRow:
    row = session.get(BlueprintRow, blueprint_id)
    if row is None:
        raise NotFound("blueprint_not_found", blueprint_id=blueprint_id)
    return row


def to_blueprint(definition: dict[str, Any]) -> Blueprint:
    """A stored definition as a core Blueprint (it was validated when stored)."""
    blueprint, errors = check_blueprint(definition)
    if blueprint is None:
        raise BlueprintInvalid(errors)
    return blueprint


def get_blueprint(session: Session, blueprint_id: str) -> Blueprint:
    return to_blueprint(get_row(session, blueprint_id).definition)


def list_blueprints(session: Session) -> list[BlueprintRow]:
    return list(session.scalars(select(BlueprintRow).order_by(BlueprintRow.kind, BlueprintRow.id)))


# Per process: the pool as last read, keyed by database and bank revision. Every
# attempt start draws from it, so a start rush reads the bank once, not per start.
_POOL_CACHE: dict[str, tuple[tuple, Pool]] = {}


def question_pool(session: Session) -> Pool:
    """Every question's current version, in the light form the draw needs.

    Cached while the bank is unchanged: any new question, new version or status
    change (each moves Question.updated_at or the newest version id) reads it again.
    """
    revision = tuple(
        session.execute(
            select(
                func.count(Question.id),
                func.max(Question.updated_at),
                func.max(Question.current_version_id),
            )
        ).one()
    )
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _POOL_CACHE.get(key)
    if cached is not None and cached[0] == revision:
        return cached[1]
    rows = session.execute(
        select(
            Question.id,
            Question.status,
            QuestionVersion.id,
            QuestionVersion.number,
            QuestionVersion.type,
            QuestionVersion.topic,
            QuestionVersion.difficulty,
            QuestionVersion.options,
        )
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .order_by(Question.id)
    ).all()
    pool = Pool(
        PoolItem(
            question_id,
            version_id,
            number,
            qtype,
            topic,
            difficulty,
            tuple(key for key, _ in options),
            status,
        )
        for question_id, status, version_id, number, qtype, topic, difficulty, options in rows
    )
    _POOL_CACHE[key] = (revision, pool)
    return pool


def feasibility(session: Session, blueprint: Blueprint) -> list[Shortfall]:
    return check_feasibility(blueprint, question_pool(session))


def save_blueprint(
    session: Session, actor_id: int | None, definition: dict[str, Any], ip: str = ""
) -> tuple[Blueprint, list[Shortfall]]:
    """Validate and store a blueprint (new or edited); return it with its shortfalls."""
    blueprint, errors = check_blueprint(definition)
    if blueprint is None:
        raise BlueprintInvalid(errors)
    mapping = blueprint_mapping(blueprint)
    row = session.get(BlueprintRow, blueprint.id)
    action = "blueprint.create" if row is None else "blueprint.edit"
    if row is None:
        row = BlueprintRow(id=blueprint.id, source_file=f"{blueprint.id}.yaml")
        session.add(row)
    row.title, row.kind, row.definition = blueprint.title, blueprint.kind, mapping
    row.updated_by_id = actor_id
    audit.record(session, actor_id, action, "blueprint", blueprint.id, ip=ip)
    session.commit()
    return blueprint, feasibility(session, blueprint)


def draw(session: Session, blueprint_id: str, seed: int) -> Paper:
    """The paper a seed gives for a stored blueprint (raises InfeasibleBlueprint)."""
    return draw_paper(
        get_blueprint(session, blueprint_id), question_pool(session), random.Random(seed), seed
    )


@dataclass(frozen=True)
class FairnessReport:
    papers: int
    mean_difficulty: tuple[float, float, float, float]  # min, mean, max, standard deviation
    pool_size: int
    used: int
    exposure_max: float  # the largest share of papers one question appears in
    exposure_median: float
    never_drawn: int


def fairness(
    session: Session, blueprint: Blueprint, papers: int = 1000, seed: int = 1
) -> FairnessReport:
    """Draw `papers` papers as an exam would (least-exposed first) and measure them."""
    pool = question_pool(session)
    eligible_ids = {
        item.question_id
        for item in pool
        if any(eligible(item, section) for section in blueprint.sections)
    }
    exposure: Counter[str] = Counter()
    difficulties = []
    rng = random.Random(seed)
    for _ in range(papers):
        paper = draw_paper(blueprint, pool, rng, 0, exposure)
        difficulties.append(paper.mean_difficulty)
        exposure.update(item.question_id for item in paper.items)
    shares = sorted(exposure[qid] / papers for qid in eligible_ids)
    return FairnessReport(
        papers=papers,
        mean_difficulty=(
            min(difficulties),
            statistics.fmean(difficulties),
            max(difficulties),
            statistics.pstdev(difficulties),
        ),
        pool_size=len(eligible_ids),
        used=sum(1 for share in shares if share > 0),
        exposure_max=shares[-1] if shares else 0.0,
        exposure_median=statistics.median(shares) if shares else 0.0,
        never_drawn=sum(1 for share in shares if share == 0),
    )


def paper_json(paper: Paper) -> dict[str, Any]:
    """The paper as `flask paper draw --json` prints it (a contract for scripts)."""
    return {
        "blueprint": paper.blueprint_id,
        "seed": paper.seed,
        "sections": [
            {
                "title": section.title,
                "type": section.type,
                "points": float(section.points)
                if section.points.denominator != 1
                else int(section.points),
                "items": [
                    {
                        "question_id": item.question_id,
                        "version": item.version,
                        "option_order": list(item.option_order),
                    }
                    for item in section.items
                ],
            }
            for section in paper.sections
        ],
    }
