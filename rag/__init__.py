"""rag: an offline-first retrieval-augmented Q&A chatbot over your own documents."""

__version__ = "0.1.0"
