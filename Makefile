# One-command setup and test. Safe to run twice.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEBS := espeak-ng sox ffmpeg chromium

.PHONY: setup test lint bench clean eval

setup: $(BIN)/moodtalk
	@missing=""; for d in $(DEBS); do command -v $$d >/dev/null 2>&1 || missing="$$missing $$d"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Compile the renderer's numba kernels once (cached next to the package), so the first generate does not wait.
	@$(BIN)/python -c "from moodtalk.render import eyes, mouth, warp; [m.load_kernels() for m in (warp, mouth, eyes)]"
	@$(BIN)/moodtalk version

$(BIN)/moodtalk: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of PyTorch first, pinned exactly, so nothing later can pull a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	# mediapipe without its declared deps (jax, GUI OpenCV); its real needs are in pyproject.toml.
	$(BIN)/pip install -q --no-deps mediapipe==0.10.21 fer==25.10.3
	$(BIN)/pip install -q -e ".[dev,serve]" "numpy<2" torch==2.13.0
	touch $(BIN)/moodtalk

test:
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench:
	for b in benchmarks/bm_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The full evaluation on ../shared/data (about 12 minutes), then the README's results section from it.
eval:
	$(BIN)/moodtalk eval --data ../shared/data --out runs/eval_full
	$(BIN)/python -m moodtalk.evaluation.report runs/eval_full/report.md README.md

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
