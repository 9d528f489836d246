"""A multi-page TIFF (a z-stack) as a (D, H, W) numpy array, for the peers."""
import numpy as np
from PIL import Image


def read_volume(path):
    """Every page of the TIFF at `path`, page 1 first, stacked along axis 0."""
    im = Image.open(path)
    pages = []
    for i in range(im.n_frames):
        im.seek(i)
        pages.append(np.array(im))
    return np.stack(pages)
