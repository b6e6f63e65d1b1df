"""Spacing a repeated GUI job by what it costs, so training keeps the cores.

Every redraw during training costs the GUI thread CPU time and the GIL, and
on a machine with few cores that time is taken from training. A `Pacer`
turns the GUI thread's CPU seconds between two runs of a job into the
interval that keeps the thread's share of a core near a budget: longer on a
slow machine or a big window, back to the shortest when drawing is cheap.
"""

from __future__ import annotations

import time


class Pacer:
    """The interval for a job that should use at most `budget` of a core."""

    def __init__(self, budget: float, shortest_ms: float, longest_ms: float) -> None:
        self.budget = budget
        self.shortest_ms = float(shortest_ms)
        self.longest_ms = float(longest_ms)
        self.interval_ms = self.shortest_ms
        self._last_cpu: float | None = None  # the GUI thread's CPU time at the last run
        self.hurried = False  # held at the shortest interval (see `hurry`)

    def tick(self, cpu_now: float | None = None) -> None:
        """Called at each run of the job, in the GUI thread: set the next interval.

        The CPU time since the last run is what a round cost (the job and its
        paint, plus anything else the user did meanwhile); the interval that
        keeps it within the budget is that cost over the budget. A costly round
        spaces the next at once: every round at the shorter interval would take
        its cost from training again (halfway steps up cost the Dense baseline
        a third more rounds in its first seconds). Cheaper rounds bring the
        interval down in halfway steps, so one cheap round does not bring back
        a run of costly ones.
        """
        cpu_now = time.thread_time() if cpu_now is None else cpu_now
        if self._last_cpu is not None and not self.hurried:
            wanted = (cpu_now - self._last_cpu) / self.budget * 1000
            interval = wanted if wanted > self.interval_ms else (self.interval_ms + wanted) / 2
            self.interval_ms = min(max(interval, self.shortest_ms), self.longest_ms)
        self._last_cpu = cpu_now

    def reset(self) -> None:
        """Pace afresh from the shortest interval (a new run, a resume)."""
        self.interval_ms = self.shortest_ms
        self._last_cpu = None
        self.hurried = False

    def hurry(self) -> None:
        """The shortest interval until the next reset: while training is paused or
        stopping, drawing takes nothing from it, and the user waits to see where it is."""
        self.reset()
        self.hurried = True
