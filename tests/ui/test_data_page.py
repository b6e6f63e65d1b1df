"""The Data page: each source chosen as a user would, previewed, summarised, tied to the model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from tests.images import write_png
from tests.ui.conftest import save_screenshot


def choose(page, source):
    page.source.setCurrentIndex(page.source.findData(source))


def load(qtbot, page):
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.load_button.click()
    return page.data


def thumbnails(page):
    return [w for w in page.grid_host.findChildren(QLabel) if w.pixmap() and
            not w.pixmap().isNull()]


def test_shapes_preview_summary_and_class_hint(make_window, qtbot):
    window = make_window()
    page = window.data_page
    window.page_actions[1].trigger()
    page.count.setValue(600)
    assert window.editor.project.dataset["count"] == 600
    data = load(qtbot, page)
    assert len(data.x_train) == 600
    assert "600</b> training images of 28x28x1" in page.summary.text()
    assert "circle 100" in page.summary.text()
    assert len(thumbnails(page)) == 24
    assert list(page.bars.opts["height"]) == [100] * 6 and page.histogram.isVisible()
    assert "540 for training, 60 for validation" in page.arithmetic.text()
    assert "ceil(540 / 64) = 9 iterations" in page.arithmetic.text()
    hints = [h.title for h in window.editor.hints]
    assert "10 output units for 6 classes" in hints
    save_screenshot(window, "data_shapes.png")


def test_npz_source_with_one_hot_labels_suggests_the_loss(make_window, qtbot, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.random.default_rng(0).integers(0, 255, (40, 12, 12)),
             y_train=np.eye(4)[np.arange(40) % 4])
    window = make_window()
    page = window.data_page
    choose(page, "npz")
    page.path.setText(str(path))
    page.path.editingFinished.emit()
    assert window.editor.project.dataset["path"] == str(path)
    load(qtbot, page)
    assert "labels: one-hot" in page.summary.text()
    assert not page.fix_loss.isHidden()
    page.fix_loss.click()
    assert window.editor.project.training["loss"] == "categorical_crossentropy"
    assert not page.fix_input.isHidden()  # 12x12x1 data, 28x28x1 model
    page.fix_input.click()
    assert window.editor.project.input_shape == (12, 12, 1)


def test_folder_source_counts_skipped_files(make_window, qtbot, tmp_path):
    for name in ("cats", "dogs"):
        for i in range(5):
            write_png(tmp_path / "pets" / name / f"{i}.png", np.full((20, 20, 3), 40 * i))
    (tmp_path / "pets" / "cats" / "readme.txt").write_text("not an image")
    window = make_window()
    page = window.data_page
    choose(page, "folder")
    page.path.setText(str(tmp_path / "pets"))
    page.path.editingFinished.emit()
    load(qtbot, page)
    assert "cats 5, dogs 5" in page.summary.text()
    assert "1 files skipped" in page.summary.text()
    assert len(thumbnails(page)) == 10


def test_keras_source_from_a_temporary_cache(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros((30, 28, 28), np.uint8),
             y_train=np.arange(30) % 10, x_test=np.zeros((5, 28, 28), np.uint8),
             y_test=np.arange(5))
    window = make_window()
    page = window.data_page
    choose(page, "keras")
    load(qtbot, page)
    assert "30</b> training images" in page.summary.text() and "5 test images" in \
        page.summary.text()


@pytest.mark.parametrize("source", ["npz", "folder"])
def test_missing_path_gives_a_message_and_the_page_still_works(make_window, qtbot, tmp_path,
                                                               source):
    window = make_window()
    page = window.data_page
    choose(page, source)
    page.path.setText(str(tmp_path / "nothing"))
    page.path.editingFinished.emit()
    page.load_button.click()
    qtbot.waitUntil(lambda: page.task is None, timeout=10_000)
    assert "not found" in page.error.text()
    assert page.load_button.isEnabled()


def test_bad_value_is_refused_inline(make_window):
    window = make_window()
    page = window.data_page
    choose(page, "npz")  # no path yet
    assert "dataset.path" in page.error.text() or "path" in page.error.text()
    assert window.editor.project.dataset.get("source", "shapes") == "shapes"


@pytest.mark.slow
def test_window_stays_responsive_while_10000_images_are_scanned(make_window, qtbot, tmp_path):
    import time

    from PySide6.QtCore import QTimer

    tiny = write_png(tmp_path / "one.png", np.zeros((4, 4))).read_bytes()
    for c in range(4):
        folder = tmp_path / "many" / f"class{c}"
        folder.mkdir(parents=True)
        for i in range(2500):
            (folder / f"{i}.png").write_bytes(tiny)
    window = make_window()
    page = window.data_page
    choose(page, "folder")
    page.path.setText(str(tmp_path / "many"))
    page.path.editingFinished.emit()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    progress_seen = []
    page.progress.valueChanged.connect(progress_seen.append)
    data = load(qtbot, page)
    timer.stop()
    assert len(data.files) == 10_000
    assert progress_seen and max(progress_seen) == 10_000
    gaps = np.diff(ticks)
    print(f"longest GUI gap while scanning: {gaps.max() * 1e3:.1f} ms over {len(ticks)} ticks")
    assert len(ticks) > 5 and gaps.max() < 0.25, f"GUI stalled {gaps.max():.3f} s"
