"""Extension points, declared in one place: the entry points of pyproject.toml. The built-in
generators and the chat are registered there like any plug-in would be, so their names
(RAG_GENERATOR's allowed values, the chat's generator menu, the OpenAI model ids) are
read from that table, and each is imported only when it is used.

    [project.entry-points."rag.generators"]   name -> factory(settings, name) -> Generator
    [project.entry-points."rag.chat"]          name -> chat(settings, service) -> (Blocks, options)
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from rag.errors import ConfigError

GENERATORS = "rag.generators"
CHAT = "rag.chat"


@lru_cache(maxsize=None)
def _registered(group: str) -> dict[str, EntryPoint]:
    return {e.name: e for e in entry_points(group=group)}


def names(group: str) -> tuple[str, ...]:
    """The names registered in a group, in the order pyproject.toml lists them."""
    return tuple(_registered(group))


def load(group: str, name: str):
    """The object registered as `name` in `group`.

    Raises:
        ConfigError: nothing is (or the package was installed without its entry points).
    """
    found = _registered(group)
    if name not in found:
        raise ConfigError(f"Nothing is registered as {name!r} in {group!r} (registered: "
                          f"{', '.join(found) or 'none; reinstall with `pip install -e .`'}).")
    return found[name].load()
