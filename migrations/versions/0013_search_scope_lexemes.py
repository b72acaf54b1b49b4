"""Scope lexemes (PostgreSQL): every entry's `tsv` also holds its owning unit and its year as lexemes without
position (`§u:<unit>`, `§y:<year>`, which no text can produce), so the GIN scan of a relevance-ranked search
keeps only entries of the caseworker's units (and of the years asked for): the rows read are the user's
matches, not every entry holding the words in any unit or year. `tsv` is regenerated (PostgreSQL 15 cannot
change a generation expression in place: the column is dropped and added again, which rewrites the table and
rebuilds the GIN indexes over it — about 16 minutes at a million entries here). The pairs index is rebuilt
unchanged (akte_lexeme_pairs skips lexemes without position)

Revision ID: 0013
Revises: 0012
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TEXT_LEXEMES = "setweight(to_tsvector('german', title || ' ' || reference_number), 'A') || to_tsvector('german', body)"
SCOPE_LEXEMES = "array_to_tsvector(ARRAY['§u:' || owning_unit, '§y:' || extract(year FROM created_on)::integer])"


def _regenerate(expression: str) -> None:
    op.execute("ALTER TABLE search_entry DROP COLUMN tsv")  # its two GIN indexes go with it
    op.execute(f"ALTER TABLE search_entry ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv)")
    op.execute("CREATE INDEX ix_search_entry_pairs ON search_entry USING gin ((akte_lexeme_pairs(tsv)))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _regenerate(f"{TEXT_LEXEMES} || {SCOPE_LEXEMES}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _regenerate(TEXT_LEXEMES)
