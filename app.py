"""Entry point: serve the JSON API at once, open (or build) the index, then add the chat UI."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _progress(stage: str, done: int = 0, total: int = 0) -> None:
    """Print index-building progress to stderr."""
    print(f"{stage} {done}/{total}" if total else stage, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse flags, start the server, and load the assistant and the UI behind it."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    parser = argparse.ArgumentParser(description="规划报告问答助手")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--kiosk", action="store_true", default=None, help="public-terminal mode")
    parser.add_argument("--corpus", help="report file to answer from")
    parser.add_argument("--index", dest="index_dir", help="index directory")
    args = parser.parse_args(argv)

    import uvicorn

    from assistant.api import starting_app
    from assistant.settings import Settings
    from assistant.types import CorpusError, IndexUnavailableError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(os.environ).with_overrides(**vars(args))
    server: uvicorn.Server | None = None

    def load():  # type: ignore[no-untyped-def]
        from assistant.pipeline import build_assistant

        # the Chroma store is checked once the server answers (after_start below), not before
        return build_assistant(settings, progress=_progress, check_store=False)

    def after_start(service) -> None:  # type: ignore[no-untyped-def]
        """Check the vector store behind the open index (if it is damaged, rebuild and swap in), then read
        what a first question of some kind would otherwise wait for (the English dictionary)."""
        from assistant.glossary import dictionary
        from assistant.pipeline import build_assistant

        try:
            service.assistant.index.check_store()
        except IndexUnavailableError as e:
            logging.getLogger("app").warning("the vector store is damaged (%s); rebuilding the index", e)
            service.assistant = build_assistant(settings, progress=_progress)
        dictionary()

    def failed(e: BaseException) -> None:
        if not isinstance(e, CorpusError | IndexUnavailableError | ValueError):
            logging.getLogger("app").error("start-up failed", exc_info=e)
        print(f"无法启动：{e}", file=sys.stderr, flush=True)
        if server is not None:
            server.should_exit = True

    app = starting_app(settings, load, on_error=failed, after=after_start)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port))
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
    server.run()
    if app.service.error is not None:
        sys.exit(1)


if __name__ == "__main__":
    main()
