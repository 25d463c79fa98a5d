"""Drawing a paper: blueprint + pool of questions + seed -> a fair, exact paper.

For each section the draw first decides how many questions come from each
(topic, difficulty band) cell, so that the topic quotas and the difficulty
quotas both hold exactly. That is a transportation problem, solved here as a
maximum flow (source -> topic -> band -> sink), with the cells visited in a
random order so that different candidates get different allocations. When no
allocation exists, the minimum cut names the topics and bands that fall short.
Within a cell the least exposed questions are preferred, ties broken at random.
The paper is then shuffled as the blueprint asks. Everything random comes from
the `rng` passed in, so a seed rebuilds the same paper for an appeal.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from app.domain.blueprints import BANDS, Blueprint, Section, band_of

ANY = "*"  # a topic or band the blueprint leaves free


@dataclass(frozen=True)
class PoolItem:
    """A question that may be drawn: its current version and what quotas look at."""

    question_id: str
    version_id: int
    version: int
    type: str
    topic: str
    difficulty: int
    option_keys: tuple[str, ...] = ()
    status: str = "approved"


@dataclass(frozen=True)
class PaperItem:
    question_id: str
    version_id: int
    version: int
    option_order: tuple[str, ...]  # original keys in display order; empty for judge
    points: Fraction
    difficulty: int


@dataclass(frozen=True)
class PaperSection:
    title: str
    type: str
    points: Fraction
    partial_credit: str
    items: tuple[PaperItem, ...]


@dataclass(frozen=True)
class Paper:
    blueprint_id: str
    seed: int
    sections: tuple[PaperSection, ...]

    @property
    def items(self) -> list[PaperItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def mean_difficulty(self) -> float:
        items = self.items
        return sum(item.difficulty for item in items) / len(items) if items else 0.0


@dataclass(frozen=True)
class Shortfall:
    """Part of a section the pool cannot fill: which topics and bands, needed vs available."""

    section: str
    topics: tuple[str, ...]
    bands: tuple[str, ...]
    needed: int
    available: int

    @property
    def short_by(self) -> int:
        return self.needed - self.available


class InfeasibleBlueprint(Exception):
    """No paper can satisfy the blueprint from this pool; never draw a short paper."""

    def __init__(self, blueprint_id: str, shortfalls: list[Shortfall]) -> None:
        super().__init__(f"{blueprint_id}: {shortfalls}")
        self.blueprint_id = blueprint_id
        self.shortfalls = shortfalls


def eligible(item: PoolItem, section: Section) -> bool:
    """Only approved questions of the section's type go into papers (not drafts, not
    retired ones, not those waiting for review)."""
    return item.status == "approved" and item.type == section.type


class Pool:
    """The drawable questions, grouped once by (type, topic, band) so a draw touches
    only the groups its sections ask for, not the whole bank."""

    def __init__(self, items: Iterable[PoolItem]) -> None:
        self.items = list(items)
        groups: dict[str, dict[tuple[str, str], list[PoolItem]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for item in self.items:
            if item.status == "approved":
                groups[item.type][(item.topic, band_of(item.difficulty))].append(item)
        self.groups = {
            qtype: {
                key: sorted(members, key=lambda i: i.question_id)
                for key, members in sorted(cells.items())
            }
            for qtype, cells in groups.items()
        }

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def as_pool(pool: Pool | Iterable[PoolItem]) -> Pool:
    return pool if isinstance(pool, Pool) else Pool(pool)


def check_feasibility(blueprint: Blueprint, pool: Pool | Iterable[PoolItem]) -> list[Shortfall]:
    """Every shortfall of the blueprint against the pool; empty when papers can be drawn."""
    pool = as_pool(pool)
    shortfalls: list[Shortfall] = []
    for section in blueprint.sections:
        _, shortfall = _allocate(section, _cells(section, pool), None)
        shortfalls.extend(shortfall)
    return shortfalls


def draw_paper(
    blueprint: Blueprint,
    pool: Pool | Iterable[PoolItem],
    rng: random.Random,
    seed: int = 0,
    exposure: Mapping[str, int] | None = None,
) -> Paper:
    """Draw one paper; raise InfeasibleBlueprint rather than return a short one.

    A blueprint has one section per question type, so sections never compete
    for a question and each is allocated on its own.
    """
    pool = as_pool(pool)
    sections = []
    shortfalls: list[Shortfall] = []
    for section in blueprint.sections:
        cells = _cells(section, pool)
        allocation, shortfall = _allocate(section, cells, rng)
        if shortfall:
            shortfalls.extend(shortfall)
            continue
        chosen = [
            item
            for cell, number in sorted(allocation.items())
            for item in _choose(cells[cell], number, rng, exposure)
        ]
        chosen.sort(key=lambda item: item.question_id)  # a canonical order before shuffling
        if blueprint.shuffle_questions:
            rng.shuffle(chosen)
        items = tuple(
            PaperItem(
                item.question_id,
                item.version_id,
                item.version,
                _option_order(item, blueprint.shuffle_options, rng),
                section.points,
                item.difficulty,
            )
            for item in chosen
        )
        sections.append(
            PaperSection(section.title, section.type, section.points, section.partial_credit, items)
        )
    if shortfalls:
        raise InfeasibleBlueprint(blueprint.id, shortfalls)
    return Paper(blueprint.id, seed, tuple(sections))


# How many random candidates a cell offers per question wanted when exposure counts
# are given: the least used of them are taken. Looking at a sample, not the whole
# cell, keeps a draw from a 10,000-question bank to a few milliseconds while still
# steering every paper toward the questions used least.
EXPOSURE_SAMPLE_FACTOR = 4


def _choose(
    members: list[PoolItem], number: int, rng: random.Random, exposure: Mapping[str, int] | None
) -> list[PoolItem]:
    """`number` questions from a cell: at random, preferring the least exposed."""
    if number >= len(members):
        return list(members)
    if not exposure:
        return rng.sample(members, number)
    offered = rng.sample(members, min(len(members), number * EXPOSURE_SAMPLE_FACTOR + 8))
    # sorted() is stable: equally exposed questions keep their random order.
    return sorted(offered, key=lambda item: exposure.get(item.question_id, 0))[:number]


def _option_order(item: PoolItem, shuffle: bool, rng: random.Random) -> tuple[str, ...]:
    if item.type == "judge":
        return ()  # shown as A 正确 / B 错误, never shuffled
    order = list(item.option_keys)
    if shuffle:
        rng.shuffle(order)
    return tuple(order)


def _cells(section: Section, pool: Pool) -> dict[tuple[str, str], list[PoolItem]]:
    """The section's candidates by (topic, band), with free dimensions folded into ANY."""
    topics = {name for name, _ in section.topics}
    bands = {name for name, _ in section.difficulty}
    cells: dict[tuple[str, str], list[PoolItem]] = defaultdict(list)
    for (topic, band), members in pool.groups.get(section.type, {}).items():
        if (topics and topic not in topics) or (bands and band not in bands):
            continue
        cells[(topic if topics else ANY, band if bands else ANY)].extend(members)
    return cells


def _allocate(
    section: Section, cells: Mapping[tuple[str, str], list[PoolItem]], rng: random.Random | None
) -> tuple[dict[tuple[str, str], int], list[Shortfall]]:
    """How many questions to take from each cell, or the shortfalls that prevent it."""
    topic_quota = dict(section.topics) or {ANY: section.count}
    band_quota = dict(section.difficulty) or {ANY: section.count}
    flow = _TransportFlow(
        topic_quota, band_quota, {cell: len(members) for cell, members in cells.items()}, rng
    )
    total = flow.solve()
    if total == section.count:
        return flow.allocation(), []
    # Minimum cut: the topics still reachable from the source need more questions
    # than the unreachable bands' cells hold plus what the reachable (already
    # full) bands may take. Exactly count - total questions are missing there.
    topics, full_bands = flow.min_cut()
    short_bands = set(band_quota) - full_bands
    needed = sum(topic_quota[t] for t in topics) - sum(band_quota[b] for b in full_bands)
    available = sum(len(cells.get((t, b), ())) for t in topics for b in short_bands)
    shortfall = Shortfall(
        section=section.title,
        topics=tuple(sorted(t for t in topics if t != ANY)),
        bands=tuple(b for b in _band_order(short_bands) if b != ANY),
        needed=needed,
        available=available,
    )
    return {}, [shortfall]


def _band_order(bands: set[str]) -> list[str]:
    order = [*BANDS, ANY]
    return sorted(bands, key=order.index)


class _TransportFlow:
    """Max flow on source -> topic -> band -> sink with cell capacities (Edmonds-Karp)."""

    def __init__(
        self,
        topic_quota: dict[str, int],
        band_quota: dict[str, int],
        cell_sizes: dict[tuple[str, str], int],
        rng: random.Random | None,
    ) -> None:
        self.topic_quota = topic_quota
        self.band_quota = band_quota
        self.cell_sizes = cell_sizes
        self.flow: dict[tuple[str, str], int] = defaultdict(int)
        self.topic_flow: dict[str, int] = defaultdict(int)
        self.band_flow: dict[str, int] = defaultdict(int)
        self.topics = list(topic_quota)
        self.bands = list(band_quota)
        if rng is not None:
            rng.shuffle(self.topics)
            rng.shuffle(self.bands)

    def solve(self) -> int:
        total = 0
        while (path := self._augmenting_path()) is not None:
            total += self._push(path)
        return total

    def allocation(self) -> dict[tuple[str, str], int]:
        return {cell: amount for cell, amount in self.flow.items() if amount}

    # Residual graph nodes: ("s",), ("t", topic), ("b", band), ("z",)
    def _neighbours(self, node: tuple) -> list[tuple[tuple, int]]:
        kind = node[0]
        out: list[tuple[tuple, int]] = []
        if kind == "s":
            for topic in self.topics:
                spare = self.topic_quota[topic] - self.topic_flow[topic]
                if spare > 0:
                    out.append((("t", topic), spare))
        elif kind == "t":
            topic = node[1]
            for band in self.bands:
                spare = self.cell_sizes.get((topic, band), 0) - self.flow[(topic, band)]
                if spare > 0:
                    out.append((("b", band), spare))
            if self.topic_flow[topic] > 0:
                out.append((("s",), self.topic_flow[topic]))
        elif kind == "b":
            band = node[1]
            spare = self.band_quota[band] - self.band_flow[band]
            if spare > 0:
                out.append((("z",), spare))
            for topic in self.topics:
                if self.flow[(topic, band)] > 0:
                    out.append((("t", topic), self.flow[(topic, band)]))
        elif kind == "z":
            for band in self.bands:
                if self.band_flow[band] > 0:
                    out.append((("b", band), self.band_flow[band]))
        return out

    def _search(self) -> dict[tuple, tuple[tuple, int] | None]:
        parents: dict[tuple, tuple[tuple, int] | None] = {("s",): None}
        queue = [("s",)]
        for node in queue:
            for neighbour, capacity in self._neighbours(node):
                if neighbour not in parents:
                    parents[neighbour] = (node, capacity)
                    queue.append(neighbour)
        return parents

    def _augmenting_path(self) -> list[tuple[tuple, tuple, int]] | None:
        parents = self._search()
        if ("z",) not in parents:
            return None
        path = []
        node: tuple = ("z",)
        while parents[node] is not None:
            parent, capacity = parents[node]  # type: ignore[misc]
            path.append((parent, node, capacity))
            node = parent
        return list(reversed(path))

    def _push(self, path: list[tuple[tuple, tuple, int]]) -> int:
        amount = min(capacity for _, _, capacity in path)
        for source, target, _ in path:
            if source[0] == "s":
                self.topic_flow[target[1]] += amount
            elif target[0] == "z":
                self.band_flow[source[1]] += amount
            elif source[0] == "z":
                self.band_flow[target[1]] -= amount
            elif target[0] == "s":
                self.topic_flow[source[1]] -= amount
            elif source[0] == "t":
                self.flow[(source[1], target[1])] += amount
            else:
                self.flow[(target[1], source[1])] -= amount
        return amount

    def min_cut(self) -> tuple[set[str], set[str]]:
        """Topics and bands still reachable from the source after the maximum flow."""
        reachable = self._search()
        topics = {node[1] for node in reachable if node[0] == "t"}
        bands = {node[1] for node in reachable if node[0] == "b"}
        return topics, bands
