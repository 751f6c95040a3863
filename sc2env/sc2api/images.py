"""SC2API ImageData <-> numpy grids (game info grids, map state).

The game packs grids row-major, row index = world y (y grows upward, as in our
MapPlanes), either one byte per cell (bits_per_pixel 8: terrain height, visibility)
or one bit per cell, most significant bit first, packed across rows without padding
(bits_per_pixel 1: pathing/placement grids, creep). Older game versions sent the
pathing grid as 8 bits per cell; both decode to the same bool grid.
"""

from __future__ import annotations

import numpy as np
from s2clientprotocol import common_pb2


class ImageDataError(ValueError):
    """An ImageData whose size and data length disagree or whose depth is unknown."""


def decode_image(image: common_pb2.ImageData) -> np.ndarray:
    """ImageData -> uint8 [height, width] for 8 bits per pixel, bool for 1 bit per pixel."""
    width, height = image.size.x, image.size.y
    cells = width * height
    data = np.frombuffer(image.data, dtype=np.uint8)
    if image.bits_per_pixel == 8:
        if data.size != cells:
            raise ImageDataError(f"8-bit image {width}x{height} needs {cells} bytes, got {data.size}")
        return data.reshape(height, width).copy()
    if image.bits_per_pixel == 1:
        if data.size != (cells + 7) // 8:
            raise ImageDataError(f"1-bit image {width}x{height} needs {(cells + 7) // 8} bytes, got {data.size}")
        return np.unpackbits(data)[:cells].reshape(height, width).astype(bool)
    raise ImageDataError(f"unsupported bits_per_pixel {image.bits_per_pixel} (expected 1 or 8)")


def decode_bool_image(image: common_pb2.ImageData) -> np.ndarray:
    """A grid that is a yes/no per cell, whatever depth the game used (nonzero = yes)."""
    return decode_image(image).astype(bool)


def encode_image(grid: np.ndarray, bits_per_pixel: int) -> common_pb2.ImageData:
    """uint8 or bool [height, width] -> ImageData with the given depth."""
    grid = np.asarray(grid)
    if grid.ndim != 2:
        raise ImageDataError(f"grid must be 2-D [height, width], got shape {grid.shape}")
    height, width = grid.shape
    if bits_per_pixel == 8:
        data = grid.astype(np.uint8).tobytes()
    elif bits_per_pixel == 1:
        data = np.packbits(grid.astype(bool).ravel()).tobytes()
    else:
        raise ImageDataError(f"unsupported bits_per_pixel {bits_per_pixel} (expected 1 or 8)")
    return common_pb2.ImageData(bits_per_pixel=bits_per_pixel, size=common_pb2.Size2DI(x=width, y=height), data=data)
