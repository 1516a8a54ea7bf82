"""Fixtures the answer tests share (a plugin of tests/conftest.py): the shipped sample indexed
once per module (`sample_settings`, `pipeline`), and beside a short second file
(`two_files`). A module that defines its own `pipeline` uses that one."""

from __future__ import annotations

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline

OKAPI = ("Okapi notes: the okapi lives in the Ituri rainforest of the Congo. It feeds on the "
         "leaves of more than a hundred plant species. Its striped legs make it hard to see "
         "in the forest. Okapis are shy and live alone.\n")


@pytest.fixture(scope="module")
def sample_settings(tmp_path_factory):
    return index_sample(tmp_path_factory.mktemp("whole"))


@pytest.fixture(scope="module")
def pipeline(sample_settings) -> Pipeline:
    return Pipeline(sample_settings, "extractive")


@pytest.fixture(scope="module")
def two_files(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("two"), {"okapi-notes.txt": OKAPI})
    return Pipeline(settings, "extractive")
