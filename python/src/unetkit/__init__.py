"""UNetKit's U-Net data tools for numpy: exact weight maps and elastic deformation.

The computation runs in UNetKit's compiled library (bundled, no Swift
toolchain needed), without the GIL:

- :func:`weight_map`: the U-Net weight map and class mask of instance labels, 2-D or 3-D;
- :func:`separate`: touching instances separated by a background gap;
- :func:`elastic`: one random elastic deformation applied to several arrays;
- :class:`Augmenter`: sample ``k`` of ``unet augment``, made on the fly.

``unetkit.torch`` (PyTorch) reads ``unet augment`` shard folders.
"""

from ._augmenter import Augmenter
from ._elastic import elastic
from ._weights import separate, weight_map

__all__ = ["Augmenter", "elastic", "separate", "weight_map"]
__version__ = "0.1.0"
