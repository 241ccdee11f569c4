"""Search for the agent's search box: a ticket number, a customer's name or identity, or words in
the tickets' text through the database's own full-text engine (FTS5 on SQLite, tsvector on
PostgreSQL), stemmed per language so that "faturas" finds "fatura" and "nao" finds "não".

Text reaches the index through a queue: the services write a PendingIndex row beside the text, in
the same transaction, and the indexer (index_pending, run by a task soon after the commit and by
the scheduler every few seconds) adds it to the index in batches. Taking a message never waits for
the index, whose merges take seconds on a full desk, and a crash before indexing loses nothing."""

import functools
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import NotSupportedError, connection, transaction
from django.db.models import Expression, F, FloatField, IntegerField, Lookup, QuerySet
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.polish_stemmer import PolishStemmer
from snowballstemmer.portuguese_stemmer import PortugueseStemmer
from snowballstemmer.romanian_stemmer import RomanianStemmer
from snowballstemmer.spanish_stemmer import SpanishStemmer

from attenda.agents.models import Agent
from attenda.core.tasks import BatchTask, checkpoint, give_way, writers_quiet_for
from attenda.customers.identities import guess_kind
from attenda.customers.models import Customer
from attenda.customers.queries import find_customers
from attenda.tickets.models import (
    EntryKind,
    PendingIndex,
    SearchDocument,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.permissions import visible_tickets
from attenda.tickets.turns import write_in_turns

logger = logging.getLogger(__name__)

# What people wrote about the matter. Status changes, assignments and system events carry our own
# boilerplate, which would make every ticket match words like "merged".
INDEXED_ENTRY_KINDS = frozenset(
    {
        EntryKind.MESSAGE,
        EntryKind.REPLY,
        EntryKind.NOTE,
        EntryKind.CALL,
        EntryKind.VISIT,
        EntryKind.TRANSFER,
    }
)
# A long mail's matter is at its start; the rest is mostly quoted history and signatures, and
# PostgreSQL refuses a ticket's tsvector past 1 MB.
INDEXED_TEXT_LIMIT = 30_000
QUERY_WORD_LIMIT = 10
# Relevance is weighed among this many newest matches, so a word on half the tickets costs what a
# rare one does; older tickets come on the next pages, or first when the search names them more
# precisely. Scoring a match costs about 30 µs, so this is most of a common word's time.
RANKED_WINDOW = 200
# The newest matches are looked for among this many newest tickets first, then eight times as many,
# and so on: the index then reads only that stretch of a common word's entries, instead of all of
# them, while a rare word takes a few reads of its short list.
FIRST_SPAN = 20_000
SPAN_GROWTH = 8
WORD_LENGTH_LIMIT = 100

# Snowball's algorithms (PostgreSQL compiles in the same ones), by the language code of tickets. The
# pure-Python classes, not snowballstemmer.stemmer(), which switches to PyStemmer when that happens to
# be installed: an index and its queries must be stemmed by the same version.
SNOWBALL = {
    "pt": PortugueseStemmer,
    "es": SpanishStemmer,
    "ro": RomanianStemmer,
    "en": EnglishStemmer,
    "pl": PolishStemmer,
}
# Text search configurations made by migration 0002_ticket_search: each unaccents then stems, and the
# "accented" twin stems the word as written, because Snowball's rules expect the accents
# ("faturação" → "fatur") while words typed without them only meet the unaccented form. PostgreSQL has
# no Polish stemmer, so Polish is stemmed here and indexed through the plain configuration.
POSTGRES_CONFIGS = {
    "pt": ("attenda_pt", "attenda_pt_accented"),
    "es": ("attenda_es", "attenda_es_accented"),
    "ro": ("attenda_ro", "attenda_ro_accented"),
    "en": ("attenda_en", "attenda_en_accented"),
}
POSTGRES_PLAIN = "attenda_simple"
# A ticket's tsvector grows with each entry; past this (compressed) size positions and weights are
# dropped, which keeps every lexeme findable while staying far below PostgreSQL's 1 MB limit.
POSTGRES_DOCUMENT_BUDGET = 128 * 1024

_WORD = re.compile(r"[^\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent, as PostgreSQL's unaccent
# rules fold them.
_UNDECOMPOSABLE = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ð": "d", "þ": "th"}
)
_stemmers = threading.local()


@dataclass(frozen=True)
class SearchResults:
    tickets: list[Ticket]
    customers: list[Customer]
    # Where the next page of tickets matching the words starts; None on the last page.
    next_cursor: str | None = None


class InvalidSearchCursor(ValueError):
    """A page link that was not made by find()."""


def _words(text: str) -> list[str]:
    words = _WORD.findall(unicodedata.normalize("NFC", text).lower())
    return [word for word in words if len(word) <= WORD_LENGTH_LIMIT]


def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSABLE))
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def _language(code: str) -> str:
    """Regional variants stem as their language (pt-BR as pt); an unknown language is not stemmed."""
    return re.split(r"[-_]", code.lower(), maxsplit=1)[0] if code else ""


@functools.lru_cache(maxsize=50_000)
def _stems(language: str, word: str) -> tuple[str, ...]:
    """The word's stems as written and unaccented (see POSTGRES_CONFIGS for why both)."""
    # Snowball stemmers keep state while they work, so each thread has its own.
    stemmer = getattr(_stemmers, language, None)
    if stemmer is None:
        stemmer = SNOWBALL[language]()
        setattr(_stemmers, language, stemmer)
    return tuple(dict.fromkeys((stemmer.stemWord(word), stemmer.stemWord(_unaccented(word)))))


def _terms(text: str, language: str) -> str:
    """The text as the stems it is indexed by, for SQLite (and Polish on PostgreSQL)."""
    words = _words(text[:INDEXED_TEXT_LIMIT])
    if language in SNOWBALL:
        return " ".join(stem for word in words for stem in _stems(language, word))
    return " ".join(_unaccented(word) for word in words)


@dataclass(frozen=True)
class _Query:
    """The words of a search. The agent does not know the customer's language, so each word is
    stemmed in every language and a ticket matches when it has every word in some form."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "_Query":
        words = list(dict.fromkeys(_words(text)))
        # Single letters are articles and conjunctions ("a", "e", "o", "y", "i", "w") that nearly
        # every ticket has; they only narrow a search when nothing else was typed.
        longer = [word for word in words if len(word) > 1]
        return cls(words=tuple((longer or words)[:QUERY_WORD_LIMIT]))

    def fts5(self) -> str:
        """An FTS5 query made only of quoted terms, so nothing the agent types is read as syntax."""
        return " AND ".join(
            "(" + " OR ".join(_fts5_string(form) for form in self._forms(word)) + ")"
            for word in self.words
        )

    def _forms(self, word: str) -> list[str]:
        forms = {_unaccented(word): None}
        for language in SNOWBALL:
            forms.update(dict.fromkeys(_stems(language, word)))
        return list(forms)

    def tsquery(self) -> tuple[str, list[str]]:
        """A tsquery expression whose every configuration and word is a parameter. Each word's forms
        are merged into one vector first: a form repeated by several languages would otherwise
        count again in the planner's estimate of how many tickets match, and make it scan the
        table for a rare word."""
        clauses, params = [], []
        for word in self.words:
            alternatives = [(POSTGRES_PLAIN, word)]
            for configs in POSTGRES_CONFIGS.values():
                alternatives.extend((config, word) for config in configs)
            for language in SNOWBALL.keys() - POSTGRES_CONFIGS.keys():
                alternatives.extend((POSTGRES_PLAIN, stem) for stem in _stems(language, word))
            vectors = " || ".join(["to_tsvector(%s::regconfig, %s)"] * len(alternatives))
            # Lexemes of words made of letters and digits only, so bare tsquery operands.
            clauses.append(f"array_to_string(tsvector_to_array({vectors}), ' | ')::tsquery")
            params.extend(value for alternative in alternatives for value in alternative)
        return " && ".join(f"({clause})" for clause in clauses), params


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class _Matches(Lookup):
    """search_document__document__matches=_Query: the index-backed full-text condition."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Text search needs SQLite (FTS5) or PostgreSQL.")

    def as_sqlite(self, compiler, connection):
        # FTS5 matches a whole table (all its indexed columns), named by its alias in the query.
        return f"{compiler.quote_name_unless_alias(self.lhs.alias)} MATCH %s", [self.rhs.fts5()]

    def as_postgresql(self, compiler, connection):
        document, params = compiler.compile(self.lhs)
        query, query_params = self.rhs.tsquery()
        return f"{document} @@ ({query})", [*params, *query_params]


SearchDocument._meta.get_field("document").register_lookup(_Matches)


class _OnSearchDocument(Expression):
    """An expression over the ticket's search document (which it joins), in each engine's own SQL."""

    def __init__(self):
        super().__init__()
        self.document = F("search_document__document")

    def get_source_expressions(self):
        return [self.document]

    def set_source_expressions(self, exprs):
        (self.document,) = exprs

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Text search needs SQLite (FTS5) or PostgreSQL.")

    def table(self, compiler) -> str:
        return compiler.quote_name_unless_alias(self.document.alias)


class _Relevance(_OnSearchDocument):
    """How well a matched ticket fits the words, higher is better; the subject weighs most."""

    output_field = FloatField()

    def __init__(self, query: _Query):
        super().__init__()
        self.query = query

    def as_sqlite(self, compiler, connection):
        # bm25() is lower for better matches; its weights follow the columns: ticket_id (not
        # indexed), subject, document.
        return f"-bm25({self.table(compiler)}, 0.0, 4.0, 1.0)", []

    def as_postgresql(self, compiler, connection):
        document, params = compiler.compile(self.document)
        query, query_params = self.query.tsquery()
        # Normalisation 1 divides by the log of the document's length, so a long thread does not
        # outrank a short ticket about exactly this.
        return f"ts_rank({document}, ({query}), 1)", [*params, *query_params]


class _Newest(_OnSearchDocument):
    """The order in which tickets were opened, read from the index itself so that it can hand over
    matches newest first and stop, instead of the database sorting every match. With
    ``from_matches``, PostgreSQL orders by a value its primary key does not hold, so that it reads
    the matches from the full-text index and sorts them instead (see _newest_matches)."""

    output_field = IntegerField()

    def __init__(self, *, from_matches: bool = False):
        super().__init__()
        self.from_matches = from_matches

    def as_sqlite(self, compiler, connection):
        return f"{self.table(compiler)}.rowid", []

    def as_postgresql(self, compiler, connection):
        column = f'{self.table(compiler)}."ticket_id"'
        return (f"{column} + 0" if self.from_matches else column), []


# Every document part is two vectors: a text stemmed unaccented and as written, or one plain text
# and an empty one. One shape keeps the statements fixed, with every value a parameter.
_POSTGRES_START = (
    "INSERT INTO tickets_search_document (ticket_id, document) VALUES (%s, setweight("
    "to_tsvector(%s::regconfig, %s) || to_tsvector(%s::regconfig, %s), 'A'))"
    " ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document"
)
_POSTGRES_APPEND = (
    "INSERT INTO tickets_search_document AS indexed (ticket_id, document)"
    " VALUES (%s, to_tsvector(%s::regconfig, %s) || to_tsvector(%s::regconfig, %s))"
    " ON CONFLICT (ticket_id) DO UPDATE SET document = CASE"
    " WHEN pg_column_size(indexed.document) < %s THEN indexed.document || EXCLUDED.document"
    " ELSE strip(indexed.document) || strip(EXCLUDED.document) END"
)


# Texts read and stemmed per run of index_pending (on SQLite written in turns of a few ms).
INDEX_BATCH = 100
# The indexer runs a second after a commit, so the texts of the commits in between share one run.
INDEXER = BatchTask("attenda.tickets.tasks.index_pending_text", delay=1.0)
# FTS5 merges its segments inside whichever write crosses a unit of 64 written pages (automerge):
# on a full desk that write took 0.3-2 s, with SQLite's one write lock held. Migration
# 0011_speed_pending_index turns automerge off (and crisis merges rare); the indexer merges instead,
# this many pages per transaction, so a writer waits for one step of it at most ...
FTS5_MERGE_PAGES = 64
FTS5_MERGE_STEPS = 20
# ... once the other writers have been quiet this long: a step merges a common word's whole list of
# tickets at once, however few pages are asked for, and on a full desk held the write lock 26-85 ms,
# which a message being taken at a busy hour waited for. The indexer looks at each of its runs (the
# scheduler's every 10 s among them); the other writers of a working desk are seldom quiet that
# long between two looks (the workers' heartbeats, the scheduler), so merging waits at most
# FTS5_MERGE_LONGEST_WAIT_SECONDS: a burst of mail shorter than that meets no merge step, a busy
# hour meets them once a minute, as it met them before, and segments never pile up to FTS5's
# crisis merges (64 a level, merged inside a write).
FTS5_MERGE_QUIET_SECONDS = 2.0
FTS5_MERGE_LONGEST_WAIT_SECONDS = 60.0
# Since when, in this process, the segments have waited for a quiet desk (None: not waiting).
_merge_waiting_since: float | None = None


def queue_ticket(ticket: Ticket) -> None:
    """Puts the new ticket's subject in the queue for the index, in the caller's transaction."""
    PendingIndex.objects.create(ticket=ticket)
    INDEXER.after_commit()


def queue_entry(entry: TimelineEntry) -> None:
    """Puts what a timeline entry says in the queue for the index, in the caller's transaction."""
    if entry.kind not in INDEXED_ENTRY_KINDS or not entry.body.strip():
        return
    PendingIndex.objects.create(ticket_id=entry.ticket_id, entry=entry)
    INDEXER.after_commit()


def queue_texts(*, ticket: Ticket | None = None, entries: Iterable[TimelineEntry] = ()) -> None:
    """queue_ticket and queue_entry at once: one statement for a new ticket and its first message."""
    pending = [(ticket.pk, None)] if ticket is not None else []
    pending += [
        (entry.ticket_id, entry.pk)
        for entry in entries
        if entry.kind in INDEXED_ENTRY_KINDS and entry.body.strip()
    ]
    if pending:
        # Every message that comes in writes these: written out.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tickets_pendingindex (ticket_id, entry_id) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s)"] * len(pending)),
                [value for row in pending for value in row],
            )
        INDEXER.after_commit()


def index_pending(*, batch: int = INDEX_BATCH) -> int:
    """Adds the oldest waiting texts to the index, at most ``batch``, in transactions that also
    take them off the queue; returns how many. Several indexers may run at once: on PostgreSQL
    each takes rows the others have not locked, on SQLite they take turns. Then, on SQLite, merges
    the index's segments once the other writers are quiet, and checkpoints the write-ahead log, so
    that writers do neither."""
    if connection.vendor == "sqlite":
        indexed = _index_pending_sqlite(batch)
    else:
        indexed = _index_pending_locked(batch)
    _merge_segments()
    checkpoint()
    return indexed


def _waiting_texts(waiting: list[tuple[int, int, int | None]]):
    tickets = Ticket.objects.only("subject", "language").in_bulk(
        {ticket_id for _pk, ticket_id, _entry_id in waiting}
    )
    entries = TimelineEntry.objects.only("ticket_id", "kind", "body", "language").in_bulk(
        {entry_id for _pk, _ticket_id, entry_id in waiting if entry_id is not None}
    )
    for pk, ticket_id, entry_id in waiting:
        ticket = tickets.get(ticket_id)
        entry = entries.get(entry_id) if entry_id is not None else None
        if entry is not None and ticket is not None:
            entry.ticket = ticket
        yield pk, ticket, entry_id, entry


def _index_pending_locked(batch: int) -> int:
    with transaction.atomic():
        waiting = list(
            PendingIndex.objects.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "ticket_id", "entry_id")[:batch]
        )
        if not waiting:
            return 0
        for _pk, ticket, entry_id, entry in _waiting_texts(waiting):
            if ticket is None:
                continue
            if entry_id is None:
                index_ticket(ticket)
            elif entry is not None:
                index_entry(entry)
        PendingIndex.objects.filter(pk__in=[pk for pk, _ticket_id, _entry_id in waiting]).delete()
    return len(waiting)


def _index_pending_sqlite(batch: int) -> int:
    """SQLite has one writer: the stemming (the indexer's CPU work) is done before its write lock is
    taken, and the index is written in turns of a few milliseconds (turns.write_in_turns), so a
    message being taken waits only for a few of the index's own writes. A row another indexer
    took meanwhile is left to it."""
    waiting = list(
        PendingIndex.objects.order_by("pk").values_list("pk", "ticket_id", "entry_id")[:batch]
    )
    if not waiting:
        return 0
    # (queue row, index part and ticket, or None when there is nothing to index)
    writes: list[tuple[int, tuple[str, int, str] | None]] = []
    for pk, ticket, entry_id, entry in _waiting_texts(waiting):
        write = None
        if ticket is None:
            pass
        elif entry_id is None:
            write = ("subject", ticket.pk, _terms(ticket.subject, _language(ticket.language)))
        elif entry is not None and entry.kind in INDEXED_ENTRY_KINDS and entry.body.strip():
            language = _language(entry.language or ticket.language)
            write = ("document", ticket.pk, _terms(entry.body, language))
        writes.append((pk, write))
    # A text's terms are one statement of a few hundred microseconds: turns of one text each, with
    # the intake's writers waiting, were most of the index's turns and each its own FTS5 segment.
    return write_in_turns(
        writes, take=_still_pending, write=_write_terms, done=_unqueue, light=lambda _row: True
    )


def _still_pending(writes: list[tuple[int, object]]) -> list[tuple[int, object]]:
    pending = set(
        PendingIndex.objects.filter(pk__in=[pk for pk, _write in writes]).values_list(
            "pk", flat=True
        )
    )
    return [row for row in writes if row[0] in pending]


def _write_terms(row: tuple[int, tuple[str, int, str] | None]) -> None:
    _pk, write = row
    if write is None:
        return
    part, ticket_id, terms = write
    with connection.cursor() as cursor:
        if part == "subject":
            _sqlite_start(cursor, ticket_id, terms)
        else:
            _sqlite_append(cursor, ticket_id, terms)


def _unqueue(writes: list[tuple[int, object]]) -> None:
    PendingIndex.objects.filter(pk__in=[pk for pk, _write in writes]).delete()


def _merge_segments() -> None:
    """Merges FTS5's segments a few pages per transaction until no level has enough of them to
    merge ('usermerge', 4 by default), so searches read few segments: once the other writers have
    been quiet for FTS5_MERGE_QUIET_SECONDS, stopping when one writes, or, after waiting
    FTS5_MERGE_LONGEST_WAIT_SECONDS for that, at once, giving way to writers between steps."""
    global _merge_waiting_since
    if connection.vendor != "sqlite":
        return
    quiet = writers_quiet_for(FTS5_MERGE_QUIET_SECONDS)
    if not quiet:
        now = time.monotonic()
        if _merge_waiting_since is None:
            _merge_waiting_since = now
        if now - _merge_waiting_since < FTS5_MERGE_LONGEST_WAIT_SECONDS:
            return
    for _step in range(FTS5_MERGE_STEPS):
        with transaction.atomic():
            before = connection.connection.total_changes
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO tickets_search_document (tickets_search_document, rank)"
                    " VALUES ('merge', %s)",
                    [FTS5_MERGE_PAGES],
                )
            # FTS5's documented signal that there was nothing left to merge.
            merged = connection.connection.total_changes - before >= 2
        give_way()
        if not merged:
            _merge_waiting_since = None
            return
        if quiet and not writers_quiet_for(FTS5_MERGE_QUIET_SECONDS):
            return


def index_all_pending(*, seconds: float | None = None) -> int:
    """Runs index_pending until the queue is empty (or ``seconds`` have passed); returns how many
    texts it indexed. What tests call to search right after writing."""
    started = time.monotonic()
    indexed = 0
    while done := index_pending():
        indexed += done
        if seconds is not None and time.monotonic() - started > seconds:
            break
    return indexed


def index_ticket(ticket: Ticket) -> None:
    """Starts the ticket's search document with its subject, now (the services queue it with
    queue_ticket instead). It replaces whatever an earlier ticket of the same number left behind."""
    language = _language(ticket.language)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _sqlite_start(cursor, ticket.pk, _terms(ticket.subject, language))
        elif connection.vendor == "postgresql":
            cursor.execute(
                _POSTGRES_START, [ticket.pk, *_postgres_vector(ticket.subject, language)]
            )


def index_entry(entry: TimelineEntry) -> None:
    """Adds what a timeline entry says to its ticket's search document now, stemmed in the entry's
    language (or the ticket's, for replies and notes, which carry none of their own). The services
    queue it with queue_entry instead."""
    if entry.kind not in INDEXED_ENTRY_KINDS or not entry.body.strip():
        return
    language = _language(entry.language or entry.ticket.language)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _sqlite_append(cursor, entry.ticket_id, _terms(entry.body, language))
        elif connection.vendor == "postgresql":
            cursor.execute(
                _POSTGRES_APPEND,
                [
                    entry.ticket_id,
                    *_postgres_vector(entry.body, language),
                    POSTGRES_DOCUMENT_BUDGET,
                ],
            )


def _sqlite_start(cursor, ticket_id: int, terms: str) -> None:
    cursor.execute(
        "INSERT OR REPLACE INTO tickets_search_document (rowid, ticket_id, subject, document)"
        " VALUES (%s, %s, %s, '')",
        [ticket_id, ticket_id, terms],
    )


def _sqlite_append(cursor, ticket_id: int, terms: str) -> None:
    # FTS5 tables have no upsert; a ticket indexed before its subject was is rare.
    cursor.execute(
        "UPDATE tickets_search_document SET document = document || ' ' || %s WHERE rowid = %s",
        [terms, ticket_id],
    )
    if cursor.rowcount == 0:
        cursor.execute(
            "INSERT INTO tickets_search_document (rowid, ticket_id, subject, document)"
            " VALUES (%s, %s, '', %s)",
            [ticket_id, ticket_id, terms],
        )


def _postgres_vector(text: str, language: str) -> list[str]:
    """The four parameters of the document part these statements add for this text."""
    text = text[:INDEXED_TEXT_LIMIT]
    if language in POSTGRES_CONFIGS:
        unaccented, accented = POSTGRES_CONFIGS[language]
        return [unaccented, text, accented, text]
    if language in SNOWBALL:
        return [POSTGRES_PLAIN, _terms(text, language), POSTGRES_PLAIN, ""]
    return [POSTGRES_PLAIN, text, POSTGRES_PLAIN, ""]


def find(agent: Agent, query: str, *, limit: int = 50, cursor: str | None = None) -> SearchResults:
    """Only ever returns tickets the agent may see. Customers are found as the caller lookup finds
    them (customers.queries.find_customers: name parts, organisation, addresses, phone numbers,
    ticket number) and listed whatever their tickets, as the customer pages show them. The first
    page leads with the customers' tickets; the cursor pages through the tickets matching the words.
    Raises InvalidSearchCursor for a cursor that was not made here."""
    query = query.strip()
    if not query:
        return SearchResults(tickets=[], customers=[])
    tickets = visible_tickets(agent).select_related("team", "owner")
    text = _Query.parse(query)
    if cursor is not None:
        found, next_cursor = _matching(tickets, text, limit=limit, at=_Cursor.parse(cursor))
        return SearchResults(tickets=found, customers=[], next_cursor=next_cursor)
    customers = find_customers(agent, query, limit=limit)
    number = query.removeprefix("#")
    if number.isascii() and number.isdigit():
        # Larger than any ticket number (and than the database's integers).
        by_number = [] if len(number) > 18 else list(tickets.filter(pk=int(number)))
        if by_number or guess_kind(query) is None:
            return SearchResults(tickets=by_number, customers=customers)
    found = []
    if customers:
        found = list(tickets.filter(customer__in=customers).order_by("-updated_at", "-id")[:limit])
    if guess_kind(query) is not None or not text.words or len(found) >= limit:
        # An address or phone number names people, not words of their tickets.
        return SearchResults(tickets=found, customers=customers)
    matching, next_cursor = _matching(
        tickets, text, limit=limit - len(found), at=_Cursor(), besides=found
    )
    return SearchResults(tickets=found + matching, customers=customers, next_cursor=next_cursor)


@dataclass(frozen=True)
class _Cursor:
    """A keyset position in the matches: the window of RANKED_WINDOW newest matches below ticket
    ``below`` (every ticket when None), and how many of it, best first, were shown."""

    below: int | None = None
    shown: int = 0

    @classmethod
    def parse(cls, text: str) -> "_Cursor":
        below, _dot, shown = text.partition(".")
        if not (below.isascii() and below.isdigit() and shown.isascii() and shown.isdigit()):
            raise InvalidSearchCursor(text)
        if len(below) > 18 or int(shown) >= RANKED_WINDOW:
            raise InvalidSearchCursor(text)
        return cls(below=int(below), shown=int(shown))

    def __str__(self) -> str:
        return f"{self.below}.{self.shown}"


def _matching(
    tickets: QuerySet[Ticket],
    text: _Query,
    *,
    limit: int,
    at: _Cursor,
    besides: list[Ticket] = (),
) -> tuple[list[Ticket], str | None]:
    """A page of the best of the newest matches: most relevant first, then most recently active;
    and the cursor of the next page."""
    seen = {ticket.pk for ticket in besides}
    window = _newest_matches(tickets, text, below=at.below)
    ranked = sorted(
        (row for row in window if row[0] not in seen),
        key=lambda row: (row[1], row[2], row[0]),
        reverse=True,
    )
    page = ranked[at.shown : at.shown + limit]
    if at.shown + limit < len(ranked):
        below = at.below if at.below is not None else max(row[0] for row in window) + 1
        next_cursor = str(_Cursor(below=below, shown=at.shown + limit))
    elif len(window) == RANKED_WINDOW:
        next_cursor = str(_Cursor(below=min(row[0] for row in window)))
    else:
        next_cursor = None
    by_pk = tickets.in_bulk([row[0] for row in page])
    return [by_pk[row[0]] for row in page], next_cursor


def _newest_matches(
    tickets: QuerySet[Ticket], text: _Query, *, below: int | None
) -> list[tuple[int, float, object]]:
    """(number, relevance, last activity) of the RANKED_WINDOW newest matches below ticket
    ``below``, read newest first from the full-text index over a stretch of tickets that widens
    until it holds them all (FIRST_SPAN, SPAN_GROWTH): a common word's time then stays what it is
    at a few thousand tickets."""
    matches = (
        tickets.filter(search_document__document__matches=text)
        .annotate(relevance=_Relevance(text))
        .alias(newest=_Newest(), newest_of_matches=_Newest(from_matches=True))
    )
    top = below if below is not None else (_last_ticket_number() + 1)
    span = FIRST_SPAN
    while True:
        floor = top - span
        # A wider stretch is read only when the narrower one held fewer matches than the window, so
        # its matches are few, and PostgreSQL reads them from the full-text index and sorts them.
        # Along the primary key, which it chose (it cannot tell how many tickets a word is on), it
        # checked every ticket of the stretch: 3 s for a word on none of a million tickets, newest
        # first; 1.0 s for a word on 4% of the stretch's 165,000 tickets but not on the newest,
        # its bounds read by the primary key. Neither its order nor its bounds offer it the key.
        newest = "newest_of_matches" if span > FIRST_SPAN else "newest"
        window = matches
        if below is not None:
            window = window.filter(**{f"{newest}__lt": below})
        if floor > 1:
            window = window.filter(**{f"{newest}__gte": floor})
        window = window.order_by(_Newest(from_matches=span > FIRST_SPAN).desc())
        rows = list(window.values_list("pk", "relevance", "updated_at")[:RANKED_WINDOW])
        if len(rows) == RANKED_WINDOW or floor <= 1:
            return rows
        span *= SPAN_GROWTH


def _last_ticket_number() -> int:
    """The primary key's last entry."""
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
