"""The Elasticsearch adapter's pure parts: mapping, request bodies, response parsing and URL parsing.

No server and no client mocks: the bodies are checked as the dicts sent to `_search`, and the parsing on
response dicts shaped like Elasticsearch 8's. The contract suite (tests/integration) runs them for real.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from core.errors import ConfigurationError, ValidationFailed
from search.elastic import (
    DEFAULT_ALIAS,
    EXACT_BOOST,
    INDEX_VERSION,
    PART_FIELDS,
    TEXT_FIELDS,
    ElasticSearchIndex,
    build_search_body,
    index_document,
    index_mappings,
    index_settings,
    open_elastic_index,
    parse_elastic_url,
    read_result,
    versioned_name,
)
from search.ports import FACETS, IndexEntry, Scope, SearchIndex
from search.query import Query, parse_query
from search.sqlbase import MAX_BODY_BYTES, encode_cursor

EVERYONE = Scope(units=None, clearance=3)


def body_for(raw: str, scope: Scope = EVERYONE, size: int = 20, cursor: str | None = None) -> dict[str, Any]:
    return build_search_body(parse_query(raw), scope, size, cursor)


def boolean(body: dict[str, Any]) -> dict[str, Any]:
    return body["query"]["bool"]


def queried_texts(clause: Any) -> set[str]:
    """Every `query` text and prefix value inside a clause, wherever it is nested."""
    found: set[str] = set()
    if isinstance(clause, dict):
        for name, value in clause.items():
            if name == "query" and isinstance(value, str):
                found.add(value)
            elif name == "prefix":
                found.update(v for v in value.values() if isinstance(v, str))
            else:
                found |= queried_texts(value)
    elif isinstance(clause, list):
        for item in clause:
            found |= queried_texts(item)
    return found


def ways(clause: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of one term clause (german words, parts)."""
    assert clause["bool"]["minimum_should_match"] == 1
    return clause["bool"]["should"]


# --- index ---------------------------------------------------------------------------------------------------

def test_title_and_body_use_the_german_analyzer_with_an_ngram_parts_subfield() -> None:
    properties = index_mappings()["properties"]
    for field in ("title", "body"):
        assert properties[field]["type"] == "text"
        assert properties[field]["analyzer"] == "german"
        assert properties[field]["fields"]["parts"] == {"type": "text", "analyzer": "akte_parts"}
    analysis = index_settings()["analysis"]
    analyzer = analysis["analyzer"]["akte_parts"]
    tokenizer = analysis["tokenizer"][analyzer["tokenizer"]]
    assert (tokenizer["type"], tokenizer["min_gram"], tokenizer["max_gram"]) == ("ngram", 3, 4)
    # grams never span two words, but do span "." "-" "/" so that a reference number stays one token
    assert "whitespace" not in tokenizer["token_chars"] and "punctuation" in tokenizer["token_chars"]
    assert analyzer["filter"] == ["lowercase"]  # no asciifolding: umlauts stay umlauts
    assert index_settings()["max_ngram_diff"] >= tokenizer["max_gram"] - tokenizer["min_gram"]


def test_filter_fields_are_keywords_and_numbers() -> None:
    properties = index_mappings()["properties"]
    for field in ("key", "kind", "file_id", "case_id", "owning_unit", "procedure", "status", "doc_type"):
        assert properties[field] == {"type": "keyword"}
    assert properties["reference_number"]["type"] == "keyword"
    assert properties["reference_number"]["fields"]["text"]["type"] == "text"
    assert properties["confidentiality"]["type"] == properties["year"]["type"] == "integer"
    assert properties["created_on"]["type"] == "date"
    assert index_mappings()["dynamic"] == "strict"


def entry(**changes: Any) -> IndexEntry:
    values: dict[str, Any] = dict(
        key="document:1", kind="document", file_id=uuid.UUID(int=1), case_id=None,
        reference_number="32.10.05-2026/00017", owning_unit="bauamt", confidentiality=1, title="Bauantrag",
        body="Antrag auf Baugenehmigung", procedure="baugenehmigung", status="open", doc_type="pdf",
        created_on=date(2026, 3, 4))
    values.update(changes)
    return IndexEntry(**values)


def test_index_document_fills_exactly_the_strict_mapping_and_is_json() -> None:
    document = index_document(entry(case_id=uuid.UUID(int=2), body="ä" * MAX_BODY_BYTES))
    assert set(document) == set(index_mappings()["properties"])
    assert document["file_id"] == str(uuid.UUID(int=1)) and document["case_id"] == str(uuid.UUID(int=2))
    assert (document["created_on"], document["year"]) == ("2026-03-04", 2026)
    assert len(document["body"].encode()) == MAX_BODY_BYTES  # two bytes per ä: cut by bytes, not characters
    json.dumps(document)
    assert index_document(entry())["case_id"] is None


def test_the_index_behind_the_alias_carries_the_version() -> None:
    assert versioned_name("akte-search") == f"akte-search-v{INDEX_VERSION}"


# --- query ---------------------------------------------------------------------------------------------------

def test_every_word_of_a_two_word_query_is_required() -> None:
    must = boolean(body_for("bauantrag müller"))["must"]
    assert [queried_texts(clause) for clause in must] == [{"bauantrag"}, {"müller"}]
    german, parts = ways(must[0])
    assert german == {"multi_match": {"query": "bauantrag", "fields": TEXT_FIELDS, "operator": "and"}}
    assert parts == {"multi_match": {"query": "bauantrag", "fields": PART_FIELDS, "type": "phrase"}}


def test_a_phrase_is_a_match_phrase_on_title_and_body() -> None:
    (clause,) = boolean(body_for('"alte führerschein"'))["must"]
    german, parts = ways(clause)
    assert german == {"multi_match": {"query": "alte führerschein", "fields": TEXT_FIELDS, "type": "phrase"}}
    assert parts["multi_match"]["type"] == "phrase"


def test_a_prefix_is_a_phrase_prefix_and_a_part() -> None:
    (clause,) = boolean(body_for("bau*"))["must"]
    german, parts = ways(clause)
    assert german["multi_match"]["type"] == "phrase_prefix" and german["multi_match"]["query"] == "bau"
    assert parts == {"multi_match": {"query": "bau", "fields": PART_FIELDS, "type": "phrase"}}


def test_a_word_too_short_for_a_gram_is_a_prefix_on_the_grams() -> None:
    (clause,) = boolean(body_for("ab"))["must"]
    _, parts = ways(clause)
    assert parts["bool"]["should"] == [{"prefix": {field: "ab"}} for field in PART_FIELDS]


def test_negated_terms_are_excluded_not_required() -> None:
    query = boolean(body_for('antrag -entwurf -"erste fassung"'))
    assert [queried_texts(clause) for clause in query["must"]] == [{"antrag"}]
    assert [queried_texts(clause) for clause in query["must_not"]] == [{"entwurf"}, {"erste fassung"}]


def test_a_query_of_only_filters_has_no_text_clauses() -> None:
    query = boolean(body_for("status:open"))
    assert "must" not in query and "must_not" not in query and "should" not in query


def test_an_exact_reference_number_is_boosted_above_relevance() -> None:
    query = boolean(body_for("32.10.05-2026/00017 antrag"))
    assert query["should"] == [{"terms": {"reference_number": ["32.10.05-2026/00017"], "boost": EXACT_BOOST}}]
    assert len(query["must"]) == 2  # the reference number still has to match as text, like the db backends
    assert "should" not in boolean(body_for("antrag"))


# --- scope and filters ---------------------------------------------------------------------------------------

def test_scope_with_units_filters_unit_and_confidentiality() -> None:
    scope = Scope(units=frozenset({"ordnungsamt", "bauamt"}), clearance=2)
    assert boolean(body_for("antrag", scope))["filter"] == [
        {"range": {"confidentiality": {"lte": 2}}}, {"terms": {"owning_unit": ["bauamt", "ordnungsamt"]}}]


def test_scope_of_every_unit_only_limits_confidentiality() -> None:
    assert boolean(body_for("antrag", Scope(units=None, clearance=0)))["filter"] == [
        {"range": {"confidentiality": {"lte": 0}}}]


def test_scope_of_no_unit_matches_nothing() -> None:
    assert boolean(body_for("antrag", Scope(units=frozenset(), clearance=3)))["filter"] == [{"match_none": {}}]


def filters_for(raw: str) -> list[dict[str, Any]]:
    return boolean(body_for(raw))["filter"][1:]  # after the scope's range


@pytest.mark.parametrize(("raw", "clause"), [
    ("az:32.10.05-2026/00017", {"term": {"reference_number": "32.10.05-2026/00017"}}),
    ("az:32.10.05-2026*", {"prefix": {"reference_number": "32.10.05-2026"}}),
    ("type:invoice", {"bool": {"should": [{"terms": {"doc_type": ["invoice"]}}, {"terms": {"kind": ["invoice"]}}],
                               "minimum_should_match": 1}}),
    ("procedure:gewerbe procedure:bau", {"terms": {"procedure": ["gewerbe", "bau"]}}),
    ("status:Open", {"terms": {"status": ["open"]}}),
    ("kind:note", {"terms": {"kind": ["note"]}}),
    ("year:2026..2024", {"range": {"year": {"gte": 2024, "lte": 2026}}}),
    ("year:2025", {"range": {"year": {"gte": 2025, "lte": 2025}}}),
    ("date:2026-01-01..2026-03-31", {"range": {"created_on": {"gte": "2026-01-01", "lte": "2026-03-31"}}}),
])
def test_each_filter_becomes_one_clause_in_the_filter_context(raw: str, clause: dict[str, Any]) -> None:
    assert filters_for(raw) == [clause]


def test_filters_combine_with_the_scope() -> None:
    scope = Scope(units=frozenset({"bauamt"}), clearance=1)
    clauses = boolean(body_for("antrag status:open kind:document", scope))["filter"]
    assert len(clauses) == 4 and {"terms": {"owning_unit": ["bauamt"]}} in clauses


# --- page, sort, highlight, facets ---------------------------------------------------------------------------

def test_the_request_sorts_by_score_then_key_and_asks_for_one_more_hit() -> None:
    body = body_for("antrag", size=20)
    assert body["sort"] == [{"_score": "desc"}, {"key": "asc"}]
    assert body["size"] == 21 and body["track_total_hits"] is True
    assert "search_after" not in body


@pytest.mark.parametrize(("size", "requested"), [(0, 2), (-5, 2), (100, 101), (1000, 101)])
def test_the_page_size_is_clamped(size: int, requested: int) -> None:
    assert body_for("antrag", size=size)["size"] == requested


def test_the_request_highlights_escaped_with_mark_and_counts_facets() -> None:
    body = body_for("antrag")
    assert body["highlight"]["pre_tags"] == ["<mark>"] and body["highlight"]["post_tags"] == ["</mark>"]
    assert body["highlight"]["encoder"] == "html" and "body" in body["highlight"]["fields"]
    assert body["aggs"] == {name: {"terms": {"field": name, "size": 20}} for name in FACETS}
    assert {"key", "title", "body", "reference_number"} <= set(body["_source"])


# --- responses -----------------------------------------------------------------------------------------------

def raw_hit(key: str, score: float, *, body: str = "Antrag", highlight: list[str] | None = None,
            case_id: str | None = None) -> dict[str, Any]:
    hit: dict[str, Any] = {
        "_index": "akte-search-v1", "_id": key, "_score": score,
        "_source": {"key": key, "kind": key.split(":")[0], "file_id": str(uuid.UUID(int=1)), "case_id": case_id,
                    "reference_number": "32.10.05-2026/00017", "title": f"Titel {key}", "body": body},
        "sort": [score, key],
    }
    if highlight is not None:
        hit["highlight"] = {"body": highlight}
    return hit


def response(hits: list[dict[str, Any]], total: int, aggregations: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"took": 4, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None, "hits": hits},
            "aggregations": aggregations or {}}


def buckets(*pairs: tuple[Any, int]) -> dict[str, Any]:
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
            "buckets": [{"key": key, "doc_count": count} for key, count in pairs]}


def test_read_result_parses_hits_total_and_facets() -> None:
    aggregations = {"procedure": buckets(("baugenehmigung", 2)), "status": buckets(("open", 1), ("closed", 1)),
                    "year": buckets((2026, 2)), "doc_type": buckets()}
    result = read_result(response([
        raw_hit("file:a", EXACT_BOOST + 3.5, highlight=["Der <mark>Antrag</mark>   vom\n1. März"]),
        raw_hit("case:b", 2.25, case_id=str(uuid.UUID(int=7)), highlight=[]),
    ], total=2, aggregations=aggregations), parse_query("antrag"), 20)
    first, second = result.hits
    assert (first.key, first.kind, first.file_id, first.case_id) == ("file:a", "file", str(uuid.UUID(int=1)), None)
    assert first.reference_number == "32.10.05-2026/00017" and first.title == "Titel file:a"
    assert first.score == EXACT_BOOST + 3.5 and second.score == 2.25
    assert first.snippet == "Der <mark>Antrag</mark> vom 1. März"
    assert second.case_id == str(uuid.UUID(int=7))
    assert result.total == 2 and result.next_cursor is None
    assert result.facets == {"procedure": {"baugenehmigung": 2}, "status": {"open": 1, "closed": 1},
                             "year": {"2026": 2}, "doc_type": {}}


def test_without_a_highlight_the_snippet_is_the_escaped_body_with_the_part_marked() -> None:
    hit = raw_hit("document:c", 1.0, body="<b>Bauantrag</b> & Anlagen")
    (parsed,) = read_result(response([hit], total=1), parse_query("antrag"), 20).hits
    assert parsed.snippet == "&lt;b&gt;Bau<mark>antrag</mark>&lt;/b&gt; &amp; Anlagen"


def test_without_a_body_the_snippet_comes_from_the_title() -> None:
    hit = raw_hit("file:d", 1.0, body="")
    (parsed,) = read_result(response([hit], total=1), Query(), 20).hits
    assert parsed.snippet == "Titel file:d"


def test_a_missing_score_is_taken_from_the_sort_values() -> None:
    hit = raw_hit("file:e", 7.0) | {"_score": None}
    assert read_result(response([hit], total=1), Query(), 20).hits[0].score == 7.0


def test_facets_absent_from_the_response_are_empty() -> None:
    result = read_result({"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}, Query(), 20)
    assert result.facets == {name: {} for name in FACETS} and result.hits == [] and result.total == 0


def test_a_next_cursor_only_when_there_are_more_hits_than_the_page() -> None:
    hits = [raw_hit(f"note:{n}", 10.0 - n) for n in range(3)]
    assert read_result(response(hits[:2], total=2), Query(), 2).next_cursor is None
    page = read_result(response(hits, total=3), Query(), 2)
    assert [hit.key for hit in page.hits] == ["note:0", "note:1"]
    assert page.next_cursor is not None
    assert body_for("antrag", cursor=page.next_cursor)["search_after"] == [9.0, "note:1"]


def test_the_cursor_round_trips_a_boosted_float_score() -> None:
    score = EXACT_BOOST + 12.336_789_131_164_55
    page = read_result(response([raw_hit("a:1", score), raw_hit("a:2", score)], total=2), Query(), 1)
    assert page.next_cursor is not None
    assert body_for("x", cursor=page.next_cursor)["search_after"] == [score, "a:1"]


@pytest.mark.parametrize("cursor", [
    "not base64 !", encode_cursor([1.0]), encode_cursor([1, 1.0, "k"]), encode_cursor(["high", "k"]),
    encode_cursor([1.0, 5]), encode_cursor([True, "k"]), encode_cursor({"a": 1}),  # type: ignore[arg-type]
])
def test_an_invalid_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        body_for("antrag", cursor=cursor)
    assert raised.value.details == {"cursor": "invalid"}


# --- configuration -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "node", "alias", "auth"), [
    ("http://elasticsearch:9200", {"scheme": "http", "host": "elasticsearch", "port": 9200}, DEFAULT_ALIAS, None),
    ("https://es.example.org:443/akte-test_1/", {"scheme": "https", "host": "es.example.org", "port": 443},
     "akte-test_1", None),
    ("http://akte:s3cr%40t%3A@10.0.0.5:9201/akte", {"scheme": "http", "host": "10.0.0.5", "port": 9201}, "akte",
     ("akte", "s3cr@t:")),
])
def test_the_url_names_node_alias_and_credentials(url: str, node: dict[str, Any], alias: str,
                                                   auth: tuple[str, str] | None) -> None:
    target = parse_elastic_url(url)
    assert (target.node(), target.alias, target.basic_auth) == (node, alias, auth)


@pytest.mark.parametrize("url", [
    "elasticsearch:9200", "ftp://elasticsearch:9200", "http://elasticsearch", "http://:9200",
    "http://elasticsearch:port", "http://elasticsearch:99999", "http://elasticsearch:9200/Akte",
    "http://elasticsearch:9200/a/b", "http://elasticsearch:9200/_akte", "http://elasticsearch:9200?x=1",
    "http://elasticsearch:9200#top", "http://user@elasticsearch:9200", "http://:pw@elasticsearch:9200",
])
def test_a_malformed_url_names_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError, match="AKTE_SEARCH_URL"):
        parse_elastic_url(url)


def test_a_refused_url_does_not_show_the_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_elastic_url("http://akte:topsecret@elasticsearch/")
    assert "topsecret" not in raised.value.message


def test_open_elastic_index_builds_the_adapter_without_contacting_the_server() -> None:
    index: SearchIndex = open_elastic_index("http://127.0.0.1:9/akte-x", refresh=True)  # nothing listens on 9
    assert isinstance(index, ElasticSearchIndex)
    assert (index.name, index.alias, index.refresh) == ("elasticsearch", "akte-x", True)
    with pytest.raises(ConfigurationError, match="AKTE_SEARCH_URL"):
        open_elastic_index("db")
