"""The `assistant` command: ingest, ask, info, sections, eval, serve."""
