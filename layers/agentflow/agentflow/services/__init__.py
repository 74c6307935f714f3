"""Use cases: plain functions and classes over models and repositories."""
