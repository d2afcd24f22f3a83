"""Prompt templates kept as Markdown files under prompts/: a `## system` and a `## user` section."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant.settings import PROMPTS_DIR

# The variables each known prompt must use, no more and no fewer.
EXPECTED_VARIABLES: dict[str, frozenset[str]] = {
    "answer": frozenset({"passages", "question", "report", "years"}),
    "condense": frozenset({"history", "question"}),
}
_HEADING_RE = re.compile(r"^##[ \t]+(\w+)[ \t]*$", re.MULTILINE)
_ROLES = {"system": "system", "user": "human"}


def _sections(text: str, path: Path) -> dict[str, str]:
    """Split the file into its `## name` sections (text before the first heading is a comment)."""
    headings = list(_HEADING_RE.finditer(text))
    sections: dict[str, str] = {}
    for i, m in enumerate(headings):
        name = m.group(1).lower()
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        if name in sections:
            raise ValueError(f"prompt file {path}: section '## {name}' appears twice")
        sections[name] = text[m.end() : end].strip()
    missing = [name for name in _ROLES if not sections.get(name)]
    if missing:
        raise ValueError(
            f"prompt file {path}: missing or empty section(s) {', '.join('## ' + n for n in missing)}"
        )
    unknown = sorted(set(sections) - set(_ROLES))
    if unknown:
        raise ValueError(f"prompt file {path}: unknown section(s) {', '.join(unknown)}")
    return sections


def load_prompt(
    name: str, prompts_dir: Path | str = PROMPTS_DIR, expected: frozenset[str] | set[str] | None = None
) -> ChatPromptTemplate:
    """Read prompts/<name>.md into a chat prompt; raise ValueError naming the file if it is unusable."""
    path = Path(prompts_dir) / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"prompt file {path} cannot be read: {exc.__class__.__name__}: {exc}") from exc
    sections = _sections(text, path)
    try:
        template = ChatPromptTemplate.from_messages(
            [(role, sections[section]) for section, role in _ROLES.items()], template_format="f-string"
        )
    except (ValueError, KeyError) as exc:
        raise ValueError(
            f"prompt file {path}: bad template ({exc}); write literal braces as {{{{ }}}}"
        ) from exc
    wanted = expected if expected is not None else EXPECTED_VARIABLES.get(name)
    found = set(template.input_variables)
    if wanted is not None and found != set(wanted):
        raise ValueError(
            f"prompt file {path}: variables {sorted(found)} do not match the expected {sorted(wanted)}"
        )
    return template


def render(name: str, prompts_dir: Path | str = PROMPTS_DIR, **variables: str) -> list[BaseMessage]:
    """The messages prompt `name` produces for the given variables."""
    return load_prompt(name, prompts_dir).format_messages(**variables)
