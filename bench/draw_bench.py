"""Time drawing papers from a 10,000-question bank held in memory.

    .venv/bin/python -m bench.draw_bench [--questions 10000] [--papers 2000]

Target (issue 4): under 5 ms per paper once the bank is loaded, with topic and
difficulty quotas. The bank is bench.bank_bench's generated one (20 topics).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from app.domain.blueprints import Blueprint, Section
from app.domain.papers import Pool, PoolItem, draw_paper
from app.services.bank_io import read_bank
from bench.bank_bench import generate

BLUEPRINT = Blueprint(
    "bench",
    "基准试卷",
    "annual",
    60,
    Fraction(60),
    (
        Section(
            "单项选择题",
            "single",
            25,
            Fraction(2),
            tuple((f"主题{n:02d}", 5) for n in range(5)),
            (("easy", 9), ("medium", 10), ("hard", 6)),
        ),
        Section(
            "多项选择题",
            "multiple",
            10,
            Fraction(3),
            tuple((f"主题{n:02d}", 2) for n in range(5, 10)),
            (("easy", 3), ("medium", 4), ("hard", 3)),
            "half",
        ),
        Section("判断题", "judge", 20, Fraction(1), (), (("easy", 8), ("medium", 8), ("hard", 4))),
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.questions)
        bank = read_bank([Path(tmp)])
    # Grouped once, as the app keeps it cached between attempt starts.
    pool = Pool(
        PoolItem(
            q.id,
            n,
            1,
            q.content.type,
            q.content.topic,
            q.content.difficulty,
            tuple(key for key, _ in q.content.options),
        )
        for n, q in enumerate(bank.questions)
    )
    exposure: dict[str, int] = {}
    timings = []
    for seed in range(args.papers):
        started = time.perf_counter()
        paper = draw_paper(BLUEPRINT, pool, random.Random(seed), seed, exposure)
        timings.append((time.perf_counter() - started) * 1000)
        for item in paper.items:
            exposure[item.question_id] = exposure.get(item.question_id, 0) + 1
    timings.sort()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"pool: {len(pool)} questions; papers: {args.papers} of {BLUEPRINT.question_count}")
    print(
        f"per paper: mean {statistics.fmean(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, max {timings[-1]:.2f} ms "
        f"(target < 5 ms)"
    )


if __name__ == "__main__":
    main()
