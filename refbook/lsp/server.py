"""`refbook lsp`: the language server's wiring (pygls).  Each handler finds the document
and the bibliography, calls a pure function of ``refbook.lsp.features`` and returns its
answer; errors are logged to the client, never fatal.

The bibliography of a document is the one it names (front matter ``bibliography:``,
``\\bibliography{…}``/``\\addbibresource{…}``, ``#bibliography("…")``), else the one every
refbook command finds from the workspace root (``--bib``, ``REFBOOK_BIB``, config,
``references.bib`` upward).  The .bib is re-read when it changes on disk (checked before
each request and once a second, when diagnostics are published again); the server never
writes it: renames and new entries are edits the editor applies.

(Over 500 lines on purpose: one small handler per LSP method, and the publishing of
diagnostics with what keeps it off the loop; each handler only finds the document and
calls ``features``, ``bibfile``, ``incremental`` or ``actions``.)
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..errors import RefbookError
from . import actions, bibfile, bibfindings, features, incremental
from . import documents as docs
from .features import Document
from .library import LibraryState, Snapshot

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
BIB_PAUSE_SECONDS = 0.3
# a request made before the library was ever read waits this long for it (not blocking
# the server), then is answered with what is known: nothing
FIRST_READING_WAIT_SECONDS = 5.0
# a .bib this long (characters) is linted by a child process, off the server's loop
LINT_APART_CHARS = 2 << 20
T = TypeVar("T")


class RefbookServer(LanguageServer):
    def __init__(
        self, bib: str | None = None, encoding: str | None = None, use_cache: bool = True
    ) -> None:
        super().__init__("refbook", __version__)
        self.bib_option = bib
        self.bib_encoding = encoding
        self.use_cache = use_cache
        self.states: dict[str, LibraryState] = {}
        self.root: str | None = None
        self.default_bib: str | None = None
        self.style = "apa"
        self.settings: dict[str, Any] = {}
        self.max_diagnostics = bibfile.MAX_DIAGNOSTICS  # a .bib's (0: no limit)
        self._pending: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._with_problems: set[str] = set()  # .bib files not open, problems published
        self._bib_busy: set[str] = set()  # large .bib files being linted
        # uri: (what tells its text from its others (``_text_ident``), its diagnostics,
        # each as the protocol's JSON text); not the text itself: a 74 MB copy kept per
        # .bib after every edit
        self._bib_done: dict[str, tuple[tuple[Any, ...], list[str]]] = {}
        # uri: its diagnostics last published, as JSON text by finding and line text
        # (``bibfile.chosen_texts``): an edit's mostly the same
        self._bib_memo: dict[str, dict[Any, str]] = {}
        # the client's end of standard output is gone (it said exit, or died): work still
        # running in threads stops quietly instead of logging a traceback per message
        self.closed = False

    # -- configuration ------------------------------------------------------------------

    def configure(self, root: str | None) -> None:
        """Settings and the default .bib as refbook's commands find them from ``root``."""
        from ..config import find_bib, load_config

        self.root = root
        cwd = Path(root) if root else Path.cwd()
        try:
            cfg = load_config(cwd)
            self.style = cfg["export.style"]
            self.settings = {name: cfg[name] for name in cfg.values}
            self.default_bib = str((cwd / find_bib(self.bib_option, cfg, cwd)).resolve())
        except RefbookError as exc:
            self.show(f"refbook: {exc}", lsp.MessageType.Warning)

    def configure_client(self, options: Any) -> None:
        """The editor's ``initializationOptions``: ``maxDiagnostics``, the most a .bib is
        given (0: every one)."""
        value = options.get("maxDiagnostics") if isinstance(options, dict) else None
        if value is None:
            return
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            self.max_diagnostics = value
        else:
            message = f"refbook: maxDiagnostics must be a whole number >= 0, not {value!r}"
            self.show(message, lsp.MessageType.Warning)

    @property
    def resolves_documentation(self) -> bool:
        """Whether the client resolves a completion item's documentation lazily (then
        the list carries none: most editors ask only for the item selected)."""
        caps = self.client_capabilities
        completion = caps.text_document.completion if caps.text_document else None
        item = completion.completion_item if completion else None
        support = item.resolve_support if item else None
        return bool(support and "documentation" in support.properties)

    def show(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.window_show_message(lsp.ShowMessageParams(kind, message))

    def log(self, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Log, message))

    # -- documents and bibliographies ---------------------------------------------------

    @property
    def position_encoding(self) -> str:
        """The position encoding negotiated with the client ("utf-16" unless it offered
        another that pygls chose)."""
        kind = self.workspace.position_encoding
        return str(getattr(kind, "value", kind) or "utf-16")

    def document(self, uri: str) -> Document:
        td = self.workspace.get_text_document(uri)
        language = docs.language_of(uri, td.language_id or "")
        return Document(uri, td.source, language, self.position_encoding)

    def open_documents(self) -> list[Document]:
        return [self.document(uri) for uri in list(self.workspace.text_documents)]

    def bib_for(self, doc: Document) -> str | None:
        if doc.language == docs.BIB:
            return str(Path(doc.path).resolve())
        named = docs.named_bibliographies(doc.text, doc.language, doc.path)
        return named[0] if named else self.default_bib

    def state(self, path: str) -> LibraryState:
        if path not in self.states:
            self.states[path] = LibraryState(
                path, self.bib_encoding, on_change=self.read_done, use_cache=self.use_cache
            )
        return self.states[path]

    def read_done(self) -> None:
        """A reading of a .bib finished (in its thread): everyone's diagnostics again,
        on the server's loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(guarded(self, self.publish_all, None))

    def snapshot(self, doc: Document) -> Snapshot | None:
        """The bibliography of ``doc`` as known now (None: not read yet)."""
        path = self.bib_for(doc)
        return self.state(path).current() if path else None

    def first_snapshot(self, doc: Document) -> Snapshot | None:
        """As ``snapshot``, waiting (in a worker thread) when the first reading is under
        way: for handlers that run off the loop."""
        path = self.bib_for(doc)
        if path is None:
            return None
        state = self.state(path)
        snap = state.current()
        return state.wait(FIRST_READING_WAIT_SECONDS) if snap is None else snap

    async def ready_snapshot(self, doc: Document) -> Snapshot | None:
        """As ``first_snapshot``, for handlers on the loop (others are served meanwhile)."""
        path = self.bib_for(doc)
        if path is None:
            return None
        state = self.state(path)
        snap = state.current()
        if snap is None and state.loading:
            loop = asyncio.get_running_loop()
            snap = await loop.run_in_executor(None, state.wait, FIRST_READING_WAIT_SECONDS)
        return snap

    def bib_text(self, path: str) -> str:
        """The .bib as the editor has it (its buffer when open), else as saved."""
        from ..encoding import read_text

        uri = docs.path_to_uri(path)
        if uri in self.workspace.text_documents:
            return self.workspace.get_text_document(uri).source
        return read_text(path, self.bib_encoding).text

    def workspace_documents(self) -> list[Document]:
        """Open documents, then the workspace's other manuscripts (each once)."""
        out = self.open_documents()
        seen = {d.uri for d in out}
        encoding = self.position_encoding
        for path in features.workspace_manuscripts(self.root):
            uri = docs.path_to_uri(path)
            if uri not in seen:
                doc = features.read_document(path, encoding)
                if doc is not None:
                    out.append(doc)
                    seen.add(uri)
        return out

    # -- diagnostics ----------------------------------------------------------------------

    def publish(self, uri: str) -> None:
        doc = self.document(uri)
        if doc.language == docs.BIB:
            state = self.state(str(Path(doc.path).resolve()))
            state.current()  # read again when the buffer changed
            if state.loading:
                return  # published when the reading is done
            reading = state.reading if state.read_buffer == doc.text else None
            if reading is not None or len(doc.text) >= LINT_APART_CHARS:
                self.publish_bib_apart(doc, state, reading)
                return
            linted = bibfile.lint_text(doc.text, doc.path)
            found = bibfile.chosen_diagnostics(
                doc.text,
                list(state.problems) if linted is None else [],
                [bibfindings.whole(linted or [])],
                self.max_diagnostics,
                doc.encoding,
            )
        else:
            snapshot = self.snapshot(doc)
            if snapshot is None:
                return  # published when the library is ready
            self.publish_json(uri, incremental.manuscript_diagnostics(doc, snapshot, True))
            return
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, found))

    def publish_bib_apart(self, doc: Document, state: LibraryState, reading: Any) -> None:
        """The .bib's diagnostics made off the loop, published when done (once per
        text): from the chunks of the edited buffer's ``reading`` when it has them (a
        large file's chunks from the cache take lint's findings of the file as saved,
        made once by a child process), else lint in a child process."""
        uri, text = doc.uri, doc.text
        ident = self._text_ident(uri, text)
        done = self._bib_done.get(uri)
        if done is not None and done[0] == ident:
            self.publish_texts(uri, done[1])
            return
        if uri in self._bib_busy:
            return  # that job publishes again (and starts another for this text)
        self._bib_busy.add(uri)
        problems, saved = list(state.problems), state.buffer_saved
        stamp, limit = state.stamp, self.max_diagnostics

        memo = self._bib_memo.setdefault(uri, {})  # (one job a .bib at a time: its own)

        def work() -> list[str]:
            # (as JSON text made here: converting 100,000s of diagnostics on the loop
            # would hold up every other document's, and text is what memory keeps best)
            if reading is not None:
                rules = bibfile.lint_rules(doc.path)
                taken = reading.saved_token is not None  # (its chunks have them)
                found = reading.lint_chunks(
                    rules, None if taken else self.saved_lint(state, reading)
                )
                if reading.saved_token is not None:
                    state.saved_lint = None  # (made again if a new reading needs them)
                if found is not None:
                    head, chunks = found
                    return bibfile.chosen_texts(
                        text,
                        head,
                        chunks,
                        limit,
                        memo,
                        doc.encoding,
                        reading.edited_line,
                        (reading.lines, reading.starts),
                    )
            linted = bibfile.lint_apart(text, doc.path, saved, self.bib_encoding, self.use_cache)
            if saved:  # what an edit of the buffer keeps of it (its chunks not edited)
                state.take_saved_lint(stamp, linted)
            return bibfile.chosen_texts(
                text, problems, [bibfindings.whole(linted)], limit, memo, doc.encoding
            )

        def finish(future: Any) -> None:
            self._bib_busy.discard(uri)
            if future.exception() is None:
                self._bib_done[uri] = (ident, future.result())
            if uri in self.workspace.text_documents:
                guarded(self, functools.partial(self.publish, uri), None)()

        asyncio.get_running_loop().run_in_executor(None, work).add_done_callback(
            lambda future: self._loop.call_soon_threadsafe(finish, future)  # type: ignore[union-attr]
        )

    def _text_ident(self, uri: str, text: str) -> tuple[Any, ...]:
        """What tells the open document's ``text`` from its others: its number among
        them (``textdocs.Edits``), else its hash (40 ms on the loop for a 74 MB .bib)."""
        td = self.workspace.get_text_document(uri)
        edits = getattr(td, "edits", None)
        if edits is not None and td.source is text:
            return (len(text), edits, edits.serial)
        return (len(text), hash(text))

    def saved_lint(self, state: LibraryState, reading: Any) -> Any:
        """lint's findings of the file as saved whose cache rows ``reading`` has (made
        now, by a child process, when not known: in a worker thread)."""
        if reading.library is None:
            return None
        known = state.saved_lint
        if known is None or known[0] != reading.saved_stamp:
            found = bibfile.lint_apart("", state.path, True, self.bib_encoding, self.use_cache)
            state.take_saved_lint(reading.saved_stamp, found)
            known = (reading.saved_stamp, found)
        return known[1]

    def publish_texts(self, uri: str, found: list[str]) -> None:
        """publishDiagnostics with diagnostics already as the protocol's JSON text (a
        large .bib's: 100,000s of them)."""
        writer = getattr(self.protocol, "writer", None)
        if writer is None:  # (another pygls): the ordinary way
            self.publish_json(uri, [json.loads(d) for d in found])
            return
        body = (
            '{"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": '
            f'{{"uri": {json.dumps(uri)}, "diagnostics": [{", ".join(found)}]}}}}'
        )
        data = body.encode("utf-8")
        header = f"Content-Length: {len(data)}\r\n\r\n".encode("ascii")
        try:
            writer.write(header + data)
        except (ValueError, OSError):  # standard output closed: the client has gone
            self.closed = True

    def publish_json(self, uri: str, found: list[dict[str, Any]]) -> None:
        """publishDiagnostics with diagnostics already in the protocol's JSON (made once
        per diagnostic: converting 2,000 of them again on each keystroke is most of the
        time an edit's diagnostics take)."""
        send = getattr(self.protocol, "_send_data", None)  # pygls's writer of a message
        if send is None:  # (another pygls): the ordinary way
            from .incremental import structured

            params = lsp.PublishDiagnosticsParams(uri, structured(found))
            self.text_document_publish_diagnostics(params)
            return
        params_json = {"uri": uri, "diagnostics": found}
        send(
            {
                "jsonrpc": "2.0",
                "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                "params": params_json,
            }
        )

    def publish_all(self) -> None:
        # manuscripts first: a large .bib's own diagnostics take longer
        open_uris = sorted(
            self.workspace.text_documents, key=lambda u: docs.language_of(u) == docs.BIB
        )
        for uri in open_uris:
            guarded(self, functools.partial(self.publish, uri), None)()
        for state in list(self.states.values()):  # a .bib that is not open: its problems
            uri = docs.path_to_uri(state.path)
            if uri not in open_uris and (state.problems or uri in self._with_problems):
                guarded(self, functools.partial(self.publish_problems, state), None)()

    def publish_problems(self, state: LibraryState) -> None:
        """What the latest reading of a .bib found wrong (an editor lists them even when
        the .bib is not open)."""
        from ..encoding import read_text

        text = ""
        try:
            if state.problems:  # (no need to read a large file to say nothing)
                text = read_text(state.path, state.encoding).text
        except (OSError, RefbookError):
            pass
        index = features.TextIndex(text, self.position_encoding)
        found = [features.finding_diagnostic(f, index) for f in state.problems]
        uri = docs.path_to_uri(state.path)
        if found:
            self._with_problems.add(uri)
        else:
            self._with_problems.discard(uri)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(docs.path_to_uri(state.path), found)
        )

    def text_changed(self, uri: str, pause: float) -> None:
        """A document opened or edited: its diagnostics again; for the .bib, everyone's
        (the manuscripts' unknown keys follow its buffer), after ``pause``."""
        doc = self.document(uri)
        if doc.language != docs.BIB:
            self.publish(uri)
            return
        edits = getattr(self.workspace.get_text_document(uri), "edits", None)
        mark = (edits.serial, edits) if edits is not None else None  # (textdocs.Edits)
        state = self.state(str(Path(doc.path).resolve()))
        state.set_buffer(doc.text, mark)
        if pause:  # (everyone's published when it is read: ``read_done``; until then
            # they are what they were, and publishing them again competes with it)
            self.later(pause, state.start_reading)
        else:
            self.publish_all()

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` once after ``seconds`` without another call of ``later`` (a pause in
        typing)."""
        if self._pending is not None:
            self._pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending = loop.call_later(seconds, guarded(self, fn, None))

    async def watch(self) -> None:
        """Pick up changes of the .bib on disk (another tool, a checkout, ``refbook add``)."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            for state in list(self.states.values()):
                if state.changed_on_disk():
                    state.start_reading()  # diagnostics follow when it is read


def guarded(server: RefbookServer, fn: Callable[[], T], default: T) -> Callable[[], T]:
    """``fn`` with every error logged to the client instead of ending the request badly;
    a ``RefbookError`` (a key that exists already…) is shown to the user."""

    @functools.wraps(fn)
    def run() -> T:
        if server.closed:  # nobody to answer: the client has gone
            return default
        try:
            return fn()
        except JsonRpcException:
            raise
        except RefbookError as exc:
            server.show(f"refbook: {exc}", lsp.MessageType.Error)
            return default
        except Exception as exc:  # a bug must not kill the editor's server
            log.exception("refbook lsp")
            server.log(f"refbook: internal error: {type(exc).__name__}: {exc}")
            return default

    return run


def create_server(
    bib: str | None = None, encoding: str | None = None, use_cache: bool = True
) -> RefbookServer:
    """The server with its handlers.  Long on purpose: one small handler per LSP method,
    each only finding the document and calling ``features``/``actions``."""
    server = RefbookServer(bib, encoding, use_cache)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: RefbookServer, params: lsp.InitializeParams) -> None:
        from .textdocs import splice_changes

        splice_changes(ls.workspace)  # (before any document is opened)
        ls.configure_client(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: RefbookServer, params: lsp.InitializedParams) -> None:
        root = ls.workspace.root_path
        ls._loop = asyncio.get_running_loop()
        ls.configure(root)
        asyncio.get_running_loop().create_task(ls.watch())

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RefbookServer, params: lsp.DidOpenTextDocumentParams) -> None:
        guarded(ls, lambda: ls.text_changed(params.text_document.uri, 0.0), None)()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RefbookServer, params: lsp.DidChangeTextDocumentParams) -> None:
        # an edited .bib is read again once typing pauses, not at every keystroke
        pause = BIB_PAUSE_SECONDS
        guarded(ls, lambda: ls.text_changed(params.text_document.uri, pause), None)()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RefbookServer, params: lsp.DidCloseTextDocumentParams) -> None:
        def run() -> None:
            uri = params.text_document.uri
            if docs.language_of(uri) == docs.BIB:
                ls.state(str(Path(docs.uri_to_path(uri)).resolve())).set_buffer(None)
                ls.publish_all()
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

        guarded(ls, run, None)()

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RefbookServer, params: lsp.DidSaveTextDocumentParams) -> None:
        guarded(ls, lambda: ls.publish(params.text_document.uri), None)()

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=["@", "{", ",", "<"], resolve_provider=True),
    )
    async def completion(
        ls: RefbookServer, params: lsp.CompletionParams
    ) -> lsp.CompletionList | None:
        doc = ls.document(params.text_document.uri)
        snap = await ls.ready_snapshot(doc)
        documented = not ls.resolves_documentation

        def run() -> lsp.CompletionList | None:
            return features.completion(doc, params.position, snap, documented)

        return guarded(ls, run, None)()

    @server.feature(lsp.COMPLETION_ITEM_RESOLVE)
    @server.thread()
    def resolve(ls: RefbookServer, item: lsp.CompletionItem) -> lsp.CompletionItem:
        def run() -> lsp.CompletionItem:
            snapshots = [s.snapshot for s in ls.states.values() if s.snapshot is not None]
            key = str((item.data or {}).get("key", "")) if isinstance(item.data, dict) else ""
            for snap in snapshots:
                if snap.has(key):
                    return features.resolve_completion(item, snap, ls.style)
            return item

        return guarded(ls, run, item)()

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @server.thread()
    def hover(ls: RefbookServer, params: lsp.HoverParams) -> lsp.Hover | None:
        def run() -> lsp.Hover | None:
            doc = ls.document(params.text_document.uri)
            return features.hover(doc, params.position, ls.first_snapshot(doc), ls.style)

        return guarded(ls, run, None)()

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: RefbookServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        doc = ls.document(params.text_document.uri)
        snap = await ls.ready_snapshot(doc)
        return guarded(ls, lambda: features.definition(doc, params.position, snap), None)()

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: RefbookServer, params: lsp.ReferenceParams
    ) -> list[lsp.Location] | None:
        doc = ls.document(params.text_document.uri)
        snap = await ls.ready_snapshot(doc)

        def run() -> list[lsp.Location] | None:
            found = features.key_at(doc, params.position)
            if found is None:
                return None
            return features.references(
                found[0],
                ls.workspace_documents(),
                snap,
                params.context.include_declaration,
            )

        return guarded(ls, run, None)()

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(
        ls: RefbookServer, params: lsp.PrepareRenameParams
    ) -> lsp.Range | None:
        doc = ls.document(params.text_document.uri)
        snap = await ls.ready_snapshot(doc)

        def run() -> lsp.Range | None:
            found = features.key_at(doc, params.position)
            if found is None or snap is None or not snap.has(found[0]):
                return None
            return found[1]

        return guarded(ls, run, None)()

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    def rename(ls: RefbookServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        def run() -> lsp.WorkspaceEdit | None:
            doc = ls.document(params.text_document.uri)
            found = features.key_at(doc, params.position)
            bib = ls.bib_for(doc)
            if found is None or bib is None:
                return None
            try:
                return features.rename_edit(
                    found[0], params.new_name, bib, ls.bib_text(bib), ls.workspace_documents()
                )
            except RefbookError as exc:  # the client shows it as the rename's failure
                raise JsonRpcException(str(exc).removeprefix("error: ")) from None

        return guarded(ls, run, None)()

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @server.thread()
    def symbols(ls: RefbookServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        def run() -> list[lsp.DocumentSymbol]:
            doc = ls.document(params.text_document.uri)
            if doc.language != docs.BIB:
                return []
            state = ls.state(str(Path(doc.path).resolve()))
            snap = state.current()
            if state.read_buffer != doc.text:  # read since: (a large .bib) parsed here
                return bibfile.bib_symbols(doc)
            if state.reading is not None:  # the edited buffer's chunks
                return bibfile.bib_symbols(doc, state.reading)
            if len(doc.text) >= LINT_APART_CHARS and snap and snap.cached and state.buffer_saved:
                return bibfile.cached_symbols(doc, snap)  # no parse of a large .bib
            return bibfile.bib_symbols(doc)

        nothing: list[lsp.DocumentSymbol] = []
        return guarded(ls, run, nothing)()

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.RefactorRewrite]
        ),
    )
    async def code_actions(ls: RefbookServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        doc = ls.document(params.text_document.uri)
        snap = await ls.ready_snapshot(doc) if doc.language != docs.BIB else None

        def run() -> list[lsp.CodeAction]:
            if doc.language == docs.BIB:
                return []
            out = actions.doi_actions(doc, params.range, snap)
            if snap is not None:
                out += actions.unknown_key_actions(doc, params.context.diagnostics, snap)
                out += actions.prose_actions(doc, params.range, snap)
            return out

        no_actions: list[lsp.CodeAction] = []
        return guarded(ls, run, no_actions)()

    @server.command(actions.ADD_DOI_COMMAND)
    @server.thread()
    def add_doi(ls: RefbookServer, *args: Any) -> dict[str, Any] | None:
        def run() -> dict[str, Any] | None:
            doi = str(args[0]) if args else ""
            bib = ls.default_bib if not args[1:] else str(args[1])
            if not doi or bib is None:
                return None
            edit, added = actions.add_doi_edit(
                doi, bib, ls.bib_text(bib), fetcher(ls.settings), ls.settings.get("key_pattern", "")
            )
            if added:
                ls.workspace_apply_edit(lsp.ApplyWorkspaceEditParams(edit, label=f"Add {doi}"))
            else:
                ls.show(f"refbook: DOI {doi}: an entry has it already", lsp.MessageType.Info)
            return {"added": added}

        return guarded(ls, run, None)()

    return server


def fetcher(settings: dict[str, Any]) -> Callable[[str], Any]:
    """DOI -> Draft, fetched as ``refbook add --doi`` fetches (the guarded transport, the
    configured resolver, the private-address setting)."""

    def fetch(doi: str) -> Any:
        from ..importers import fetch_doi
        from ..links.transport import user_agent

        return fetch_doi(
            doi,
            settings.get("check.doi_resolver", "https://doi.org"),
            allow_private=bool(settings.get("add.allow_private")),
            user_agent=user_agent(settings.get("check.mailto", "")),
        )

    return fetch


def serve(bib: str | None = None, encoding: str | None = None, use_cache: bool = True) -> None:
    """Speak LSP on standard input and output until the client says exit."""
    import sys

    stdin, stdout = getattr(sys.stdin, "buffer", None), getattr(sys.stdout, "buffer", None)
    if stdin is None or stdout is None:  # not a process's own streams (an embedding)
        from ..errors import UsageError

        raise UsageError("error: refbook lsp speaks over standard input and output (bytes)")
    from .stdio import start_io

    start_io(create_server(bib, encoding, use_cache), stdin, stdout)
