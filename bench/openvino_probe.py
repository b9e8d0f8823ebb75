"""Would OpenVINO encode faster than the default onnxruntime int8 model? A probe, not a dependency.

The issue's encoding goal (≥ 120 clauses/s) names OpenVINO as a candidate. OpenVINO and NNCF install
from PyPI but are large (NNCF brings scipy and scikit-learn), so the project does not depend on them;
this script measures them when they are importable, for instance from a separate target folder:

    .venv/bin/pip install --target /tmp/ovpkg --no-deps openvino openvino-telemetry
    .venv/bin/pip install --target /tmp/nncfpkg nncf && rm -rf /tmp/nncfpkg/numpy*
    PYTHONPATH=/tmp/ovpkg:/tmp/nncfpkg .venv/bin/python bench/openvino_probe.py

It exports the assembled e5-small to float32 ONNX (the same graph the int8 export starts from), runs it
under OpenVINO in float32 and bfloat16, quantises it with NNCF (static int8, transformer preset,
calibrated on ``search/models/calibration.txt`` like the default model's smoothing), and times each
against the default int8 onnxruntime model on the same clauses (``encode_throughput.clauses``: ~130
tokens as embedded) and on those clauses doubled, interleaved ``--rounds`` times. Output:
``bench/results/openvino_probe.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from search.models import e5small
from search.onnx_encoder import (
    OnnxEncoder,
    ensure_int8_model,
    export_fp32,
    load_tokenizer,
    make_session,
    pad_batch,
)

from encode_throughput import clauses
from machine import machine

REPO = Path(__file__).resolve().parents[1]

OUT = REPO / "bench/results/openvino_probe.json"


class OpenVinoSession:
    """The one onnxruntime call OnnxEncoder makes (``run([output], feed)``), answered by OpenVINO."""

    def __init__(self, core, model, config: dict) -> None:
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()

    def run(self, _outputs, feed: dict) -> list[np.ndarray]:
        return [self.request.infer(feed)[self.compiled.output(0)]]


def quantise(core, fp32_path: Path, tokenizer):
    """NNCF static int8 of the float32 graph, calibrated on the shipped plans' lines."""
    import nncf

    lines = [line for line in (REPO / "search/models/calibration.txt").read_text().splitlines() if line]
    prompt = e5small.PROMPTS["passage"]
    batches = [
        pad_batch([e.ids for e in tokenizer.encode_batch([prompt + t for t in lines[i : i + 8]])], 1)
        for i in range(0, len(lines), 8)
    ]
    return nncf.quantize(
        core.read_model(str(fp32_path)),
        nncf.Dataset(batches),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(batches),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="clauses (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (default 3)")
    args = parser.parse_args()
    try:
        import openvino as ov
    except ImportError:
        print("openvino is not importable: see this script's docstring for how to install it apart")
        return 2
    model_dir = e5small.ensure_default_model()
    tokenizer = load_tokenizer(model_dir)
    core = ov.Core()
    sessions = {"onnxruntime int8 (default)": make_session(ensure_int8_model(model_dir), 2)}
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = Path(tmp) / "fp32.onnx"
        export_fp32(model_dir, fp32_path)
        for hint in ("f32", "bf16"):
            config = {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": 2}
            sessions[f"openvino {hint}"] = OpenVinoSession(core, core.read_model(str(fp32_path)), config)
        try:
            int8 = quantise(core, fp32_path, tokenizer)
            sessions["openvino nncf int8"] = OpenVinoSession(core, int8, {"INFERENCE_NUM_THREADS": 2})
        except ImportError:
            print("nncf is not importable: the OpenVINO int8 row is skipped")
    texts = clauses(args.n)
    sets = {
        "as embedded": texts,
        "doubled": [t + " " + texts[(i + 7) % len(texts)] for i, t in enumerate(texts)],
    }
    prompt = e5small.PROMPTS["passage"]
    tokens = {
        k: float(np.mean([len(e.ids) for e in tokenizer.encode_batch([prompt + t for t in v])]))
        for k, v in sets.items()
    }
    encoders = {
        name: OnnxEncoder(session, tokenizer, name, 384, e5small.PROMPTS, pad_id=1)
        for name, session in sessions.items()
    }
    vectors = {name: encoder.encode_passages(texts) for name, encoder in encoders.items()}  # warm-up
    rates: dict[str, dict[str, list[float]]] = {name: {k: [] for k in sets} for name in encoders}
    for _ in range(args.rounds):
        for name, encoder in encoders.items():
            for label, batch in sets.items():
                started = time.perf_counter()
                encoder.encode_passages(batch)
                rates[name][label].append(len(batch) / (time.perf_counter() - started))
    reference = vectors["onnxruntime int8 (default)"]
    rows = {}
    for name, per in rates.items():
        cosine = np.sum(vectors[name] * reference, axis=1)
        rows[name] = {
            **{f"clauses_per_s_{k.replace(' ', '_')}": round(float(np.median(v)), 1) for k, v in per.items()},
            "cosine_to_default_mean": round(float(cosine.mean()), 5),
            "cosine_to_default_min": round(float(cosine.min()), 5),
        }
        print(f"{name:28s} {rows[name]}")
    report = {
        "machine": machine(),
        "openvino": ov.__version__,
        "mean_tokens": tokens,
        "rounds": args.rounds,
        "engines": rows,
    }
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
