# rosenblatt — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip --disable-pip-version-check -q
OUT    ?= out

.PHONY: demo test test-fast bench reproduce notebooks graph-images clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Runtime install (NumPy + the plotting/progress/digits extras the demo uses).
$(VENV)/.demo: $(PY) pyproject.toml
	$(PIP) install -e '.[all]'
	@touch $@

# Test install: adds pytest, hypothesis and torch==2.13.0 (the oracle).
$(VENV)/.test: $(PY) pyproject.toml
	$(PIP) install -e '.[test]'
	@touch $@

# The main job on embedded data: an MLP on scikit-learn's bundled 8x8 digits, then every
# quick lab of the course with its HTML report.
demo: $(VENV)/.demo
	$(VENV)/bin/rosenblatt train mlp --dataset digits --epochs 40 --hidden 256,256 --batch-norm \
		--dropout 0.3 --schedule cosine --batch-size 32 --progress plain --out $(OUT)/mlp-digits
	$(VENV)/bin/rosenblatt tour --out $(OUT)/tour
	@echo "report: $(OUT)/tour/index.html"

# One BLAS/OpenMP thread for the suite: its arrays are small, and NumPy's OpenBLAS pool and
# torch's OpenMP pool spin against each other when oracle tests alternate between them
# (measured: 44 s single-threaded vs 6 min threaded on 2 cores).
# Twice: the whole suite with the fast kernels (the default), then the PyTorch-oracle tests of
# the ops, layers and optimisers with every op on its reference code.
TEST_ENV = OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
REFERENCE_TESTS = tests/functional tests/nn tests/optim tests/autograd tests/models tests/porting
test: $(VENV)/.test
	$(TEST_ENV) $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)
	$(TEST_ENV) ROSENBLATT_KERNELS=reference $(PY) -m pytest -q -p no:cacheprovider $(REFERENCE_TESTS) $(PYTEST_ARGS)

bench: $(VENV)/.test
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/run.py $(BENCH_ARGS)

reproduce: $(VENV)/.test
	$(PY) scripts/reproduce_mlp.py
	$(PY) scripts/reproduce_cnn.py
	$(PY) scripts/reproduce_rnn.py
	$(PY) scripts/reproduce_labs.py --quick --seeds 0-4 --sabotage
	$(PY) scripts/reproduce_labs.py

# Every lab as a Jupyter notebook, executed with its outputs stored (docs/notebooks/).
notebooks: $(VENV)/.test
	$(TEST_ENV) $(PY) scripts/make_notebooks.py --out docs/notebooks

# The autograd-graph pictures of docs/VIZ.md (needs Graphviz's `dot`: apt install graphviz).
graph-images: $(VENV)/.test
	$(PY) scripts/make_graph_images.py docs/images

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
