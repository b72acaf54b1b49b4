"""`ElasticSearchIndex`: the `SearchIndex` port on Elasticsearch 8 (`AKTE_SEARCH_URL=http(s)://HOST:9200[/ALIAS]`).

Matching follows the database backends. Every positive term must match title or body, either as words of
the built-in `german` analyzer (stemmed: "Anträge" finds "Antrag") or as a part of the text: the `.parts`
subfields hold 3–4 character n-grams (letters, digits, punctuation, symbols; lower case; umlauts kept) and
a term is searched there as an n-gram *phrase*. The ngram tokenizer numbers its grams by start, then length,
so the grams of a term line up position for position with the grams of any text containing it: the phrase
is a substring match ("antrag" finds "Bauantrag", "2026/00017" finds "32.10.05-2026/00017"). The search side
therefore uses the same n-gram analyzer (a whole-term lower-case token would only ever equal a 3–4
character gram). A word shorter than three characters has no gram and is a prefix query on the grams.

Ranking: sort `_score` desc, `key` asc. An exact reference-number hit (a positive term with "/" equal to
`reference_number`) matches an optional `terms` clause boosted by EXACT_BOOST, far above any text score, so
those hits come first and `search_after` on (score, key) pages through one ordering.

The index lives behind an alias: `<alias>` → `<alias>-v<INDEX_VERSION>`. `ensure_index` (run once, lazily)
creates it, or migrates an older version by reindexing and moving the alias in one `update_aliases` call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from elasticsearch import BadRequestError, Elasticsearch
from elasticsearch.helpers import BulkIndexError, bulk
from sqlalchemy import Connection

from core.errors import ConfigurationError, ValidationFailed
from search.ports import FACETS, Hit, IndexEntry, Scope, SearchResult
from search.query import Query, Term
from search.snippets import WIDTH, snippet
from search.sqlbase import decode_cursor, encode_cursor, row_values

INDEX_VERSION = 1
DEFAULT_ALIAS = "akte-search"
EXACT_BOOST = 100_000.0  # BM25 sums stay far below; float32 still resolves ~0.01 at this magnitude
MIN_GRAM, MAX_GRAM = 3, 4
MAX_PAGE = 100
FACET_SIZE = 20
REINDEX_TIMEOUT = 3600.0  # seconds; a migration copies the whole old index in one request
TEXT_FIELDS = ["reference_number.text", "title", "body"]
PART_FIELDS = ["reference_number.parts", "title.parts", "body.parts"]
KEYWORD_FIELDS = ("key", "kind", "file_id", "case_id", "owning_unit", "procedure", "status", "doc_type")
SOURCE_FIELDS = ["key", "kind", "file_id", "case_id", "reference_number", "title", "body"]
SORT = [{"_score": "desc"}, {"key": "asc"}]
HIGHLIGHT = {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html",
             "fields": {"body": {"fragment_size": WIDTH, "number_of_fragments": 1}}}
ALIAS_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}")


def index_settings() -> dict[str, Any]:
    return {
        "max_ngram_diff": MAX_GRAM - MIN_GRAM,
        "analysis": {
            "tokenizer": {"akte_parts": {"type": "ngram", "min_gram": MIN_GRAM, "max_gram": MAX_GRAM,
                                         "token_chars": ["letter", "digit", "punctuation", "symbol"]}},
            "analyzer": {"akte_parts": {"type": "custom", "tokenizer": "akte_parts", "filter": ["lowercase"]}},
        },
    }


def _text_field() -> dict[str, Any]:
    return {"type": "text", "analyzer": "german", "fields": {"parts": {"type": "text", "analyzer": "akte_parts"}}}


def index_mappings() -> dict[str, Any]:
    return {"dynamic": "strict", "properties": {
        **{name: {"type": "keyword"} for name in KEYWORD_FIELDS},
        # matched like title and body, as the database backends do (and exactly, for az: and the ranking)
        "reference_number": {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "standard"},
                                                           "parts": {"type": "text", "analyzer": "akte_parts"}}},
        "confidentiality": {"type": "integer"},
        "title": _text_field(),
        "body": _text_field(),
        "created_on": {"type": "date", "format": "strict_date"},
        "year": {"type": "integer"},
    }}


def index_document(entry: IndexEntry) -> dict[str, Any]:
    """The `_source` stored for `entry` (body cut like the database backends', plus `year` for its facet)."""
    return {**row_values(entry), "file_id": str(entry.file_id),
            "case_id": str(entry.case_id) if entry.case_id else None,
            "created_on": entry.created_on.isoformat(), "year": entry.created_on.year}


def page_size(size: int) -> int:
    return max(1, min(size, MAX_PAGE))


def _german_clause(term: Term) -> dict[str, Any]:
    if term.phrase or term.prefix:
        kind = "phrase" if term.phrase else "phrase_prefix"
        return {"multi_match": {"query": term.text, "fields": TEXT_FIELDS, "type": kind}}
    return {"multi_match": {"query": term.text, "fields": TEXT_FIELDS, "operator": "and"}}


def _parts_clause(term: Term) -> dict[str, Any] | None:
    if any(len(word) >= MIN_GRAM for word in term.text.split()):
        return {"multi_match": {"query": term.text, "fields": PART_FIELDS, "type": "phrase"}}
    if term.phrase:  # only short words: the german phrase alone decides
        return None
    return {"bool": {"should": [{"prefix": {field: term.text}} for field in PART_FIELDS], "minimum_should_match": 1}}


def term_clause(term: Term) -> dict[str, Any]:
    """Matches where `term` is a (stemmed) word or a part of the text; negation is up to the caller."""
    ways = [clause for clause in (_german_clause(term), _parts_clause(term)) if clause is not None]
    return {"bool": {"should": ways, "minimum_should_match": 1}}


def scope_clauses(scope: Scope) -> list[dict[str, Any]]:
    if scope.units is not None and not scope.units:
        return [{"match_none": {}}]
    clauses: list[dict[str, Any]] = [{"range": {"confidentiality": {"lte": scope.clearance}}}]
    if scope.units is not None:
        clauses.append({"terms": {"owning_unit": sorted(scope.units)}})
    return clauses


def filter_clauses(query: Query) -> list[dict[str, Any]]:
    f = query.filters
    clauses: list[dict[str, Any]] = []
    if f.reference:
        clauses.append({"prefix": {"reference_number": f.reference[:-1]}} if f.reference.endswith("*")
                       else {"term": {"reference_number": f.reference}})
    if f.types:
        clauses.append({"bool": {"should": [{"terms": {"doc_type": list(f.types)}}, {"terms": {"kind": list(f.types)}}],
                                 "minimum_should_match": 1}})
    for field, values in (("procedure", f.procedures), ("status", f.statuses), ("kind", f.kinds)):
        if values:
            clauses.append({"terms": {field: list(values)}})
    if f.years:
        clauses.append({"range": {"year": {"gte": f.years[0], "lte": f.years[1]}}})
    if f.dates:
        clauses.append({"range": {"created_on": {"gte": f.dates[0].isoformat(), "lte": f.dates[1].isoformat()}}})
    return clauses


def _search_after(cursor: str) -> list[Any]:
    score, key = decode_cursor(cursor, 2)
    if isinstance(score, bool) or not isinstance(score, int | float) or not isinstance(key, str):
        raise ValidationFailed("the cursor is not one this search handed out", {"cursor": "invalid"})
    return [score, key]


def build_search_body(query: Query, scope: Scope, size: int, cursor: str | None) -> dict[str, Any]:
    """The `_search` request body: permissions and filters inside the query, one more hit than the page."""
    boolean: dict[str, Any] = {"filter": scope_clauses(scope) + filter_clauses(query)}
    if query.positive:
        boolean["must"] = [term_clause(term) for term in query.positive]
    if query.negative:
        boolean["must_not"] = [term_clause(term) for term in query.negative]
    references = list(query.references)
    if references:  # optional (there is a filter): only adds EXACT_BOOST to the score
        boolean["should"] = [{"terms": {"reference_number": references, "boost": EXACT_BOOST}}]
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        "size": page_size(size) + 1,
        "sort": SORT,
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
        "highlight": HIGHLIGHT,
        "aggs": {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in FACETS},
    }
    if cursor:
        body["search_after"] = _search_after(cursor)
    return body


def _snippet(raw: Mapping[str, Any], needles: Sequence[str]) -> str:
    fragments = raw.get("highlight", {}).get("body") or []
    if fragments:
        return " ".join(str(fragments[0]).split())
    source = raw["_source"]
    return snippet(source.get("body") or source.get("title") or "", needles)


def _hit(raw: Mapping[str, Any], needles: Sequence[str]) -> Hit:
    source = raw["_source"]
    score = raw.get("_score")
    return Hit(key=source["key"], kind=source["kind"], file_id=source["file_id"], case_id=source.get("case_id"),
               reference_number=source["reference_number"], title=source["title"], snippet=_snippet(raw, needles),
               score=float(score if score is not None else raw["sort"][0]))


def read_result(response: Mapping[str, Any], query: Query, size: int) -> SearchResult:
    """The page of a `_search` response to the body of `build_search_body(query, …, size, …)`."""
    size = page_size(size)
    found = response["hits"]["hits"]
    needles = [term.text for term in query.positive]
    aggregations = response.get("aggregations", {})
    facets = {name: {str(bucket["key"]): int(bucket["doc_count"])
                     for bucket in aggregations.get(name, {}).get("buckets", [])} for name in FACETS}
    next_cursor = encode_cursor(found[size - 1]["sort"]) if len(found) > size else None
    return SearchResult(hits=[_hit(raw, needles) for raw in found[:size]],
                        total=int(response["hits"]["total"]["value"]), facets=facets, next_cursor=next_cursor)


def versioned_name(alias: str, version: int = INDEX_VERSION) -> str:
    return f"{alias}-v{version}"


def _version_of(alias: str, index: str) -> int:
    suffix = index.removeprefix(f"{alias}-v")
    return int(suffix) if suffix != index and suffix.isdigit() else 0


class ElasticSearchIndex:
    """`refresh=True` makes writes visible to the next search (tests); production relies on the refresh interval."""

    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, alias: str = DEFAULT_ALIAS, *, refresh: bool = False) -> None:
        self.client = client
        self.alias = alias
        self.refresh = refresh
        self._ready = False
        self._ready_lock = threading.Lock()

    def ensure_index(self) -> None:
        """Create `<alias>-v<INDEX_VERSION>` behind the alias, or migrate the older index the alias points to."""
        target = versioned_name(self.alias)
        indices = self.client.indices
        current = sorted(indices.get_alias(name=self.alias).body) if indices.exists_alias(name=self.alias) else []
        if any(_version_of(self.alias, index) >= INDEX_VERSION for index in current):
            return
        self._create(target)
        for old in current:
            self._reindex(old, target)
        actions: list[dict[str, Any]] = [{"remove": {"index": old, "alias": self.alias, "must_exist": False}}
                                         for old in current]
        actions.append({"add": {"index": target, "alias": self.alias, "is_write_index": True}})
        indices.update_aliases(actions=actions)

    def _create(self, index: str) -> None:
        try:
            self.client.indices.create(index=index, settings=index_settings(), mappings=index_mappings())
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":  # another process was first
                raise

    def _reindex(self, old: str, new: str) -> None:
        response = self.client.options(request_timeout=REINDEX_TIMEOUT).reindex(
            source={"index": old}, dest={"index": new}, wait_for_completion=True, refresh=True)
        if response.body.get("failures"):
            raise RuntimeError(f"reindexing {old} into {new} failed: {response.body['failures'][:3]}")

    def _ensure_once(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.ensure_index()
                self._ready = True

    def _bulk(self, actions: Iterable[dict[str, Any]], *, missing_ok: bool = False) -> None:
        self._ensure_once()
        _, errors = bulk(self.client, actions, raise_on_error=False, refresh="wait_for" if self.refresh else False)
        failed = [item for item in cast(list[dict[str, Any]], errors)  # a list unless stats_only
                  if not (missing_ok and next(iter(item.values())).get("status") == 404)]
        if failed:
            raise BulkIndexError(f"{len(failed)} document(s) failed", failed)

    def upsert(self, entries: Sequence[IndexEntry], *, bind: Connection | None = None) -> None:
        latest = {entry.key: entry for entry in entries}  # one document per key, the last one wins
        if latest:
            self._bulk({"_op_type": "index", "_index": self.alias, "_id": key, "_source": index_document(entry)}
                       for key, entry in latest.items())

    def delete(self, keys: Sequence[str], *, bind: Connection | None = None) -> None:
        if keys:
            self._bulk(({"_op_type": "delete", "_index": self.alias, "_id": key} for key in keys), missing_ok=True)

    def clear(self) -> None:
        self._ensure_once()
        self.client.delete_by_query(index=self.alias, query={"match_all": {}}, refresh=True, conflicts="proceed")

    def settle(self) -> None:
        self._ensure_once()
        self.client.indices.refresh(index=self.alias)

    def search(self, query: Query, scope: Scope, *, size: int = 20, cursor: str | None = None) -> SearchResult:
        body = build_search_body(query, scope, size, cursor)  # an invalid cursor fails before any request
        self._ensure_once()
        response = self.client.search(index=self.alias, body=body)
        return read_result(response.body, query, size)


@dataclass(frozen=True)
class ElasticTarget:
    scheme: str
    host: str
    port: int
    alias: str
    basic_auth: tuple[str, str] | None

    def node(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "host": self.host, "port": self.port}


def parse_elastic_url(url: str) -> ElasticTarget:
    """`http(s)://[user:password@]HOST:PORT[/ALIAS]`; raises ConfigurationError naming AKTE_SEARCH_URL."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    alias = parts.path.strip("/") or DEFAULT_ALIAS
    credentials = (parts.username, parts.password)
    if (parts.scheme not in ("http", "https") or not parts.hostname or port is None or parts.query
            or parts.fragment or not ALIAS_NAME.fullmatch(alias) or (any(credentials) and not all(credentials))):
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        raise ConfigurationError(f"AKTE_SEARCH_URL {shown!r}: expected http(s)://[user:password@]HOST:PORT[/ALIAS] "
                                 "with a lower-case alias name, e.g. http://elasticsearch:9200")
    auth = (unquote(parts.username or ""), unquote(parts.password or "")) if all(credentials) else None
    return ElasticTarget(parts.scheme, parts.hostname or "", port, alias, auth)


def open_elastic_index(url: str, *, refresh: bool = False) -> ElasticSearchIndex:
    """The index named by `AKTE_SEARCH_URL`; nothing is sent to the server before the first use."""
    target = parse_elastic_url(url)
    client = Elasticsearch(hosts=[target.node()], basic_auth=target.basic_auth)
    return ElasticSearchIndex(client, target.alias, refresh=refresh)
