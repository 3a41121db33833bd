"""Stage 2, embedding: the bundled sentence-transformers model and its ONNX question encoder."""
