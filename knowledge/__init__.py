"""The knowledge base: articles, taxonomy, channels, phrases and the emergency safety net.

Pure Python so that both the engine (Python 3.10) and the app (3.11+) use the same code.
"""
