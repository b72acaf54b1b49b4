"""One contract for every SearchIndex backend: SQLite FTS5, PostgreSQL, and Elasticsearch when
AKTE_TEST_ES_URL is set (docker-compose provides one; none can run on this machine)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from core.db import Database
from core.errors import ValidationFailed
from core.migrate import upgrade
from search.ports import IndexEntry, Scope, SearchIndex
from search.postgres_fts import PostgresSearchIndex
from search.query import parse_query
from search.sqlbase import encode_cursor
from search.sqlite_fts import SqliteSearchIndex

ES = ["elasticsearch"] if os.environ.get("AKTE_TEST_ES_URL") else []
ADMIN = Scope(units=None, clearance=3)
UNIT_A = Scope(units=frozenset({"unit-a"}), clearance=1)


def test_elasticsearch_server_is_configured() -> None:
    if not ES:
        pytest.skip("set AKTE_TEST_ES_URL=http://HOST:9200 to run the search contract against Elasticsearch")


def _database(url: str) -> Database:
    database = Database(url)
    upgrade(database)
    return database


@pytest.fixture(params=["sqlite", "postgresql", *ES])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    built: SearchIndex
    database: Database | None = None
    if request.param == "sqlite":
        database = _database(f"sqlite:///{tmp_path / 'search.db'}")
        built = SqliteSearchIndex(database)
    elif request.param == "postgresql":
        database = _database(request.getfixturevalue("postgres_url"))
        built = PostgresSearchIndex(database)
    else:
        from search.elastic import open_elastic_index

        built = open_elastic_index(f"{os.environ['AKTE_TEST_ES_URL'].rstrip('/')}/akte-test-{uuid.uuid4().hex[:8]}")
        built.refresh = True  # type: ignore[attr-defined]
    built.clear()
    yield built
    built.clear()
    if database is not None:
        database.dispose()


def entry(number: int, title: str, body: str, **changes: object) -> IndexEntry:
    base = IndexEntry(
        key=f"document:{uuid.UUID(int=number)}", kind="document", file_id=uuid.UUID(int=1000 + number),
        case_id=None, reference_number=f"32.10.05-2026/{number:05d}", owning_unit="unit-a", confidentiality=1,
        title=title, body=body, procedure="fuehrerschein", status="in_progress", doc_type="pdf",
        created_on=date(2026, 3, 1))
    return replace(base, **changes)  # type: ignore[arg-type]


BAUANTRAG = entry(1, "Bauantrag Müller", "Bauantrag für das Grundstück Müllerstraße 5 in Krefeld-Uerdingen.",
                  procedure="baugenehmigung", doc_type="office", created_on=date(2025, 6, 1))
UMTAUSCH = entry(2, "Antrag Umtausch", "Antrag auf Umtausch des Führerscheins der Klasse 3 von Erika Mustermann.")
RECHNUNG = entry(3, "Rechnung 4711", "Rechnung über Druckerpatronen, fällig am 1. April.", doc_type="invoice",
                 procedure="rechnungseingang", status="completed")


def keys(index: SearchIndex, text: str, scope: Scope = ADMIN) -> set[str]:
    return {hit.key for hit in index.search(parse_query(text), scope, size=100).hits}


@pytest.fixture
def filled(index: SearchIndex) -> SearchIndex:
    index.upsert([BAUANTRAG, UMTAUSCH, RECHNUNG])
    return index


def test_words_must_all_match_and_parts_of_compounds_count(filled: SearchIndex) -> None:
    assert keys(filled, "antrag") == {BAUANTRAG.key, UMTAUSCH.key}  # "antrag" is part of "Bauantrag"
    assert keys(filled, "bauantrag") == {BAUANTRAG.key}
    assert keys(filled, "antrag führerscheins") == {UMTAUSCH.key}
    assert keys(filled, "müllerstraße") == {BAUANTRAG.key}
    assert keys(filled, "zahnarzt") == set()


def test_phrases_exclusions_and_prefixes(filled: SearchIndex) -> None:
    assert keys(filled, '"umtausch des führerscheins"') == {UMTAUSCH.key}
    assert keys(filled, '"führerscheins umtausch"') == set()
    assert keys(filled, "antrag -bauantrag") == {UMTAUSCH.key}
    assert keys(filled, 'antrag -"klasse 3"') == {BAUANTRAG.key}
    assert keys(filled, "grundst*") == {BAUANTRAG.key}


def test_field_filters(filled: SearchIndex) -> None:
    assert keys(filled, "type:invoice") == {RECHNUNG.key}
    assert keys(filled, f"az:{UMTAUSCH.reference_number}") == {UMTAUSCH.key}
    assert keys(filled, "az:32.10.05-2026/*") == {BAUANTRAG.key, UMTAUSCH.key, RECHNUNG.key}
    assert keys(filled, "year:2025") == {BAUANTRAG.key}
    assert keys(filled, "date:2026-01-01..2026-12-31 antrag") == {UMTAUSCH.key}
    assert keys(filled, "date:2026-01-01.. antrag") == {UMTAUSCH.key}  # open end
    assert keys(filled, "date:..2025-12-31 antrag") == {BAUANTRAG.key}
    assert keys(filled, "year:2026..") == {UMTAUSCH.key, RECHNUNG.key}
    assert keys(filled, "procedure:rechnungseingang status:completed") == {RECHNUNG.key}
    assert keys(filled, "status:closed") == set()


def test_permissions_are_part_of_the_query_including_totals_and_facets(index: SearchIndex) -> None:
    secret_elsewhere = entry(10, "Antrag geheim", "Antrag auf Akteneinsicht in der Ausländerakte",
                             owning_unit="unit-b", confidentiality=2, procedure="geheimverfahren")
    confidential_here = entry(11, "Antrag vertraulich", "Antrag mit Gesundheitsdaten", confidentiality=2,
                              procedure="geheimverfahren")
    index.upsert([UMTAUSCH, secret_elsewhere, confidential_here])
    for text in ("antrag", "geheim", "ausländerakte", "procedure:geheimverfahren", "type:pdf", "", "az:32*"):
        result = index.search(parse_query(text), UNIT_A, size=100)
        visible = {hit.key for hit in result.hits}
        assert visible <= {UMTAUSCH.key}, text
        assert result.total == len(visible), text
        assert "geheimverfahren" not in result.facets.get("procedure", {}), text
        assert sum(result.facets.get("doc_type", {}).values()) == result.total, text
    nobody = Scope(units=frozenset(), clearance=3)
    assert index.search(parse_query("antrag"), nobody).total == 0
    assert keys(index, "antrag") == {UMTAUSCH.key, secret_elsewhere.key, confidential_here.key}
    assert keys(index, "antrag", Scope(units=frozenset({"unit-b"}), clearance=2)) == {secret_elsewhere.key}


def test_pages_continue_by_cursor_without_gaps_or_repeats(index: SearchIndex) -> None:
    many = [entry(100 + n, f"Antrag {n}", "Antrag " * (1 + n % 5) + f"Nummer {n}") for n in range(45)]
    index.upsert(many)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        result = index.search(parse_query("antrag"), ADMIN, size=20, cursor=cursor)
        assert result.total == 45
        seen.extend(hit.key for hit in result.hits)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert len(seen) == 45 and set(seen) == {item.key for item in many}
    with pytest.raises(ValidationFailed):
        index.search(parse_query("antrag"), ADMIN, cursor="bm90IGEgY3Vyc29y")


def test_an_exact_reference_number_ranks_first(index: SearchIndex) -> None:
    target = entry(7, "Schreiben", "Kurzer Text.")
    mentions = [entry(20 + n, "Verweis", f"Bezug: {target.reference_number} " * 5) for n in range(3)]
    index.upsert([*mentions, target])
    hits = index.search(parse_query(target.reference_number), ADMIN).hits
    assert hits[0].key == target.key and len(hits) == 4


def test_snippets_mark_matches_and_escape_html(index: SearchIndex) -> None:
    index.upsert([entry(30, "Hinweis", "Vorher <script>alert(1)</script> dann der Widerspruch gegen den Bescheid.")])
    [hit] = index.search(parse_query("widerspruch"), ADMIN).hits
    assert "<mark>Widerspruch</mark>" in hit.snippet
    assert "<script>" not in hit.snippet


def test_facets_count_the_whole_result(filled: SearchIndex) -> None:
    result = filled.search(parse_query("antrag"), ADMIN, size=1)
    assert result.total == 2 and len(result.hits) == 1
    assert result.facets["procedure"] == {"baugenehmigung": 1, "fuehrerschein": 1}
    assert result.facets["year"] == {"2025": 1, "2026": 1}


def test_upsert_replaces_and_delete_removes(filled: SearchIndex) -> None:
    filled.upsert([replace(UMTAUSCH, body="Widerspruch gegen die Gebühr")])
    assert keys(filled, "führerscheins") == set() and keys(filled, "gebühr") == {UMTAUSCH.key}
    filled.delete([UMTAUSCH.key, "document:unknown"])
    assert keys(filled, "gebühr") == set()


@pytest.mark.parametrize("text", ['"unbalanced', "'; DROP TABLE search_entry; --", '{"query": {"match_all": {}}}',
                                  "a:b:c", "-", "*", "NEAR(a b)", "x OR y", "\\", "🙂 antrag"])
def test_hostile_queries_get_results_not_errors(filled: SearchIndex, text: str) -> None:
    result = filled.search(parse_query(text), ADMIN)
    assert result.total >= 0 and len(result.hits) <= result.total


def test_overlong_queries_are_refused_clearly() -> None:
    with pytest.raises(ValidationFailed, match="longer than 500 characters"):
        parse_query("antrag " * 2000)


def test_phrases_match_across_line_breaks(index: SearchIndex) -> None:
    index.upsert([entry(40, "Scan", "Antrag auf Umtausch des\nFührerscheins   der Klasse 3")])
    assert keys(index, '"umtausch des führerscheins der"') == {entry(40, "", "").key}


@pytest.mark.parametrize("values", [[2, 0.5, "k"], [[1], 0.5, "k"], [0, "x", "k"], [True, None, 5], [0, 0.5]])
def test_forged_cursors_are_refused(filled: SearchIndex, values: list[object]) -> None:
    with pytest.raises(ValidationFailed):
        filled.search(parse_query("antrag"), ADMIN, cursor=encode_cursor(values))


def test_a_huge_but_well_formed_cursor_just_ends_the_pages(filled: SearchIndex) -> None:
    result = filled.search(parse_query("antrag"), ADMIN, cursor=encode_cursor([0, 2**70, "k"]))
    assert result.total == 2 and len(result.hits) <= 2


@pytest.mark.parametrize(("text", "message"), [("year:99999999999999999999", "between 1 and 9999"),
                                               ("year:2147483648", "between 1 and 9999"),
                                               ("-type:invoice antrag", "cannot be negated"),
                                               ("date:2026-13-01", "not a valid date")])
def test_impossible_filters_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        parse_query(text)


def test_pages_go_on_beyond_ten_thousand_hits(index: SearchIndex) -> None:
    """Keyset pages, not an offset window: the 101st page of 100 (hits 10,001–10,050) comes, and every hit once."""
    count = 10_050
    entries = [entry(20_000 + n, f"Antrag {n}", f"Antrag Nummer {n}", created_on=date(2020, 1, 1 + n % 28))
               for n in range(count)]
    for start in range(0, count, 1000):
        index.upsert(entries[start:start + 1000])
    seen: list[str] = []
    cursor = None
    for _ in range(count // 100 + 2):
        result = index.search(parse_query("antrag"), ADMIN, size=100, cursor=cursor)
        seen.extend(hit.key for hit in result.hits)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert cursor is None and len(seen) == count > 10_000
    assert set(seen) == {item.key for item in entries}
