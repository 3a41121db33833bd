"""Stage 5, answering: the pipeline, refusal, the name check and the extractive composer."""
