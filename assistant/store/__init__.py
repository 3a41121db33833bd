"""Stage 3, storing: Chroma generations (local folder or server), in-memory vectors, the catalogue."""
