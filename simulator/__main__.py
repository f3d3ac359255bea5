"""``python -m simulator --host 127.0.0.1 --port 5055 [--data-file F]``."""

from __future__ import annotations

import argparse
import sys

from simulator.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Tenfour loopback platform simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055, help="0 picks a free port (printed at start)")
    parser.add_argument("--data-file", default=None, help="JSON file that keeps the feed across restarts")
    args = parser.parse_args(argv)
    serve(args.host, args.port, data_file=args.data_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
