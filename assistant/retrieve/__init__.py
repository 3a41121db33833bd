"""Stage 4, retrieval: the hybrid index over a generation, section roles, question cleaning and follow-ups."""
