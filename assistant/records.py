"""The JSON form of an Answer, shared by the API, `ask --json` and the eval runner's out file."""

from __future__ import annotations

from typing import Any

from .types import Answer


def answer_record(answer: Answer, retrieved: bool = True) -> dict[str, Any]:
    """Answer text, citations (with the quoted part), refusal, mode and, optionally, what was retrieved."""
    record: dict[str, Any] = {
        "question": answer.question,
        "standalone_question": answer.standalone_question,
        "answer": answer.text,
        "refused": bool(answer.refused),
        "mode": answer.mode,
        "notice": answer.notice,
        "citations": [
            {
                "n": c.n,
                "chunk_id": c.chunk_id,
                "section": c.section,
                "text": c.text,
                "quote": c.text[c.span[0] : c.span[1]],
                "report": c.report,
                "report_name": c.report_name,
            }
            for c in answer.citations
        ],
        "suggestions": list(answer.suggestions),
        "reports": list(answer.reports),
        "route": answer.route,
        "rule": answer.rule,
        "latency_ms": round(float(answer.timings.get("total_ms", 0.0)), 1),
    }
    if retrieved:
        record["retrieved"] = [
            {
                "chunk_id": p.chunk.id,
                "section": p.chunk.section,
                "text": p.chunk.text,
                "score": round(float(p.score), 4),
                "report": p.chunk.source,
            }
            for p in answer.passages
        ]
    return record
