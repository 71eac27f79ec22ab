#!/usr/bin/env bash
# The GPU figures of benchmarks/RESULTS.md ("Packing trials on one GPU"): on a GPU machine, with .gpu/
# prepared (bash ../shared/gpu/prepare.sh; a BERT vocab.txt copied to .gpu/), run from the project root:
#   bash benchmarks/gpu_run.sh   (the longer searches, tagger_long then finetune_long: full corpora, the
#   one-at-a-time way measured on a random sample of the grid (4 and 3 trials); step limits 340 + 200 s, so that both and the
#   set-up fit one device call of 600 s, in a session of 15 minutes of device time with the machine's start)
#   STEPS="finetune tagger gpu_tests" bash benchmarks/gpu_run.sh   (the short searches and the GPU tests)
# Logs go to $OUT (default benchmarks/results/packing); FT, TG, TS, TL, FL: each step's time limit in seconds.
[ -f .gpu/vocab.txt ] || { echo ".gpu/vocab.txt is missing: copy a BERT vocab.txt there first"; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/.gpu/stub:$PWD FLAIR_CACHE_ROOT=/tmp/d HF_HUB_OFFLINE=1 FLAIR_HPO_DATA=$PWD/.gpu/data PYTHONUNBUFFERED=1 PYTHONFAULTHANDLER=1
OUT=${OUT:-benchmarks/results/packing}; mkdir -p "$OUT"
cp -r .gpu/data /tmp/d
step() {  # name seconds command...
  local name=$1 seconds=$2; shift 2
  echo "== $name $(date +%T)"
  timeout -s ABRT "$seconds" "$@" > "$OUT/$name.log" 2>&1
  echo "== $name exit $? $(date +%T)"
  pkill -ABRT -f local_worker; sleep 2; pkill -9 -f local_worker
  grep -a "^|\|trains\|more local workers\|packing trials\|PASSED\|FAILED\|passed\|failed\|Error" "$OUT/$name.log" | grep -v "it/s" | tail -25
  nvidia-smi --query-gpu=memory.used --format=csv,noheader
}
for name in ${STEPS:-tagger_long finetune_long}; do
  case $name in
    finetune) step finetune ${FT:-200} python3 benchmarks/packing.py --search fine-tune --vocab .gpu/vocab.txt --epochs 1 --fraction ${FT_FRACTION:-0.5} ;;
    tagger) step tagger ${TG:-190} python3 benchmarks/packing.py --search tagger --epochs ${TG_EPOCHS:-1} --fraction ${TG_FRACTION:-0.25} ;;
    gpu_tests) step gpu_tests ${TS:-200} python3 -m pytest -m gpu tests/test_gpu.py -v -p no:cacheprovider --timeout 100 ;;
    tagger_long) step tagger_long ${TL:-340} python3 benchmarks/packing.py --search tagger --epochs 2 --fraction 1.0 --mini-batch-sizes 32 64 --one-at-a-time-trials 4 ;;
    finetune_long) step finetune_long ${FL:-200} python3 benchmarks/packing.py --search fine-tune --vocab .gpu/vocab.txt --epochs 1 --fraction 1.0 --weight-decays 0 0.01 --one-at-a-time-trials 3 ;;
    *) echo "unknown step $name (finetune, tagger, gpu_tests, tagger_long, finetune_long)"; exit 2 ;;
  esac
done
