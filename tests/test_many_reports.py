"""Several reports in one index (issue #11): unique ids, per-report metadata, the embedding cache,
bad files in a folder, and answers that name their report. Fake embedder, real Chroma on disk; the
reports are the synthetic ones of tests/data (made-up places and figures, two genres)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.chunking import ChunkerParams
from assistant.embeddings import HashingEmbeddings, embedder_id
from assistant.index import ensure_index
from assistant.pipeline import build_assistant
from assistant.settings import Settings
from assistant.store import build_index
from tests.webfixtures import SYNTHETIC_REPORT

pytestmark = pytest.mark.integration

REPORTS = SYNTHETIC_REPORT.parent
PLAN = SYNTHETIC_REPORT  # a district's plan report (澜川区, 2028 reviewed, 2029 planned)
CITY, COUNTY = "tongzhou-2030-work-report.txt", "yunjin-2030-work-report.txt"  # work reports, 2029/2030
PLAN_NAME, CITY_NAME = "澜川区2029年计划", "桐州2030年政府工作报告"


class CountingEmbeddings(HashingEmbeddings):
    """The fake embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copyfile(PLAN, d / PLAN.name)
    shutil.copyfile(REPORTS / CITY, d / CITY)
    return d


def build(corpus: Path, index: Path, emb: HashingEmbeddings):  # type: ignore[no-untyped-def]
    return build_index(corpus, index, emb, embedder_id(emb), ChunkerParams())


def test_two_reports_sharing_lines_index_every_chunk_with_its_own_metadata(
    folder: Path, tmp_path: Path
) -> None:
    emb = HashingEmbeddings()
    m = build(folder, tmp_path / "idx", emb)
    index = ensure_index(folder, tmp_path / "idx", emb, embedder_id(emb), ChunkerParams())
    assert len({c.id for c in index.chunks}) == len(index.chunks) == m.chunk_count
    shared = [c for c in index.chunks if c.text == "各位代表："]
    assert len(shared) == 2 and shared[0].id != shared[1].id  # the same line in two reports: two chunks
    by_file = {r.file: r for r in m.report_list()}
    assert (by_file[PLAN.name].review_year, by_file[PLAN.name].plan_year) == (2028, 2029)
    assert (by_file[CITY].review_year, by_file[CITY].plan_year) == (2029, 2030)
    assert by_file[CITY].place == "桐州" and by_file[PLAN.name].place == "澜川区"
    assert {c["sha256"] for c in m.corpus} == {r.sha256 for r in m.report_list()}


def test_unchanged_rebuild_embeds_nothing_and_a_new_report_only_its_chunks(
    folder: Path, tmp_path: Path
) -> None:
    emb = CountingEmbeddings()
    first = build(folder, tmp_path / "idx", emb)
    assert first.embedded == emb.embedded == first.chunk_count
    again = build(folder, tmp_path / "idx", emb)
    assert again.embedded == 0 and emb.embedded == first.chunk_count
    shutil.copyfile(REPORTS / COUNTY, folder / COUNTY)
    third = build(folder, tmp_path / "idx", emb)
    assert sum(1 for r in third.report_list() if r.file == COUNTY) == 1
    # only the new report's chunks are embedded (less any whose embedded text an old chunk already had)
    from assistant.loading import scan_corpus
    from assistant.store import make_chunks

    chunks, _ = make_chunks(scan_corpus(folder)[0], ChunkerParams())
    old = {c.indexed_text for c in chunks if c.source != COUNTY}
    new = {c.indexed_text for c in chunks if c.source == COUNTY} - old
    assert third.embedded == len(new) > 0.9 * (third.chunk_count - first.chunk_count)
    assert emb.embedded == first.chunk_count + len(new)


def test_a_duplicate_and_an_empty_file_are_skipped_and_named(folder: Path, tmp_path: Path) -> None:
    shutil.copyfile(folder / CITY, folder / "copy-of-city.txt")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    m = build(folder, tmp_path / "idx", HashingEmbeddings())
    skipped = {Path(s["path"]).name: s["reason"] for s in m.skipped}
    assert set(skipped) == {"empty.txt", CITY} or set(skipped) == {"empty.txt", "copy-of-city.txt"}
    assert any("duplicate" in r for r in skipped.values()) and any("empty" in r for r in skipped.values())
    assert len(m.reports) == 2


def test_a_damaged_embedding_cache_is_set_aside(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "embeddings.sqlite3").write_bytes(b"this is not a database" * 100)
    emb = CountingEmbeddings()
    m = build(folder, tmp_path / "idx", emb)
    assert m.embedded == m.chunk_count and (tmp_path / "idx" / "embeddings.sqlite3.damaged").exists()


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("two")
    (d / "corpus").mkdir()
    shutil.copyfile(PLAN, d / "corpus" / PLAN.name)
    shutil.copyfile(REPORTS / CITY, d / "corpus" / CITY)
    return build_assistant(Settings(corpus=d / "corpus", index_dir=d / "idx", embedder="fake"))


def test_answers_and_citations_name_their_report(two) -> None:  # type: ignore[no-untyped-def]
    a = two.ask("桐州2029年粮食产量是多少？")
    assert not a.refused and a.reports == (CITY,) and a.rule.startswith("answer")
    assert a.text.startswith(f"【{CITY_NAME}】") and "86.4万吨" in a.text
    assert a.citations and {c.report for c in a.citations} == {CITY}
    assert {c.report_name for c in a.citations} == {CITY_NAME}


def test_relative_years_resolve_per_report(two) -> None:  # type: ignore[no-untyped-def]
    plan = two.ask("去年地区生产总值增长多少？", report=PLAN.name)
    assert plan.citations and all(c.report == PLAN.name for c in plan.citations)
    queries = [
        two.shelves[f].retriever.understand("去年地区生产总值增长多少？").text for f in (PLAN.name, CITY)
    ]
    assert "2028年" in queries[0] and "2029年" in queries[1]


def test_a_place_no_report_covers_is_refused_naming_the_corpus(two) -> None:  # type: ignore[no-untyped-def]
    a = two.ask("浙江今年的粮食产量目标是多少？")
    assert a.refused and a.route == "uncovered" and a.rule.startswith("refused")
    assert "浙江" in a.text and CITY_NAME in a.text and PLAN_NAME in a.text


def test_a_follow_up_switches_report(two) -> None:  # type: ignore[no-untyped-def]
    a = two.ask("那澜川呢？", [("桐州2029年粮食产量是多少？", "…")])
    assert a.standalone_question.startswith("澜川") and "粮食产量" in a.standalone_question
    assert a.reports == (PLAN.name,)


def test_a_question_naming_two_reports_answers_both(two) -> None:  # type: ignore[no-untyped-def]
    a = two.ask("澜川和桐州的地区生产总值分别增长多少？")
    assert set(a.reports) == {PLAN.name, CITY}
    assert f"【{PLAN_NAME}】" in a.text and f"【{CITY_NAME}】" in a.text
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))


def test_an_unknown_report_name_is_a_clear_question_error(two) -> None:  # type: ignore[no-untyped-def]
    from assistant.types import QuestionError

    with pytest.raises(QuestionError, match="现有报告"):
        two.ask("粮食产量是多少？", report="上海市2026年政府工作报告")


def test_a_report_whose_years_cannot_be_derived_is_indexed_with_a_warning_naming_it(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    (folder / "notes.txt").write_text("工作随笔\n\n一、总体情况\n\n全年推进各项工作。\n", encoding="utf-8")
    args = ["--corpus", str(folder), "--index", str(tmp_path / "idx"), "--embedder", "fake"]
    assert main(["index", "build", *args]) == 0
    err = capsys.readouterr().err
    assert "notes.txt" in err and "years not derivable" in err and "notes.txt.meta.json" in err
    assert main(["index", "info", *args]) == 0
    out = capsys.readouterr().out
    assert "reports:   3" in out and "notes.txt" in out and PLAN_NAME in out


def test_each_report_segments_with_its_own_terms_only() -> None:
    """A term one report defines (a heading) must not re-cut another report's text or the questions
    asked of it: a report answers in a folder as it does alone."""
    import numpy as np

    from assistant.index import split_by_report
    from assistant.reports import Report
    from assistant.types import PROSE, Chunk

    def report(file: str) -> Report:
        return Report(file, "t", "甲市", "", "", "政府工作报告", 2029, 2030, "", "0")

    a = Chunk("a1", "社会消费品零售总额增长5%。", ("一、消费市场",), "plan", PROSE, 0, 13, 10, "a.txt")
    b = Chunk("b1", "扩大内需。", ("二、零售总额增长",), "plan", PROSE, 0, 5, 5, "b.txt")
    views = split_by_report([a, b], [report("a.txt"), report("b.txt")], np.zeros((2, 4)))
    q = "社会消费品零售总额增长目标是多少"
    assert "零售总额增长" not in views["a.txt"].keyword.tokenizer.terms(q)
    assert "零售总额增长" in views["b.txt"].keyword.tokenizer.terms(q)  # b's own heading stays whole


def test_a_name_the_question_quotes_is_one_term_in_every_report() -> None:
    """A report that never defines the quoted name must see it whole (unknown), not as its characters."""
    from assistant.keyword import Tokenizer

    assert "青苗" in Tokenizer().terms("“青苗”行动推出了什么活动？")
    assert "青苗行动方案" in Tokenizer().terms("《青苗行动方案》提出了什么？")
    assert Tokenizer().terms("“GDP”增长多少") == Tokenizer().terms("GDP增长多少")  # no CJK: cut as usual
