"""Entry point for `python -m rag`."""

from rag.serve.cli import main

main()
