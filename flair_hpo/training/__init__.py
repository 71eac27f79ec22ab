"""Turning a configuration into a trained flair model and a score."""
