"""Load benchmark of the real server: index build time, cold start, then concurrent clients.

    .venv/bin/python evals/bench.py             # levels 1, 8, 32, 64 clients, 20 s each (`make bench`)
    .venv/bin/python evals/bench.py --quick     # smoke run: fake embedder, 1 and 8 clients, 3 s each
    git worktree add ../old <commit>; .venv/bin/python evals/bench.py --vs ../old --no-query-cache
                                                # this code against another, in turn, in the same run

1. Builds the index into a temporary directory (timed; --starts times, median).
2. Starts `python app.py --port <free>` on 127.0.0.1 with that index and measures the cold start:
   process start -> /api/health answering -> first successful POST /api/ask -> the Gradio page.
3. For each level, N clients ask questions from evals/questions.jsonl back to back for a fixed time,
   through the JSON API (POST /api/ask) and through the Gradio queue (the HTTP queue API the Gradio
   clients use: POST /gradio_api/call/ask, then the SSE stream of that event), and reports
   throughput, p50/p95/p99 latency, errors and the server's peak RSS (psutil, sampled).

Writes evals/bench/results.json, results.md and latency.png (evals/bench/quick/ for --quick).
Loopback only; every loop is bounded in count and time; the server is always stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `assistant` importable

HOST = "127.0.0.1"
QUESTIONS = ROOT / "evals" / "questions.jsonl"
OUT = ROOT / "evals" / "bench"
LEVELS = (1, 8, 32, 64)
MAX_REQUESTS_PER_LEVEL = 100_000
SAMPLE_EVERY = 0.2  # seconds between RSS samples
GRADIO_API = "/gradio_api/call/ask"


# -- set-up ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def load_questions(path: Path) -> list[str]:
    """Standalone questions (no conversation history), so both paths get the same kind of request."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if not row.get("history"):
                out.append(row["question"])
    if not out:
        raise SystemExit(f"no questions in {path}")
    return out


def server_env(index_dir: Path, embedder: str, query_cache: bool = True, root: Path = ROOT) -> dict[str, str]:
    """The environment of the server: ours minus any ASSISTANT_* settings, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(root)  # the checkout whose code runs
    if not query_cache:
        env["ASSISTANT_QUERY_CACHE_SIZE"] = "0"
    env.update(
        ASSISTANT_INDEX_DIR=str(index_dir),
        ASSISTANT_EMBEDDER=embedder,
        ASSISTANT_API_RATE_PER_MINUTE="1000000",
        ASSISTANT_HOST=HOST,
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    return env


BUILD = """
import json, os, time
from assistant.pipeline import build_assistant
from assistant.settings import Settings

settings = Settings.from_env(os.environ)
t0 = time.perf_counter()
assistant = build_assistant(settings)
seconds = time.perf_counter() - t0
m = assistant.index.manifest
assistant.index.close()
print(json.dumps({"seconds": round(seconds, 2), "chunks": m.chunk_count, "embedder": m.embedder,
                  "concurrency_limit": settings.concurrency_limit, "max_queue": settings.max_queue}))
"""


def build_index(env: dict[str, str], timeout: float, root: Path = ROOT) -> dict[str, Any]:
    """Build the index exactly as the server's settings would (timed), in a child process so that
    the embedding model is not left loaded (and its threads running) in the process driving the load."""
    proc = subprocess.run(
        [sys.executable, "-c", BUILD],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"index build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Server:
    """`python app.py --port N` in its own process group; stop() ends that group only."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path, root: Path = ROOT) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, str(root / "app.py"), "--port", str(port), "--host", HOST],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        finally:
            self._log.close()


class RssSampler:
    """Samples the resident memory of a process and its children in a background thread."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.window_peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
            rss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return self.last
        self.last = rss
        self.peak = max(self.peak, rss)
        self.window_peak = max(self.window_peak, rss)
        return rss

    def cpu_seconds(self) -> float:
        try:
            t = self.proc.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    def reset_window(self) -> None:
        self.window_peak = self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


LOADING_MARK = "正在加载"  # the notice the page shows while the UI loads


def wait_for_first_answer(server: Server, question: str, timeout: float) -> dict[str, float]:
    """Seconds from process start to the first /api/health answer (any status), the first successful
    /api/ask, and the first page that is the Gradio UI (not the loading notice)."""
    deadline = time.perf_counter() + timeout
    health_at = answer_at = None
    with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as client:
        while time.perf_counter() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log_tail()}")
            try:
                if health_at is None and client.get("/api/health").status_code in (200, 503):
                    health_at = time.perf_counter()
                if answer_at is None:
                    r = client.post("/api/ask", json={"question": question})
                    if r.status_code == 200 and r.json().get("answer"):
                        answer_at = time.perf_counter()
                if answer_at is not None:
                    page = client.get("/")
                    if page.status_code == 200 and LOADING_MARK not in page.text and "gradio" in page.text:
                        done = time.perf_counter()
                        return {
                            "first_answer_seconds": round(answer_at - server.started, 2),
                            "health_seconds": round((health_at or answer_at) - server.started, 2),
                            "ui_seconds": round(done - server.started, 2),
                        }
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"no answer within {timeout:g}s:\n{server.log_tail()}")


# -- load ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    latency: float
    ok: bool
    error: str = ""


async def ask_api(client: httpx.AsyncClient, question: str) -> Outcome:
    t0 = time.perf_counter()
    try:
        r = await client.post("/api/ask", json={"question": question, "history": []})
        ok = r.status_code == 200 and "answer" in r.json()
        err = "" if ok else f"HTTP {r.status_code}"
    except (httpx.HTTPError, ValueError) as e:
        ok, err = False, type(e).__name__
    return Outcome(time.perf_counter() - t0, ok, err)


async def ask_gradio(client: httpx.AsyncClient, question: str) -> Outcome:
    """One question through the Gradio queue: join, then read the event stream to `complete`."""
    t0 = time.perf_counter()
    try:
        r = await client.post(GRADIO_API, json={"data": [question]})
        if r.status_code != 200:
            return Outcome(time.perf_counter() - t0, False, f"HTTP {r.status_code} (join)")
        event_id = r.json()["event_id"]
        event, data = "", ""
        async with client.stream("GET", f"{GRADIO_API}/{event_id}") as stream:
            if stream.status_code != 200:
                return Outcome(time.perf_counter() - t0, False, f"HTTP {stream.status_code} (stream)")
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                    if event in ("complete", "error"):
                        break
        if event != "complete":
            return Outcome(time.perf_counter() - t0, False, f"gradio {event or 'no result'}: {data[:60]}")
        messages = json.loads(data)[1]
        reply = json.dumps(messages[-1], ensure_ascii=False) if messages else ""
        ok = "qa-answer" in reply and "qa-error" not in reply
        return Outcome(time.perf_counter() - t0, ok, "" if ok else "error shown in chat")
    except (httpx.HTTPError, ValueError, KeyError, IndexError) as e:
        return Outcome(time.perf_counter() - t0, False, type(e).__name__)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


@dataclass
class LevelResult:
    path: str
    clients: int
    seconds: float
    requests: int
    ok: int
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    throughput_rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    peak_rss_mib: float = 0.0
    server_cpu_seconds: float = 0.0


async def drive(
    url: str, path: str, clients: int, seconds: float, questions: list[str], request_timeout: float
) -> tuple[list[Outcome], float]:
    """`clients` workers asking back to back until the time is up (in-flight requests finish)."""
    ask = ask_api if path == "api" else ask_gradio
    outcomes: list[Outcome] = []
    issued = 0
    limits = httpx.Limits(max_connections=2 * clients + 4, max_keepalive_connections=2 * clients + 4)
    timeout = httpx.Timeout(request_timeout, connect=10)
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def worker(i: int) -> None:
        nonlocal issued
        rng = random.Random(f"{path}-{clients}-{i}")
        while time.perf_counter() < deadline and issued < MAX_REQUESTS_PER_LEVEL:
            issued += 1
            try:
                outcome = await asyncio.wait_for(ask(client, rng.choice(questions)), request_timeout + 5)
            except TimeoutError:
                outcome = Outcome(request_timeout + 5, False, "timeout")
            outcomes.append(outcome)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, trust_env=False) as client:
        await asyncio.gather(*(worker(i) for i in range(clients)))
    return outcomes, time.perf_counter() - t0


def run_level(
    url: str,
    path: str,
    clients: int,
    seconds: float,
    questions: list[str],
    sampler: RssSampler,
    request_timeout: float,
) -> LevelResult:
    sampler.reset_window()
    cpu0 = sampler.cpu_seconds()
    outcomes, elapsed = asyncio.run(drive(url, path, clients, seconds, questions, request_timeout))
    sampler.sample()
    ok = sorted(o.latency for o in outcomes if o.ok)
    kinds: dict[str, int] = {}
    for o in outcomes:
        if not o.ok:
            kinds[o.error] = kinds.get(o.error, 0) + 1

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 1)

    return LevelResult(
        path=path,
        clients=clients,
        seconds=round(elapsed, 2),
        requests=len(outcomes),
        ok=len(ok),
        errors=len(outcomes) - len(ok),
        error_kinds=kinds,
        throughput_rps=round(len(ok) / elapsed, 2) if elapsed else 0.0,
        p50_ms=ms(percentile(ok, 50)),
        p95_ms=ms(percentile(ok, 95)),
        p99_ms=ms(percentile(ok, 99)),
        max_ms=ms(ok[-1] if ok else None),
        peak_rss_mib=round(sampler.window_peak / 2**20, 1),
        server_cpu_seconds=round(sampler.cpu_seconds() - cpu0, 1),
    )


# -- reports ---------------------------------------------------------------------------------------------


def fmt(v: object) -> str:
    return "–" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def median(xs: list[float]) -> float:
    ys = sorted(xs)
    n = len(ys)
    return ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2


def write_markdown(results: dict[str, Any], path: Path) -> None:
    codes = list(results["codes"])
    lines = [
        "# Load benchmark",
        "",
        f"- Run at {results['started_at']} on {results['machine']['cpus']} CPUs ({results['machine']['platform']}); "
        f"clients and server share the machine.",
        "- Code: "
        + "; ".join(f"**{c}** = `{results['codes'][c]}`" for c in codes)
        + (" (measured in turn in this one run)" if len(codes) > 1 else ""),
        f"- Extractive mode; query-vector cache {'off (every question embedded afresh)' if results['config']['no_query_cache'] else 'on'}.",
        "",
        "| Code | Index build (s) | Chunks | Chunks/s | Health up (s) | First `/api/ask` answer (s) | UI up (s) "
        "| RSS after start (MiB) | Peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in codes:
        b, cs = results["index_build"][c], results["cold_start"][c]
        lines.append(
            f"| {c} | {b['seconds']:g} | {b['chunks']} | {b['chunks_per_s']:g} | {cs['health_seconds']:g} "
            f"| {cs['first_answer_seconds']:g} | {cs['ui_seconds']:g} | {results['rss_after_start_mib'][c]:g} "
            f"| {results['peak_rss_mib'][c]:g} |"
        )
    lines += [
        "",
        f"Build and start figures are medians of {results['config']['starts']} runs each (in turn).",
        f"Each level: {results['config']['seconds']:g} s of clients asking back to back (in-flight requests then finish).",
        "",
        "| Code | Path | Clients | Requests | Errors | Throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) "
        "| Peak RSS (MiB) | Server CPU (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["levels"]:
        lines.append(
            f"| {r['code']} | {r['path']} | {r['clients']} | {r['requests']} | {r['errors']} | {fmt(r['throughput_rps'])} "
            f"| {fmt(r['p50_ms'])} | {fmt(r['p95_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['peak_rss_mib'])} "
            f"| {fmt(r['server_cpu_seconds'])} |"
        )
    if len(codes) == 2:
        a, b = codes
        lines += ["", f"Ratios {a} / {b} (same run):", ""]
        ba, bb = results["index_build"][a], results["index_build"][b]
        lines.append(f"- build throughput (chunks/s): {ba['chunks_per_s'] / bb['chunks_per_s']:.2f}×")
        ca, cb = results["cold_start"][a], results["cold_start"][b]
        lines.append(
            f"- start → first answer: {ca['first_answer_seconds']:g} s vs {cb['first_answer_seconds']:g} s; "
            f"UI: {ca['ui_seconds']:g} s vs {cb['ui_seconds']:g} s"
        )
        rows = {(r["code"], r["path"], r["clients"]): r for r in results["levels"]}
        for (code, path_name, n), r in rows.items():
            other = rows.get((b, path_name, n))
            if (
                code != a
                or not other
                or not other["throughput_rps"]
                or not r["p95_ms"]
                or not other["p95_ms"]
            ):
                continue
            lines.append(
                f"- {path_name} × {n}: throughput {r['throughput_rps'] / other['throughput_rps']:.2f}×, "
                f"p95 {r['p95_ms'] / other['p95_ms']:.2f}×"
            )
    errors = [r for r in results["levels"] if r["error_kinds"]]
    if errors:
        lines += ["", "Errors by kind:", ""]
        lines += [f"- {r['code']} {r['path']} × {r['clients']}: {r['error_kinds']}" for r in errors]
    lines += [
        "",
        "API = `POST /api/ask`; gradio = the Gradio queue (`POST /gradio_api/call/ask` + its event "
        "stream, the route the Gradio clients use). Throughput counts successful answers.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    styles = {"p50_ms": "-", "p95_ms": "--"}
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    series = sorted({(r["code"], r["path"]) for r in results["levels"]})
    for (code, path_name), color in zip(series, palette * 4, strict=False):
        rows = [r for r in results["levels"] if r["path"] == path_name and r["code"] == code]
        for key, style in styles.items():
            pts = [(r["clients"], r[key]) for r in rows if r[key] is not None]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, style, marker="o", color=color, label=f"{code} {path_name} {key[:3]}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({r["clients"] for r in results["levels"]}))
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_yscale("log")
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("latency (ms)")
    cache = "cache off" if results["config"]["no_query_cache"] else "cache on"
    ax.set_title(f"Latency vs clients ({cache}, {results['machine']['cpus']} CPUs)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- main ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: fake embedder, 1 and 8 clients, 3 s each")
    p.add_argument("--seconds", type=float, help="seconds per level (default 20; 3 with --quick)")
    p.add_argument("--levels", help="client counts, e.g. 1,8,32,64")
    p.add_argument(
        "--gradio-levels", help='client counts for the Gradio path (default: --levels; "none": skip)'
    )
    p.add_argument("--embedder", help='embedder for index and server (default "e5"; "fake" with --quick)')
    p.add_argument("--out", type=Path, help="output directory (default evals/bench, evals/bench/quick)")
    p.add_argument(
        "--no-query-cache",
        action="store_true",
        help="turn the server's query-vector cache off (every question embedded afresh)",
    )
    p.add_argument(
        "--vs",
        type=Path,
        help="another checkout (e.g. a `git worktree` of the starting commit) measured in turn in this run",
    )
    p.add_argument("--vs-label", default="before", help="its name in the tables (default: before)")
    p.add_argument("--starts", type=int, default=3, help="index builds and cold starts per checkout (median)")
    p.add_argument("--request-timeout", type=float, default=120.0, help="per-request timeout, seconds")
    p.add_argument("--start-timeout", type=float, default=300.0, help="cold-start timeout, seconds")
    return p.parse_args(argv)


def levels_of(text: str | None, default: tuple[int, ...]) -> list[int]:
    if not text:
        return list(default)
    if text.strip().lower() == "none":
        return []
    out = [int(x) for x in text.split(",") if x.strip()]
    if not out or any(n < 1 or n > 1024 for n in out):
        raise SystemExit(f"bad levels {text!r}: give client counts between 1 and 1024")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 20.0)
    if not 0 < seconds <= 3600:
        raise SystemExit("--seconds must be in (0, 3600]")
    levels = levels_of(args.levels, (1, 8) if args.quick else LEVELS)
    gradio_levels = levels_of(args.gradio_levels, tuple(levels))
    embedder = args.embedder or ("fake" if args.quick else "e5")
    out = args.out or (OUT / "quick" if args.quick else OUT)
    out.mkdir(parents=True, exist_ok=True)
    questions = load_questions(QUESTIONS)
    codes: dict[str, Path] = {"now": ROOT}
    if args.vs:
        if not (args.vs / "app.py").is_file():
            raise SystemExit(f"--vs {args.vs}: no app.py there")
        codes[args.vs_label] = args.vs.resolve()
    starts = max(1, args.starts)

    work = Path(tempfile.mkdtemp(prefix="assistant-bench-"))

    def env_for(c: str, i: int) -> dict[str, str]:
        """Run i of checkout c: a fresh index directory (no index, no embedding cache to reuse)."""
        return server_env(
            work / f"index-{c}-{i}", embedder, query_cache=not args.no_query_cache, root=codes[c]
        )

    envs = {c: env_for(c, starts - 1) for c in codes}  # the servers use the last build
    results: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        },
        "codes": {c: str(r) for c, r in codes.items()},
        "config": {
            "seconds": seconds,
            "levels": levels,
            "gradio_levels": gradio_levels,
            "embedder": embedder,
            "questions": len(questions),
            "request_timeout": args.request_timeout,
            "quick": args.quick,
            "no_query_cache": args.no_query_cache,
            "starts": starts,
        },
        "index_build": {},
        "cold_start": {},
        "rss_after_start_mib": {},
        "peak_rss_mib": {},
    }
    servers: dict[str, Server] = {}
    samplers: dict[str, RssSampler] = {}
    try:
        builds: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
        for i in range(starts):  # in turn, so that a slower moment of the machine hits both
            for c, root in codes.items():
                print(
                    f"[{c}] building the index ({embedder}), run {i + 1}/{starts} ...",
                    file=sys.stderr,
                    flush=True,
                )
                b = build_index(env_for(c, i), args.start_timeout * 4, root)
                builds[c].append(b)
                print(f"  {b['seconds']} s, {b['chunks']} chunks", file=sys.stderr, flush=True)
        for c, runs in builds.items():
            secs = median([r["seconds"] for r in runs])
            results["index_build"][c] = {
                **runs[-1],
                "seconds": round(secs, 2),
                "chunks_per_s": round(runs[-1]["chunks"] / secs, 2),
                "runs_seconds": [r["seconds"] for r in runs],
            }
        starts_seen: dict[str, list[dict[str, float]]] = {c: [] for c in codes}
        for i in range(starts):
            for c, root in codes.items():
                server = Server(free_port(), envs[c], work / f"server-{c}-{i}.log", root)
                try:
                    sampler = RssSampler(server.proc.pid).__enter__()
                    starts_seen[c].append(wait_for_first_answer(server, questions[0], args.start_timeout))
                    print(f"[{c}] cold start {starts_seen[c][-1]}", file=sys.stderr, flush=True)
                    if i == starts - 1:  # the last one stays up for the load
                        results["rss_after_start_mib"][c] = round(sampler.sample() / 2**20, 1)
                        servers[c], samplers[c] = server, sampler
                    else:
                        sampler.__exit__()
                        server.stop()
                except BaseException:
                    server.stop()
                    raise
        for c, seen in starts_seen.items():
            results["cold_start"][c] = {
                k: round(median([s[k] for s in seen]), 2)
                for k in ("health_seconds", "first_answer_seconds", "ui_seconds")
            } | {"runs": seen}
        rows = []
        for path_name, path_levels in (("api", levels), ("gradio", gradio_levels)):
            for n in path_levels:
                for c in codes:  # in turn, level by level
                    server, sampler = servers[c], samplers[c]
                    row = run_level(
                        server.url, path_name, n, seconds, questions, sampler, args.request_timeout
                    )
                    rows.append({"code": c, **asdict(row)})
                    print(
                        f"  [{c}] {path_name:6} {n:3} clients: {row.requests} requests, {row.errors} errors, "
                        f"{row.throughput_rps} req/s, p50 {row.p50_ms} ms, p95 {row.p95_ms} ms, "
                        f"p99 {row.p99_ms} ms, peak RSS {row.peak_rss_mib} MiB",
                        file=sys.stderr,
                        flush=True,
                    )
                    if server.proc.poll() is not None:
                        raise RuntimeError(f"server died during the run:\n{server.log_tail()}")
                    time.sleep(1.0)
        results["levels"] = rows
        for c, sampler in samplers.items():
            results["peak_rss_mib"][c] = round(sampler.peak / 2**20, 1)
    finally:
        for sampler in samplers.values():
            sampler.__exit__()
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    (out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    write_markdown(results, out / "results.md")
    write_plot(results, out / "latency.png")
    print(f"wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'latency.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
