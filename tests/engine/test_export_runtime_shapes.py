"""The built-in Shapes data set: deterministic, balanced, offline, quick."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cnnstudio.export_runtime.shapes import CLASS_NAMES, ShapesSpec, generate


def test_same_seed_same_data_other_seed_other_data():
    a = generate(ShapesSpec(count=60, seed=7))
    b = generate(ShapesSpec(count=60, seed=7))
    c = generate(ShapesSpec(count=60, seed=8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("h, w, c", [(28, 28, 1), (32, 32, 3), (20, 40, 3)])
def test_shape_dtype_and_balance(h, w, c):
    x, y = generate(ShapesSpec(count=120, height=h, width=w, channels=c, seed=1))
    assert x.shape == (120, h, w, c) and x.dtype == np.uint8
    assert y.shape == (120,) and set(np.unique(y)) == set(range(len(CLASS_NAMES)))
    assert np.bincount(y).tolist() == [20] * len(CLASS_NAMES)


def test_every_image_shows_a_figure_against_its_background():
    x, y = generate(ShapesSpec(count=300, seed=2, noise=0.0))
    for image in x:
        values = np.unique(image)
        assert len(values) == 2 and abs(int(values[1]) - int(values[0])) >= 60


def test_figures_differ_by_class_in_area():
    x, y = generate(ShapesSpec(count=600, seed=3, noise=0.0))
    flat = x.reshape(len(x), -1).astype(int)
    minority = np.array([min((row == row.min()).sum(), (row == row.max()).sum())
                         for row in flat])
    ring, circle = minority[y == 4].mean(), minority[y == 0].mean()
    assert ring < circle  # a ring has a hole


@pytest.mark.parametrize("kwargs", [{"count": 0}, {"height": 4}, {"channels": 2}])
def test_bad_specs_are_refused(kwargs):
    with pytest.raises(ValueError):
        ShapesSpec(**kwargs)


def test_generating_needs_no_tensorflow():
    code = ("import sys; from cnnstudio.export_runtime.shapes import generate, ShapesSpec; "
            "generate(ShapesSpec(count=10)); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "False", out.stderr
