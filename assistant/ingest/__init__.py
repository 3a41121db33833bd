"""Stage 1, reading: files in any supported format become sections, chunks and sentences."""
