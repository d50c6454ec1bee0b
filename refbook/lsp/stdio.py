"""The editor's messages read from standard input: pygls's own loop (``pygls.io_.run_async``,
``JsonRPCServer._start_io_async``), but a message's text let go as soon as it is parsed.

pygls parses a message's bytes (``json.loads`` decodes them to a text first) and keeps the
bytes until the next message arrives.  A 100,000-entry .bib opened in the editor is one
76 MB message: its bytes, their text and the parsed document were alive at once (+220
MB), and the bytes stayed while the .bib was linted and its first diagnostics made (a
minute and more).  Here the bytes are decoded (as ``json.loads`` decodes them) and let go
before the parse (read into a buffer of the message's size that nothing else holds), and
the text after it: the document's own text is what stays.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)
_CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


def start_io(server: JsonRPCServer, stdin: Any, stdout: BinaryIO) -> None:
    """Serve over ``stdin``/``stdout`` until the client says exit (as ``start_io``)."""
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(read_messages(stop, stdin, server))
    except BrokenPipeError:
        log.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


async def read_messages(stop: threading.Event, stdin: Any, server: JsonRPCServer) -> None:
    """Each message from ``stdin`` (``Content-Length`` framing) handed to the protocol;
    an error in one is logged and reported, as pygls does."""
    loop = asyncio.get_running_loop()
    protocol, pool = server.protocol, server.thread_pool
    length = 0
    while not stop.is_set():
        header = await loop.run_in_executor(pool, stdin.readline)
        if not header:
            break
        if not length:
            match = _CONTENT_LENGTH.fullmatch(header)
            if match:
                length = int(match.group(1))
        if length and not header.strip():
            # (into a buffer of our own: a future's result lives until the loop's next turn)
            data: Any = bytearray(length)
            got = await loop.run_in_executor(pool, stdin.readinto, data)
            if not got:
                break
            del data[got:]  # (the input ended within the message: as pygls, a short body)
            body: Any = None
            message: Any = None
            try:
                body = data.decode(json.detect_encoding(data), "surrogatepass")
                data = None  # (the bytes let go before the parse)
                message = json.loads(body, object_hook=protocol.structure_message)
                body = None
                protocol.handle_message(message)
            except Exception as exc:
                log.exception("Unable to handle message")
                server.report_server_error(exc, JsonRpcException)
            finally:
                length = 0
                data = body = message = None
