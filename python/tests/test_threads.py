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
