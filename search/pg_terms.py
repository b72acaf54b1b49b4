"""How one search term matches in PostgreSQL, chosen per term before the search runs (search/postgres_fts.py).

- A plain word ("antrag", "teilung") is expanded through the vocabulary `search_term` (every word of the index
  once with its german lexeme, words trigram-indexed; migration 0011) to its own lexeme and those of the words
  containing it ("Bauantrag", "Grundstücksteilungen" → grundstucksteil); the GIN index of `tsv` finds them.
- A phrase is looked up by its pairs of neighbouring lexemes (a GIN index over every such pair of an entry,
  an expression index of migration 0012, with the entry's scope lexemes since 0014), then checked by position in
  `tsv`: a phrase of two common words reads the few entries of the user's units holding that pair, not every entry
  holding both words.
- Everything else — punctuation as in reference numbers, stop words, a part so short that hundreds of words
  contain it, a phrase of one lexeme — matches `tsv` or a substring of the text (pg_trgm's GIN index answers
  the LIKE), as every term once did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from search.query import Term
from search.sqlbase import like_pattern

TSV: ColumnElement[str] = literal_column("search_entry.tsv")
# the exact expression of ix_search_entry_pairs (migrations 0012, 0014), so the planner uses that index: the pairs
# of neighbouring lexemes and the scope lexemes (which hold no position, so akte_lexeme_pairs leaves them out)
PAIRS: ColumnElement[str] = literal_column(
    "(akte_lexeme_pairs(search_entry.tsv) || array_to_tsvector(ARRAY['§u:' || search_entry.owning_unit, "
    "'§y:' || extract(year FROM search_entry.created_on)::integer]))")
# every entry's tsv holds two lexemes without position (migration 0013), which no text can yield:
UNIT = "§u:"  # + its owning unit
YEAR = "§y:"  # + the year it was created
# the exact expression of ix_search_entry_trgm, so the planner uses that index for LIKE
HAYSTACK: ColumnElement[str] = literal_column(
    "lower(search_entry.reference_number || ' ' || search_entry.title || ' ' || search_entry.body)")
VOCABULARY = Table("search_term", MetaData(), Column("word", Text, primary_key=True),
                   Column("lexeme", Text, primary_key=True))
# the words of some entries (the parser of to_tsvector, lower case, not stemmed) not yet in the vocabulary, each
# with its german lexeme (a stop word has none); in sorted order, so two writers never wait in a circle
NEW_WORDS = text(
    "INSERT INTO search_term (word, lexeme) SELECT words.word, lexeme FROM (SELECT DISTINCT word FROM search_entry, "
    "unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || reference_number || ' ' || body))) AS word "
    "WHERE key = ANY(:keys)) AS words CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('german', words.word)))"
    " AS lexeme WHERE NOT EXISTS (SELECT 1 FROM search_term AS known WHERE known.word = words.word) "
    "ORDER BY 1, 2 ON CONFLICT DO NOTHING"
)
MAX_EXPANSION = 500  # lexemes one term may stand for; a less specific part is matched as a substring


@dataclass(frozen=True)
class TermMatch:
    condition: ColumnElement[bool]  # the entry holds the term
    tsquery: ColumnElement[str]  # what ts_rank_cd weighs for it


def _tsquery(term: Term) -> ColumnElement[str]:
    if term.phrase:
        return func.phraseto_tsquery("german", term.text)
    if term.prefix:
        return func.to_tsquery("german", func.quote_literal(term.text).concat(":*"))
    return func.plainto_tsquery("german", term.text)


def _joined(lexemes: Sequence[str], operator: str) -> str:
    return f" {operator} ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)


def _lexemes(lexemes: Sequence[str], operator: str, narrowing: Sequence[Sequence[str]] = ()) -> ColumnElement[str]:
    """A tsquery of `lexemes` taken as they are (already stemmed), joined by `operator` (| or &), and — when
    `narrowing` is given — one of each group of scope lexemes."""
    quoted = _joined(lexemes, operator)
    if narrowing:
        quoted = " & ".join([f"({quoted})"] + [f"({_joined(group, '|')})" for group in narrowing])
    return cast(literal(quoted), TSQUERY)  # a cast keeps each quoted lexeme whole (to_tsquery would split pairs)


def _substring(term: Term) -> TermMatch:
    return TermMatch(or_(TSV.op("@@")(_tsquery(term)), HAYSTACK.like(like_pattern(term.text.lower()), escape="\\")),
                     _tsquery(term))


def expand(connection: Connection, term: Term) -> list[str] | None:
    """The term's own lexeme and those of every indexed word containing it ("antrag" → antrag, bauantrag,
    antragsteller, …), or None when the term is matched by substring instead."""
    if term.phrase or not term.text.isalnum() or len(term.text) < 3:  # trigrams need three characters
        return None
    stems = connection.scalar(select(func.tsvector_to_array(func.to_tsvector("german", term.text)))) or []
    if len(stems) != 1:  # a stop word has none
        return None
    found = set(connection.scalars(select(VOCABULARY.c.lexeme).distinct()
                                   .where(VOCABULARY.c.word.like(like_pattern(term.text), escape="\\"))
                                   .limit(MAX_EXPANSION + 1)))
    return sorted(found | {stems[0]}) if len(found) <= MAX_EXPANSION else None


def phrase_pairs(connection: Connection, term: Term) -> list[str]:
    """The pairs of neighbouring lexemes of a phrase, as the pairs index holds them ("umtausch des führerscheins" →
    "umtausch fuhrerschein": stop words leave no lexeme); none for a phrase of one lexeme."""
    found = connection.scalar(select(func.tsvector_to_array(
        func.akte_lexeme_pairs(func.to_tsvector("german", term.text)))))
    return list(found or [])


def match_term(connection: Connection, term: Term, narrowing: Sequence[Sequence[str]] = ()) -> TermMatch:
    """`narrowing`: groups of scope lexemes (migration 0014 put them into the pairs index) of which a phrase's
    entry holds one each — implied by the scope and filters, so the pairs index scan leaves other units' (years')
    entries out before their rows are read."""
    if term.phrase:
        pairs = phrase_pairs(connection, term)
        if not pairs:
            return _substring(term)
        # the positions are checked on the rows the pairs index found (ts_match_vq is what @@ calls, but the
        # planner asks no index for it): the tsv index would list every entry holding both words, and a page of
        # its results would have each row's pairs computed again (~0.1 ms a row) to recheck them
        return TermMatch(and_(PAIRS.op("@@")(_lexemes(pairs, "&", narrowing)), func.ts_match_vq(TSV, _tsquery(term))),
                         _tsquery(term))
    lexemes = expand(connection, term)
    if lexemes is None:
        return _substring(term)
    return TermMatch(TSV.op("@@")(_lexemes(lexemes, "|")), _lexemes(lexemes, "|"))


def any_of(lexemes: Sequence[str]) -> ColumnElement[bool]:
    """The entry holds one of the scope lexemes `lexemes` (UNIT or YEAR + value): asked of the tsv GIN index
    together with the words, it leaves other units' (years') entries out before any row is read."""
    return TSV.op("@@")(_lexemes(lexemes, "|"))


def match_terms(connection: Connection, terms: Sequence[Term],
                narrowing: Sequence[Sequence[str]] = ()) -> dict[Term, TermMatch]:
    """How each term matches; positive phrases narrowed by `narrowing` (see match_term)."""
    # with a LIMIT the planner guesses that a scan of the vocabulary stops early; the trigram index is what
    # makes the lookup fast (~1 ms rather than ~100 ms at a million words)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return {term: match_term(connection, term, () if term.negated else narrowing) for term in terms}
