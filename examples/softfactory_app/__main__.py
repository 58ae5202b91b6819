"""`python -m examples.softfactory_app [--port 8000] [--spec specs/specs.yaml] [--catalog NAME ...] [--access-log FILE|-] [--admin-token-file FILE]`

Without --catalog: the SoftFactory API. With --catalog: a stand-in exporter serving those
catalogs at /metrics/<catalog>. Listens on 127.0.0.1 unless --host says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.softfactory_app", description=__doc__.splitlines()[2])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--spec", default=None, help="spec whose catalogs name the metrics (default: specs/specs.yaml)")
    parser.add_argument("--catalog", action="append", default=[], help="serve this catalog as a stand-in exporter")
    parser.add_argument("--access-log", default=None, help="write the JSON access log here ('-': stdout)")
    parser.add_argument("--admin-token-file", default=None, help="file holding the bearer token of /api/admin/metrics")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    from examples.softfactory_app.catalog import DEFAULT_SPEC

    spec = args.spec or DEFAULT_SPEC
    if args.catalog:
        from examples.softfactory_app.exporter import create_exporter

        app = create_exporter(args.catalog, spec)
    else:
        from examples.softfactory_app.app import create_app

        from pathlib import Path

        stream = None if args.access_log is None else sys.stdout if args.access_log == "-" else open(args.access_log, "a", encoding="utf-8")
        app = create_app(spec, stream, Path(args.admin_token_file) if args.admin_token_file else None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server(args.host, args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
