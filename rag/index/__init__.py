"""The index: what is live (manifest), the vector store (Chroma, in store) and the keyword
index (tantivy, in keyword), kept in step with the sources folder by indexer; jobs runs a
rebuild in the background for the server."""
