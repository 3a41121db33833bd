"""Optional stage 5b: answers written by a language model from numbered excerpts, checked in code."""
