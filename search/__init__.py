"""Full-text search: text extraction, the SearchIndex port and its SQLite, PostgreSQL and Elasticsearch adapters."""
