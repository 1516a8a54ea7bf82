"""Serving: one service shared by every face (service), the HTTP API (api) and its
OpenAI-compatible face (openai_api) in one FastAPI app with the chat mounted (server), the
CLI (cli) and its client of a running server (client), HTML rendering of answers and
cited pages (render, pageview), and the sources folder as the UI manages it (sources)."""
