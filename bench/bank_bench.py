"""Validate and import a generated 10,000-question bank; print the timings.

    .venv/bin/python -m bench.bank_bench [--questions 10000]

Targets (issue 3, on the 2-core machine): validation under 5 s, import into
SQLite under 15 s. The generated bank is synthetic but has the starter bank's
shape: 20 topic files, all three types, every question citing a law.
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from app import create_app
from app.db import get_session, make_engine
from app.domain import bank as core
from app.migrate import upgrade
from app.services import bank_io

TOPICS = 20
LAWS = [
    core.Law(f"law-{n:02d}", f"测试法律第{n}号", "2021修订", date(2021, 1, 1)) for n in range(12)
]


def generate(directory: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    (directory / "laws.yaml").write_text(core.dump_laws(LAWS), encoding="utf-8")
    per_topic = count // TOPICS
    for topic_number in range(TOPICS):
        questions = []
        for n in range(per_topic):
            kind = rng.choice(("single", "single", "multiple", "judge"))
            options: tuple[tuple[str, str], ...] = ()
            if kind == "judge":
                answer: tuple[str, ...] | bool = rng.random() < 0.5
            else:
                size = rng.randint(4, 5)
                options = tuple(
                    (key, f"选项{key}：第{n}题的内容，依照有关规定（{rng.random():.6f}）")
                    for key in core.OPTION_KEYS[:size]
                )
                keys = [key for key, _ in options]
                answer = (
                    (rng.choice(keys),)
                    if kind == "single"
                    else tuple(sorted(rng.sample(keys, rng.randint(2, size - 1))))
                )
            content = core.QuestionContent(
                type=kind,
                stem=f"根据有关法律规定，第{topic_number}-{n}题的题干在此（　　）。",
                options=options,
                answer=answer,
                law=rng.choice(LAWS).id,
                article=f"第{rng.randint(1, 120)}条",
                explanation="依照该条规定。",
                difficulty=rng.randint(1, 5),
                tags=("总则",),
                topic=f"主题{topic_number:02d}",
            )
            questions.append(core.Question(f"t{topic_number:02d}-{n:05d}", content))
        text = core.dump_topic(f"主题{topic_number:02d}", questions)
        (directory / f"topic-{topic_number:02d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bank_dir = root / "bank"
        bank_dir.mkdir()
        generate(bank_dir, args.questions)

        started = time.perf_counter()
        bank = bank_io.read_bank([bank_dir])
        validate_seconds = time.perf_counter() - started
        assert not bank.errors, bank.errors[:3]

        url = f"sqlite:///{root / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(root)})
        with app.app_context():
            started = time.perf_counter()
            report = bank_io.import_bank(get_session(), None, bank_io.read_bank([bank_dir]))
            import_seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = bank_io.import_bank(get_session(), None, bank_io.read_bank([bank_dir]))
            reimport_seconds = time.perf_counter() - started
        assert len(report.added) == len(bank.questions)
        assert len(again.unchanged) == len(bank.questions)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"questions: {len(bank.questions)} in {TOPICS} files")
    print(f"validate: {validate_seconds:.2f} s (target < 5 s)")
    print(f"import into empty SQLite: {import_seconds:.2f} s (target < 15 s, validation included)")
    print(f"re-import unchanged: {reimport_seconds:.2f} s")


if __name__ == "__main__":
    main()
