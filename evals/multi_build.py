"""Index builds over several reports: a fresh build, an unchanged rebuild, and adding one report.

    python evals/multi_build.py [--embedder e5]

Copies the bundled report and the six provincial reports of evals/reports/ into a temporary folder;
prints each build's time, chunks and how many were embedded (the rest came from the embedding cache).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from assistant.chunking import ChunkerParams
from assistant.embeddings import embedder_id, make_embeddings
from assistant.settings import DEFAULT_CORPUS, ROOT
from assistant.store import build_index

REPORTS = sorted((ROOT / "evals" / "reports").glob("*.txt"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="e5")
    args = parser.parse_args()
    emb = make_embeddings(args.embedder)
    eid = embedder_id(emb)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def build(label: str, corpus: Path, index: Path) -> None:
            t0 = time.perf_counter()
            m = build_index(corpus, index, emb, eid, ChunkerParams())
            dt = time.perf_counter() - t0
            rows.append((label, len(m.reports), m.chunk_count, m.embedded, dt))
            print(f"{label}: {dt:.1f} s", flush=True)

        seven = root / "seven"
        seven.mkdir()
        for f in (DEFAULT_CORPUS, *REPORTS):
            shutil.copyfile(f, seven / f.name)
        build("fresh build, 7 reports", seven, root / "idx7")
        build("rebuild, unchanged", seven, root / "idx7")
        six = root / "six"
        six.mkdir()
        for f in (DEFAULT_CORPUS, *REPORTS[:-1]):
            shutil.copyfile(f, six / f.name)
        build("fresh build, 6 reports", six, root / "idx6")
        shutil.copyfile(REPORTS[-1], six / REPORTS[-1].name)
        build(f"add a 7th ({REPORTS[-1].name})", six, root / "idx6")
    print("\n| build | reports | chunks | embedded | seconds | chunks/s embedded |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, n, chunks, embedded, dt in rows:
        rate = f"{embedded / dt:.1f}" if embedded else "-"
        print(f"| {label} | {n} | {chunks} | {embedded} | {dt:.1f} | {rate} |")


if __name__ == "__main__":
    main()
