"""Understanding questions: what kind of answer a question asks for (intent, with its
phrasings and a small learned model), how a follow-up reads on its own (rewrite), and the
people, organisations, places and dates documents name (names)."""
