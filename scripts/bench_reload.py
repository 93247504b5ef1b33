"""Reload delay: how long after `policykb ingest` (another process) returns a running server finds the file.

    .venv/bin/python scripts/bench_reload.py KB_DIR [--repeat 5] [--workers 1]

Starts `policykb serve` on KB_DIR, then repeatedly ingests a small new text file with the CLI
and polls the server's search for a term only that file holds, and removes it again. Prints
the delay from the end of the CLI command to the first search that finds the file (this
includes the server's reload_interval, 1 s by default), per repetition and the median.
The base gets the files and loses them again; use a copy of a base you care about.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
POLICYKB = [sys.executable, "-m", "api.cli"]


def _found(url: str, term: str) -> bool:
    response = httpx.get(f"{url}/api/v1/kbs/default/search", params={"q": term, "mode": "bm25", "k": 1}, timeout=30)
    return any(term in hit["text"] for hit in response.json()["hits"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kb", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "POLICYKB_EMBEDDING_BACKEND": os.environ.get("POLICYKB_EMBEDDING_BACKEND", "onnx")}
    server = subprocess.Popen([*POLICYKB, "--kb", str(args.kb), "serve", "--port", str(args.port),
                               "--workers", str(args.workers)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        delays, ingests = [], []
        with tempfile.TemporaryDirectory() as folder:
            for number in range(args.repeat):
                term = f"重载测量词{number}号"
                path = Path(folder) / f"reload-{number}.txt"
                path.write_text(f"重载测量\n\n第一条 {term}只出现在这份文件里。\n", encoding="utf-8")
                started = time.monotonic()
                subprocess.run([*POLICYKB, "--kb", str(args.kb), "ingest", str(path)], cwd=REPO, env=env,
                               check=True, capture_output=True)
                committed = time.monotonic()
                while not _found(url, term):
                    if time.monotonic() - committed > 60:
                        raise SystemExit("the server did not find the new file within 60 s")
                    time.sleep(0.02)
                delays.append(time.monotonic() - committed)
                ingests.append(committed - started)
                subprocess.run([*POLICYKB, "--kb", str(args.kb), "remove", str(path.resolve())], cwd=REPO, env=env,
                               check=True, capture_output=True)
                print(f"run {number + 1}: CLI ingest {ingests[-1]:.1f} s, found by the server "
                      f"{delays[-1]:.2f} s after it returned")
        print(f"median delay {statistics.median(delays):.2f} s (max {max(delays):.2f} s) over {len(delays)} runs, "
              f"{args.workers} worker(s)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
