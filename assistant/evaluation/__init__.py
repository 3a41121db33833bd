"""Scoring retrieval and refusal on question sets (`assistant eval`)."""
