"""Count what the rule modules spell out themselves: compiled patterns, inline patterns, module
constants and bare float literals inside functions (issue #12's "fewer patterns and constants").

usage: python evals/rule_counts.py [checkout ...]   (default: this checkout)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULES = (
    "answering",
    "refusal",
    "query",
    "comparison",
    "followup",
    "pointing",
    "sentences",
)  # the last two: moved out of answering
RE_CALLS = {"search", "sub", "findall", "finditer", "split", "match", "fullmatch", "subn"}


def counts(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {"re.compile": 0, "inline re": 0, "constants": 0, "floats in functions": 0}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "re":
                if node.func.attr == "compile":
                    out["re.compile"] += 1
                elif (
                    node.func.attr in RE_CALLS
                    and node.args
                    and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
                ):
                    out["inline re"] += 1
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        out["constants"] += sum(isinstance(t, ast.Name) and t.id.isupper() for t in targets)
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, float)
                    and node.value not in (0.0, 1.0)
                ):
                    out["floats in functions"] += 1
    return out


def main() -> None:
    roots = [Path(a) for a in sys.argv[1:]] or [Path(__file__).resolve().parents[1]]
    for root in roots:
        total: dict[str, int] = {}
        print(f"\n{root}")
        print(f"{'module':12} {'re.compile':>10} {'inline re':>10} {'constants':>10} {'floats in fns':>14}")
        for m in MODULES:
            path = root / "assistant" / f"{m}.py"
            if not path.exists():
                continue
            c = counts(path)
            for k, v in c.items():
                total[k] = total.get(k, 0) + v
            print(
                f"{m:12} {c['re.compile']:10} {c['inline re']:10} {c['constants']:10} {c['floats in functions']:14}"
            )
        print(
            f"{'total':12} {total['re.compile']:10} {total['inline re']:10} {total['constants']:10} {total['floats in functions']:14}"
        )


if __name__ == "__main__":
    main()
