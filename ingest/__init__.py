"""Turn source files into cleaned, structure-aware chunks: load -> clean -> chunk."""
