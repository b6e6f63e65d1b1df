"""Running a function off the GUI thread, with its result delivered back to the GUI.

The function gets a `progress(done, total)` callable and a `cancelled()`
callable; it never touches a widget. Results, errors and progress arrive as
queued signals on the object that lives in the GUI thread.
"""

from __future__ import annotations

import gc
import threading
import traceback
import weakref
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot


class _Job(QObject):
    done = Signal(object)
    failed = Signal(str, str)  # one-line message, details
    progress = Signal(int, int)

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn
        self.stop = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(progress=self.progress.emit, cancelled=self.stop.is_set)
        except Exception as error:  # every error must reach the user, not kill the thread
            self.failed.emit(str(error) or type(error).__name__, traceback.format_exc())
        else:
            self.done.emit(result)


_running = 0


def pause_gc() -> None:
    """No cyclic garbage collection while a worker runs.

    A collection triggered by the worker's allocations would run in the worker
    and could destroy Qt objects that belong to the GUI thread: PySide6 then
    crashes (seen as an intermittent segfault while scanning 10,000 images).
    Collection resumes, in the GUI thread, when the last task ends.
    """
    global _running
    _running += 1
    gc.disable()


def resume_gc() -> None:
    global _running
    _running -= 1
    if _running == 0:
        gc.enable()


_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def new_thread() -> QThread:
    """A worker thread CNN Studio keeps track of: `running_threads` lists the live ones,
    so closing the window (and each UI test) can tell that none was left running."""
    thread = QThread()
    _threads.add(thread)
    return thread


def running_threads() -> list[QThread]:
    return [thread for thread in list(_threads) if thread.isRunning()]


class Task(QObject):
    """One background job; `done`, `failed` and `progress` arrive in the GUI thread."""

    done = Signal(object)
    failed = Signal(str, str)
    progress = Signal(int, int)

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = new_thread()
        self.job = _Job(fn)
        self.job.moveToThread(self.thread)
        self.thread.started.connect(self.job.run)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.progress.connect(self.progress)

    def start(self) -> "Task":
        pause_gc()
        self._paused = True
        self.thread.start()
        return self

    def cancel(self) -> None:
        self.job.stop.set()

    def wait(self, ms: int = 10_000) -> bool:
        self.thread.quit()
        finished = self.thread.wait(ms)
        if finished and getattr(self, "_paused", False):
            self._paused = False
            resume_gc()
        return finished

    def _on_done(self, result: Any) -> None:
        self.wait()
        self.done.emit(result)

    def _on_failed(self, message: str, details: str) -> None:
        self.wait()
        self.failed.emit(message, details)
