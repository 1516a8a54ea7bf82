# Two commands do all set-up:  `make run` (index sources/ and serve the chat)  and  `make test`.
# `make run` installs what serving needs; `make run LOCAL=1` adds the llama.cpp generator
# (pip builds llama-cpp-python from source once, about 6 minutes). `make test` installs all.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TORCH  := $(VENV)/.torch
STAMP  := $(VENV)/.installed
SERVE  := $(VENV)/.installed-serve$(if $(LOCAL),-local)

.PHONY: run index test install browser ocr screenshots clean

$(TORCH):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the local CPU build of torch first, so nothing pulls the multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	touch $(TORCH)

$(SERVE): pyproject.toml $(TORCH)
	$(PY) -m pip install --quiet -e '.$(if $(LOCAL),[local])'
	touch $(SERVE)

$(STAMP): pyproject.toml $(TORCH)
	$(PY) -m pip install --quiet -e '.[local,test,bench]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's Tesseract (with its English data) reads PDF pages that have no text layer.
ocr:
	@command -v tesseract >/dev/null && test -n "$$(ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata 2>/dev/null)" \
	  || { apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; }

index: $(SERVE) ocr
	$(PY) -m rag index

run: $(SERVE) ocr
	$(PY) -m rag index
	$(PY) -m rag serve

test: $(STAMP) browser ocr
	$(PY) -m pytest

# The README's pictures (docs/*.png), taken by the browser tests; `make test` leaves docs/ alone.
screenshots: $(STAMP) browser ocr
	$(PY) -m pytest tests/serve/test_browser.py -q --screenshots=docs

clean:
	rm -rf $(VENV) index/chroma index/bm25 index/keyword index/manifest-*.sqlite index/ocr index/sentences index/last_sync.json
