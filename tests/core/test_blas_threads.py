"""The engine sets BLAS's thread count itself: one thread for small networks (where a
second thread only stalls on a busy machine), BLAS's own count for large products, so no
user has to know OPENBLAS_NUM_THREADS."""

from __future__ import annotations

import numpy as np
import pytest
from engine_lessons import random_lesson
from threadpoolctl import threadpool_info

from bpsim.core.network import BLAS_SINGLE_THREAD_WORK, BLAS_THREADS
from bpsim.core.spec import TrainingSpec
from bpsim.core.trainer import Trainer


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_small_networks_use_one_blas_thread_and_large_ones_blas_default() -> None:
    BLAS_THREADS._find()
    defaults = set(BLAS_THREADS._defaults)
    if not defaults:
        pytest.skip("no BLAS that threadpoolctl can drive")
    if defaults == {1}:
        pytest.skip("BLAS runs on one thread here anyway")
    small = Trainer(random_lesson([4, 8, 3], ["tanh", "sigmoid"], "mse", samples=6))
    small.step()
    assert blas_threads() == {1}
    # 50 rows × 300·300 weights = 4.5 million multiply-adds: worth BLAS's threads
    big_lesson = random_lesson(
        [300, 300], ["linear"], "mse", samples=50, training=TrainingSpec(batch_size=50)
    )
    assert BLAS_SINGLE_THREAD_WORK < 50 * 300 * 300
    big = Trainer(big_lesson)
    big.forward()
    assert blas_threads() == defaults
    small.run_steps(5)
    assert blas_threads() == {1}
    assert np.isfinite(small.network.flat).all()
