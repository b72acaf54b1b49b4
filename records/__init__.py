"""The e-file: file plan, files, cases, documents with versions, notes, audit trail and access rules."""
