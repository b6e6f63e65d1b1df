"""Where the blocks of a network diagram go: a layered drawing (the Sugiyama method).

The Design page's diagram draws every layer as a block and every connection as a
wire. Here, without Qt, each block gets its place:

1. layers: a block sits one step below the lowest of the blocks it takes (the
   longest path from the input), so every wire points down;
2. a wire that skips steps gets a waypoint on each step it crosses, so the branch
   it belongs to keeps its own column;
3. order within a step: barycentre sweeps down and up reduce crossings, starting
   from the previous drawing's order, so an edit does not reshuffle the blocks the
   user did not touch;
4. coordinates: each block goes to the mean of its neighbours' columns, kept apart
   by a minimum gap (a chain is one straight column, a merge sits below its
   branches).

`layered_layout` is top to bottom; `horizontal=True` turns the same drawing to run
left to right. Distances are in scene units (pixels at 100 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from cnnstudio.core.graph import MODEL_INPUT

Point = tuple[float, float]

BLOCK_WIDTH = 190.0
BLOCK_HEIGHT = 66.0
COLUMN_GAP = 36.0
ROW_GAP = 46.0
WAYPOINT_WIDTH = 16.0
SWEEPS = 4


@dataclass(frozen=True)
class Layout:
    """Each block's centre (the model input as `MODEL_INPUT`), each wire's waypoints
    between its two ends, and the drawing's size."""

    centres: dict[str, Point]
    waypoints: dict[tuple[str, str], list[Point]]
    width: float
    height: float
    horizontal: bool = False


def layered_layout(names: Sequence[str], inputs: Sequence[Sequence[str]],
                   previous: Mapping[str, Point] | None = None,
                   horizontal: bool = False,
                   pinned: Mapping[str, Point] | None = None) -> Layout:
    """The drawing of a network whose layer `i` is `names[i]` taking `inputs[i]`.

    `previous` (centres from the last drawing) seeds the order within each step, so
    blocks keep their relative places across edits. `pinned` blocks (moved by hand)
    stay where they were put, and their wires run straight to them.
    """
    nodes = [MODEL_INPUT, *names]
    sources = {name: list(dict.fromkeys(srcs)) for name, srcs in zip(names, inputs)}
    rank = _ranks(nodes, sources)
    steps, edges = _with_waypoints(nodes, sources, rank)
    _order(steps, edges, nodes, previous or {}, horizontal)
    across = _columns(steps, edges)
    along = {node: i * (BLOCK_HEIGHT + ROW_GAP) + BLOCK_HEIGHT / 2
             for i, step in enumerate(steps) for node in step}
    left = min(across.values(), default=0.0) - BLOCK_WIDTH / 2
    across = {node: x - left for node, x in across.items()}
    width = max((x + BLOCK_WIDTH / 2 for x in across.values()), default=BLOCK_WIDTH)
    height = len(steps) * (BLOCK_HEIGHT + ROW_GAP) - ROW_GAP

    def point(node) -> Point:
        return (along[node], across[node]) if horizontal else (across[node], along[node])

    centres = {node: point(node) for node in nodes}
    pinned = {name: tuple(at) for name, at in (pinned or {}).items() if name in centres}
    centres.update(pinned)
    waypoints = {}
    for name, srcs in sources.items():
        for source in srcs:
            chain = edges.chains.get((source, name), [])
            straight = name in pinned or source in pinned
            waypoints[(source, name)] = [] if straight else [point(node) for node in chain]
    size = (height, width) if horizontal else (width, height)
    if pinned:  # the drawing grows to take in blocks put outside it
        size = (max(size[0], *(x + BLOCK_WIDTH / 2 for x, _ in pinned.values())),
                max(size[1], *(y + BLOCK_HEIGHT / 2 for _, y in pinned.values())))
    return Layout(centres, waypoints, size[0], size[1], horizontal)


def _ranks(nodes: list[str], sources: dict[str, list[str]]) -> dict[str, int]:
    rank = {MODEL_INPUT: 0}
    for node in nodes[1:]:  # the list order is topological
        rank[node] = 1 + max((rank[s] for s in sources[node] if s in rank), default=0)
    return rank


@dataclass
class _Edges:
    down: dict  # node -> the nodes one step below it that it feeds
    up: dict  # node -> the nodes one step above that feed it
    chains: dict  # (source, target) -> the waypoint nodes between them, top to bottom


def _with_waypoints(nodes: list[str], sources: dict[str, list[str]], rank: dict[str, int]):
    """The steps (lists of nodes, top to bottom) and the one-step edges, a waypoint on
    each step a long wire crosses."""
    steps: list[list] = [[] for _ in range(max(rank.values()) + 1)]
    for node in nodes:
        steps[rank[node]].append(node)
    edges = _Edges({n: [] for n in nodes}, {n: [] for n in nodes}, {})
    for target in nodes[1:]:
        for source in sources[target]:
            chain, above = [], source
            for step in range(rank[source] + 1, rank[target]):
                waypoint = ("wire", source, target, step)
                steps[step].append(waypoint)
                edges.down[waypoint], edges.up[waypoint] = [], []
                _link(edges, above, waypoint)
                chain.append(waypoint)
                above = waypoint
            _link(edges, above, target)
            edges.chains[(source, target)] = chain
    return steps, edges


def _link(edges: _Edges, above, below) -> None:
    edges.down[above].append(below)
    edges.up[below].append(above)


def _order(steps: list[list], edges: _Edges, nodes: list[str],
           previous: Mapping[str, Point], horizontal: bool) -> None:
    """Sort each step in place to reduce crossings, starting from the previous drawing."""
    index = {node: i for i, node in enumerate(nodes)}
    axis = 1 if horizontal else 0

    def start(node) -> tuple:
        if isinstance(node, str) and node in previous:
            return (0, previous[node][axis])
        if isinstance(node, tuple):  # a waypoint: under the block it comes from
            return (1, index.get(node[1], 0))
        return (1, index.get(node, 0))

    for step in steps:
        step.sort(key=start)
    position = {node: i for step in steps for i, node in enumerate(step)}
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        neighbours = edges.up if downward else edges.down
        for step in (steps[1:] if downward else steps[-2::-1]):
            def centre(node) -> float:
                linked = neighbours[node]
                return (sum(position[n] for n in linked) / len(linked) if linked
                        else position[node])

            step.sort(key=centre)  # stable: ties keep their order
            position.update((node, i) for i, node in enumerate(step))


def _columns(steps: list[list], edges: _Edges) -> dict:
    """Each node's position across the steps: at the mean of its neighbours', kept in
    its step's order and a gap apart; down, then up, then down again."""
    x = {}
    for step in steps:
        at = 0.0
        for node in step:
            x[node] = at + _width(node) / 2
            at += _width(node) + COLUMN_GAP
    for neighbours, order in ((edges.up, steps[1:]), (edges.down, steps[-2::-1]),
                              (edges.up, steps[1:])):
        for step in order:
            wanted = [sum(x[n] for n in neighbours[node]) / len(neighbours[node])
                      if neighbours[node] else x[node] for node in step]
            for node, place in zip(step, _spread(step, wanted)):
                x[node] = place
    return x


def _spread(step: list, wanted: list[float]) -> list[float]:
    """Places as near `wanted` as the order and the gaps allow: pushed right from the
    left, pushed left from the right, and the two averaged."""
    rightward, at = [], float("-inf")
    for node, place in zip(step, wanted):
        place = max(place, at + _width(node) / 2)
        rightward.append(place)
        at = place + _width(node) / 2 + COLUMN_GAP
    leftward, at = [], float("inf")
    for node, place in zip(reversed(step), reversed(wanted)):
        place = min(place, at - _width(node) / 2)
        leftward.append(place)
        at = place - _width(node) / 2 - COLUMN_GAP
    leftward.reverse()
    merged = [(a + b) / 2 for a, b in zip(rightward, leftward)]
    for i in range(1, len(step)):  # averaging can close a gap: open it again
        least = merged[i - 1] + (_width(step[i - 1]) + _width(step[i])) / 2 + COLUMN_GAP
        merged[i] = max(merged[i], least)
    return merged


def _width(node) -> float:
    return WAYPOINT_WIDTH if isinstance(node, tuple) else BLOCK_WIDTH
