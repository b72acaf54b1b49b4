"""search_term: the vocabulary of the PostgreSQL index (every word once with its lexeme, words trigram-indexed),
so a part of a compound word is expanded to the lexemes of the words containing it instead of scanning every
text (search/postgres_fts.py)

Revision ID: 0011
Revises: 0010
"""
from alembic import op

# the words of the entries (the parser of to_tsvector, lower case, not stemmed), each with its german lexeme;
# kept here as it was when this migration was written (search/postgres_fts.py has the live copy)
VOCABULARY_OF_ENTRIES = (
    "SELECT words.word, lexeme FROM (SELECT DISTINCT word FROM search_entry, unnest(tsvector_to_array("
    "to_tsvector('simple', title || ' ' || reference_number || ' ' || body))) AS word) AS words, "
    "unnest(tsvector_to_array(to_tsvector('german', words.word))) AS lexeme"
)

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE search_term (word text, lexeme text, PRIMARY KEY (word, lexeme))")
    op.execute("CREATE INDEX ix_search_term_trgm ON search_term USING gin (word gin_trgm_ops)")
    op.execute(f"INSERT INTO search_term (word, lexeme) {VOCABULARY_OF_ENTRIES} ON CONFLICT DO NOTHING")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_term")
