"""Building blocks of the local renderer: draft reading, output sizing, procedural art, text, audio."""
