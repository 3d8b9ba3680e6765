"""Start the dashboard: refused on an open address while the workspace has no
users (see :func:`totalplace.web.access.refuse_open_bind`), and on an address
and port something else already listens on."""

from __future__ import annotations

import socket
from pathlib import Path

from totalplace.errors import ConfigError
from totalplace.web.access import refuse_open_bind
from totalplace.web.app import create_app


def check_port(host: str, port: int) -> None:
    """Refuse, with the option that fixes it, a port that cannot be listened
    on (another server has it, or it is privileged), before any work is done:
    uvicorn would otherwise fail only after start-up, with a bare log line."""
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: give a port from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"--host {host}: not an address this machine has ({exc})") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as uvicorn binds: a port left in TIME_WAIT by a stopped server is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): another server may "
                "be using it; give another port with --port"
            ) from exc


def serve(
    root: Path, host: str = "127.0.0.1", port: int = 8000, require_login: bool = False
) -> None:
    """Serve the workspace at ``root`` until the process is stopped (Ctrl-C)."""
    import uvicorn

    app = create_app(root, require_login)  # a folder that is no workspace is refused first
    refuse_open_bind(host, root)
    check_port(host, port)
    uvicorn.run(app, host=host, port=port, log_level="info")
