"""Command line: index build/info, chunks --grep, ask, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .reports import problems
from .settings import Settings
from .types import CorpusError, IndexUnavailableError, QuestionError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(os.environ).with_overrides(
        corpus=getattr(args, "corpus", None),
        index_dir=getattr(args, "index", None),
        embedder=getattr(args, "embedder", None),
    )


def _progress():  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in bar:
            bar[stage] = tqdm(total=total, desc=f"索引构建 {stage}", unit="chunk", file=sys.stderr)
        b = bar[stage]
        b.update(done - b.n)
        if done >= total:
            b.close()

    return update


def cmd_index(args: argparse.Namespace) -> int:
    from .chunking import ChunkerParams
    from .embeddings import embedder_id, make_embeddings
    from .store import build_index, chunks_from_jsonl, current_build, read_manifest

    s = _settings(args)
    if args.action == "build":
        emb = make_embeddings(s.embedder, s.embed_workers, s.embed_threads, s.embed_queue)
        m = build_index(
            s.corpus,
            s.index_dir,
            emb,
            embedder_id(emb),
            ChunkerParams(target_tokens=s.chunk_tokens, overlap_sentences=s.chunk_overlap),
            s.chroma_host,
            s.chroma_port,
            _progress(),
        )
        print(
            f"built {m.chunk_count} chunks of {len(m.reports)} report(s) in {m.build_seconds:.1f}s "
            f"({m.embedded} embedded, {m.chunk_count - m.embedded} from the embedding cache) "
            f"-> {s.index_dir} (build {m.build_id})"
        )
        for sk in m.skipped:
            print(f"skipped:   {sk['path']}: {sk['reason']}", file=sys.stderr)
        for report in m.report_list():
            for problem in problems(report):
                print(f"warning:   {problem}", file=sys.stderr)
        return 0
    build = current_build(s.index_dir)
    if build is None:
        print(f"no index at {s.index_dir}; run: python -m assistant index build", file=sys.stderr)
        return 1
    m = read_manifest(build)
    chunks = chunks_from_jsonl((build / "chunks.jsonl").read_bytes())
    size = sum(f.stat().st_size for f in build.rglob("*") if f.is_file())
    print(f"index:     {build}")
    print(f"built at:  {m.built_at} ({m.build_seconds:.1f}s)")
    print(f"embedder:  {m.embedder}")
    print(f"chunks:    {m.chunk_count}; size on disk {size / 1e6:.1f} MB")
    per_report = Counter(c.source for c in chunks)
    print(f"reports:   {len(m.reports)}")
    for r in m.report_list():
        years = f"review {r.review_year}, plan {r.plan_year}"
        print(f"  - {r.short_name}: {r.file} sha256 {r.sha256[:16]}")
        print(
            f"      title {r.title}; place {r.place}{' (' + r.parent + ')' if r.parent else ''}; issuer {r.issuer}"
        )
        print(f"      genre {r.genre}; {years}; date {r.date or '-'}; {per_report[r.file]} chunks")
        for problem in problems(r):
            print(f"      warning: {problem}")
    for sk in m.skipped:
        print(f"skipped:   {sk['path']}: {sk['reason']}")
    print("by kind:   " + ", ".join(f"{k} {n}" for k, n in Counter(c.kind for c in chunks).most_common()))
    print("by scope:  " + ", ".join(f"{k} {n}" for k, n in Counter(c.scope for c in chunks).most_common()))
    return 0


def cmd_chunks(args: argparse.Namespace) -> int:
    from .chunking import ChunkerParams
    from .loading import scan_corpus
    from .store import make_chunks

    s = _settings(args)
    chunks, _ = make_chunks(scan_corpus(s.corpus)[0], ChunkerParams(target_tokens=s.chunk_tokens))
    shown = 0
    for c in chunks:
        if args.grep and args.grep not in c.text and args.grep not in c.section:
            continue
        shown += 1
        print(f"── {c.id} [{c.kind}/{c.scope}] {c.source} {c.token_count} tokens, chars {c.start}-{c.end}")
        print(f"   {c.section}")
        print("   " + c.text.replace("\n", "\n   "))
    print(f"{shown} of {len(chunks)} chunks", file=sys.stderr)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .pipeline import build_assistant
    from .records import answer_record

    assistant = build_assistant(_settings(args), progress=_progress())
    try:
        history = [(q, "") for q in args.history or ()]
        answer = assistant.ask(args.question, history, report=args.report)
    except QuestionError as e:
        print(str(e), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer_record(answer), ensure_ascii=False, indent=1))
        return 0
    if answer.standalone_question and answer.standalone_question != answer.question:
        print(f"（理解为：{answer.standalone_question}）")
    print(answer.text)
    if answer.notice:
        print(f"注意：{answer.notice}")
    for c in answer.citations:
        where = f"{c.report_name} · {c.section}" if len(assistant.reports) > 1 else c.section
        print(f"\n[{c.n}] {where}\n    {c.text[c.span[0] : c.span[1]]}")
    if answer.suggestions:
        print("\n相关章节：" + "；".join(answer.suggestions))
    if args.explain:
        print(explain(answer, assistant.settings))
    return 0


def explain(answer, settings: Settings) -> str:  # type: ignore[no-untyped-def]
    """What decided an answer: the reports and routing rule, the answer or refusal rule (with what it
    means), and the whole answer policy."""
    from .refusal import RULES

    means = {r.name: r.means for r in RULES}
    rule = answer.rule or "-"
    name = rule.removeprefix("refused: ").split(" ", 1)[0]
    lines = [
        "\n— explain —",
        f"reports:   {', '.join(answer.reports) or '-'} (routing rule: {answer.route or '-'})",
        f"rule:      {rule}" + (f" — {means[name]}" if name in means else ""),
        "refusal rules, in order: " + " > ".join(r.name for r in RULES),
        "policy:",
        *(f"  {line}" for line in settings.policy.lines()),
    ]
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace, rest: Sequence[str]) -> int:
    from .evaluation import main as eval_main
    from .pipeline import build_assistant

    settings = _settings(args)
    return eval_main(
        list(rest), build=lambda: build_assistant(settings, progress=_progress()), settings=settings
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m assistant", description="规划报告问答助手")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="report file or folder (default: the bundled report)")
    common.add_argument("--index", type=Path, help="index directory (default: ./index)")
    common.add_argument("--embedder", help='"e5" (default), "st:<local model path>" or "fake"')
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", parents=[common], help="build or describe the index")
    p.add_argument("action", choices=["build", "info"])
    p = sub.add_parser("chunks", parents=[common], help="show chunks with their section paths")
    p.add_argument("--grep", default="", help="only chunks containing this text")
    p = sub.add_parser("ask", parents=[common], help="ask one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", help="answer from this report only (file name or short name)")
    p.add_argument(
        "--history",
        action="append",
        metavar="QUESTION",
        help="an earlier question of the conversation (repeat, oldest first)",
    )
    p.add_argument(
        "--explain", action="store_true", help="show the routing and answer rules and the tuned numbers"
    )
    sub.add_parser(
        "eval",
        parents=[common],
        help="run an eval set (see --eval-file, --out, --split, --html, --compare A B)",
    )
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "index":
            return cmd_index(args)
        if args.command == "chunks":
            return cmd_chunks(args)
        if args.command == "ask":
            return cmd_ask(args)
        return cmd_eval(args, rest)
    except (CorpusError, IndexUnavailableError, ValueError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
