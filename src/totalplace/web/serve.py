"""Start the dashboard: refused on an open address while the workspace has no
users (see :func:`totalplace.web.access.refuse_open_bind`)."""

from __future__ import annotations

from pathlib import Path

from totalplace.web.access import refuse_open_bind
from totalplace.web.app import create_app


def serve(
    root: Path, host: str = "127.0.0.1", port: int = 8000, require_login: bool = False
) -> None:
    """Serve the workspace at ``root`` until the process is stopped (Ctrl-C)."""
    import uvicorn

    app = create_app(root, require_login)  # a folder that is no workspace is refused first
    refuse_open_bind(host, root)
    uvicorn.run(app, host=host, port=port, log_level="info")
