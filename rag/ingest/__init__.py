"""Ingest: a file becomes pages with exact offsets (loaders, pdf, pagetext), cut into layout
units read as clean sentence text (layout, clean), then into chunks that know their offsets
(chunking)."""
