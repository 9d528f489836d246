"""Calls from several threads at once give the results of one thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

import unetkit
from conftest import random_instances


def test_weight_map_and_elastic_from_threads():
    labels = [random_instances((96, 80), 12, s) for s in range(8)]
    volumes = [random_instances((10, 40, 30), 6, s) for s in range(4)]
    serial_maps = [unetkit.weight_map(x) for x in labels + volumes]
    serial_warps = [unetkit.elastic(x.astype(np.float32), x, seed=i, rotate=20) for i, x in enumerate(labels)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            maps = list(pool.map(unetkit.weight_map, labels + volumes))
            warps = list(pool.map(lambda ix: unetkit.elastic(ix[1].astype(np.float32), ix[1], seed=ix[0], rotate=20),
                                  enumerate(labels)))
            for (w, m), (sw, sm) in zip(maps, serial_maps):
                np.testing.assert_array_equal(w, sw)
                np.testing.assert_array_equal(m, sm)
            for got, expected in zip(warps, serial_warps):
                for a, b in zip(got, expected):
                    np.testing.assert_array_equal(a, b)


def test_python_runs_while_a_call_computes():
    # With the GIL held, no other Python thread could run during the call;
    # the main thread's loop must make progress in the middle half of it.
    import threading
    import time

    volume = random_instances((48, 128, 128), 60, 1)
    span: dict = {}
    done = threading.Event()

    def work():
        span["start"] = time.perf_counter()
        unetkit.weight_map(volume)
        span["end"] = time.perf_counter()
        done.set()

    stamps = []
    thread = threading.Thread(target=work)
    thread.start()
    while not done.is_set():
        stamps.append(time.perf_counter())
    thread.join()
    start, end = span["start"], span["end"]
    quarter = (end - start) / 4
    assert end - start > 0.05, "the call was too short to tell"
    assert any(start + quarter < s < end - quarter for s in stamps)
