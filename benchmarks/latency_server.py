"""HTTP/1.1 servers that answer every request after a fixed latency.

    python benchmarks/latency_server.py HOSTS LATENCY_SECONDS [ADDRESS...]

One server per address given (a port chosen by the system each), or ``HOSTS`` servers on
127.0.0.1 (distinct ports) when no address is given; prints ``address:port`` of each, one
line.  Linux answers on every 127.x.y.z address, so 127.0.0.2 … 127.0.0.51 are 50 hosts
to a client that paces requests per host name or address (lychee does), as 50 real sites
would be.

Used by bench_check.py, which starts it as a process of its own: in the driver's
process its work shared one interpreter lock with the driver, and with a thread per
connection (``ThreadingHTTPServer``) 64 answers due at the same moment were written one
after another, which added ~10 ms per round of requests to every client measured.  One
asyncio loop waits on thousands of requests at once.  Keep-alive as real servers do
(``Connection: close`` honoured); HEAD gets the headers GET would get.
"""

from __future__ import annotations

import asyncio
import sys


async def answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(latency)
            close = b"\r\nconnection: close" in head.lower()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                + (b"Connection: close\r\n" if close else b"")
                + b"\r\n"
                + (b"" if head.startswith(b"HEAD ") else b"ok")
            )
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(hosts: int, latency: float, addresses: list[str]) -> None:
    servers = [
        await asyncio.start_server(lambda r, w: answer(r, w, latency), address, 0, backlog=1024)
        for address in addresses or ["127.0.0.1"] * hosts
    ]
    print(" ".join("{}:{}".format(*s.sockets[0].getsockname()[:2]) for s in servers), flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]))
