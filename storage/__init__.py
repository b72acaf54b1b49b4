"""Blob storage for document versions: the `BlobStore` port and its filesystem and S3 adapters."""
