"""Entry point: build (or load) the index, then serve the chat UI and the JSON API."""

from __future__ import annotations

import argparse
import os
import sys


def _progress(stage: str, done: int = 0, total: int = 0) -> None:
    """Print index-building progress to stderr."""
    print(f"{stage} {done}/{total}" if total else stage, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse flags, build the assistant and run the server."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    parser = argparse.ArgumentParser(description="规划报告问答助手")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--kiosk", action="store_true", default=None, help="public-terminal mode")
    parser.add_argument("--corpus", help="report file to answer from")
    parser.add_argument("--index", dest="index_dir", help="index directory")
    args = parser.parse_args(argv)

    import uvicorn

    from assistant.api import create_app
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings
    from assistant.types import CorpusError, IndexUnavailableError

    settings = Settings.from_env(os.environ).with_overrides(**vars(args))
    try:
        assistant = build_assistant(settings, progress=_progress)
    except (CorpusError, IndexUnavailableError, ValueError) as e:
        sys.exit(f"无法启动：{e}")
    app = create_app(assistant, settings)
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
