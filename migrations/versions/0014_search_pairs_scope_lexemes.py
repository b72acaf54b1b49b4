"""Scope lexemes in the pairs index (PostgreSQL): ix_search_entry_pairs also holds each entry's owning unit and year
(`§u:<unit>`, `§y:<year>`, as tsv does since 0013), so the index scan for a phrase keeps only entries of the
caseworker's units (and of the years asked for): a relevance-ranked phrase reads the user's matches, not every
entry holding its pairs in any unit. The index is rebuilt over the new expression (a few minutes at a million
entries); akte_lexeme_pairs is unchanged

Revision ID: 0014
Revises: 0013
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# search/pg_terms.py's PAIRS is this expression (the planner uses the index only for the same expression)
SCOPED_PAIRS = ("akte_lexeme_pairs(tsv) || array_to_tsvector(ARRAY['§u:' || owning_unit, "
                "'§y:' || extract(year FROM created_on)::integer])")
PAIRS = "akte_lexeme_pairs(tsv)"


def _rebuild(expression: str) -> None:
    op.execute("DROP INDEX ix_search_entry_pairs")
    op.execute(f"CREATE INDEX ix_search_entry_pairs ON search_entry USING gin (({expression}))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(SCOPED_PAIRS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(PAIRS)
