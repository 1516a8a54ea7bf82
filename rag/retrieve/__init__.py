"""Retrieval: hybrid search (dense and keyword, fused) over the live index as a LangChain
retriever (retrieval), and the SQuAD-style workspaces the evaluations search (datasets)."""
