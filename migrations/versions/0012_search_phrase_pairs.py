"""ix_search_entry_pairs (PostgreSQL): a GIN index of every pair of neighbouring lexemes of an entry's text, so a
phrase reads the entries holding its pairs instead of rechecking every entry holding its words. An expression
index: the pairs are not stored in the table (the rows stay narrow, searches read fewer pages)

Revision ID: 0012
Revises: 0011
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# "lexeme lexeme" for each lexeme and the next one by position (stop words leave gaps, not pairs)
PAIRS_FUNCTION = """
CREATE FUNCTION akte_lexeme_pairs(doc tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT pair)), ''::tsvector)
    FROM (SELECT lexeme || ' ' || lead(lexeme) OVER (ORDER BY position, lexeme) AS pair
          FROM unnest(doc) AS entry(lexeme, positions, weights), unnest(positions) AS position) AS pairs
    WHERE pair IS NOT NULL
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PAIRS_FUNCTION)
    # over the stored tsv column: the text is parsed once, when the row is written
    op.execute("CREATE INDEX ix_search_entry_pairs ON search_entry USING gin ((akte_lexeme_pairs(tsv)))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_entry_pairs")
        op.execute("DROP FUNCTION akte_lexeme_pairs(tsvector)")
