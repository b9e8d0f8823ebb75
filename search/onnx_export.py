"""The one-time export of the default model (multilingual-e5-small) to ONNX with int8 weights, which
:mod:`search.onnx_encoder` runs.

Built once, offline, from the assembled sentence-transformers directory (:mod:`search.models.e5small`):

1. a plain-torch BERT (this module's :class:`_Bert`, the classic HF-v4 layout, so onnxruntime's BERT
   fusions recognise it) loads ``model.safetensors`` and is exported with mean pooling over the
   attention mask, by the TorchScript exporter (the torch.export one leaves attention unfused);
2. ``onnxruntime.transformers.optimizer`` fuses embedding + LayerNorm, attention, bias + GELU and
   residual + LayerNorm;
3. ``onnxruntime.quantization.quantize_dynamic`` stores the attention, every MatMul and the embedding
   table as int8, weights per output channel; activations are quantised per tensor at run time, so a
   row can move slightly with its batch-mates.

The feed-forward output reads the GELU output, whose few large channels make per-tensor int8
activations coarse: quantised plainly it carried most of the int8 error (NCP R@5 −0.0075 to −0.010).
Before export it is smoothed (SmoothQuant): each input channel j is divided by s_j and the weight's
column j multiplied by it, s_j = amax_j^α / wmax_j^(1−α) with α = :data:`SMOOTH_ALPHA`, the activation
maxima measured on :data:`CALIBRATION` (lines of the shipped sample plans). The float model is unchanged
(a Mul before the MatMul undoes the division); the int8 one then loses far less.

The result, about 130 MB, is cached in ``<model dir>/onnx/`` under a name keyed by the assembly marker,
:data:`EXPORT_VERSION` and the torch / onnxruntime / onnx versions, written to a temporary file and
renamed into place. Measured figures (throughput, cosine to fp32, NCP cost) are in docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from search.models import e5small

EXPORT_VERSION = 2  # bump when the module, export, fusion or quantisation settings change
ONNX_DIRNAME = "onnx"
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"
_VERSIONED = ("torch", "onnxruntime", "onnx")
SMOOTH_ALPHA = 0.8  # share of the feed-forward output's activation range moved into its weights
CALIBRATION = Path(__file__).parent / "models" / "calibration.txt"  # texts whose activations set s_j


# ---- the cached int8 model ------------------------------------------------------------------------
def int8_model_path(model_dir: Path) -> Path:
    """Where the int8 model for ``model_dir`` lives; the name changes whenever a rebuild is due, and
    differs between CPUs that need 7-bit weights and those that do not."""
    calibration = hashlib.sha256(CALIBRATION.read_bytes()).hexdigest()[:16]
    key = {"assembly": e5small.marker(), "export": EXPORT_VERSION, "smooth": [SMOOTH_ALPHA, calibration]}
    if needs_reduced_range():
        key["reduce_range"] = True  # absent on VNNI CPUs, so their existing exports keep their names
    key |= {dist: _version(dist) for dist in _VERSIONED}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return Path(model_dir) / ONNX_DIRNAME / f"model-int8-{digest}.onnx"


def ensure_int8_model(model_dir: Path | None = None) -> Path:
    """Return the int8 ONNX file for ``model_dir`` (default: the assembled e5-small, built if needed),
    exporting it on first use. The file is written beside its final name and renamed into place, so
    an interrupted or concurrent export never leaves a partial model where a loader would find it;
    files from older keys are removed afterwards."""
    model_dir = Path(model_dir) if model_dir is not None else e5small.ensure_default_model()
    dest = int8_model_path(model_dir)
    if dest.is_file():
        return dest
    print("exporting multilingual-e5-small to ONNX int8 (one-time, under a minute)", file=sys.stderr)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export.", dir=dest.parent))
    try:
        export_int8(model_dir, tmp / dest.name, workdir=tmp)
        umask = os.umask(0)
        os.umask(umask)
        (tmp / dest.name).chmod(0o666 & ~umask)  # like any new file, not mkdtemp's owner-only mode
        os.replace(tmp / dest.name, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in dest.parent.glob("model-int8-*.onnx"):
        if stale != dest:
            stale.unlink(missing_ok=True)
    return dest


def needs_reduced_range(cpuinfo: str | None = None, machine: str | None = None) -> bool:
    """Whether int8 weights must keep to 7 bits on this CPU.

    x86 CPUs without VNNI (AVX2 only, e.g. AMD Zen 2) multiply u8 activations by s8 weights in pairs
    whose sums are held in 16 bits (vpmaddubsw) and saturate with full-range weights: onnxruntime's
    ``reduce_range`` is documented for exactly these CPUs. Here full-range weights moved the tiny test
    model's rows to cosine 0.98 of float32 and changed the best clause for one shipped-plan test query.
    VNNI sums in 32 bits, and ARM has its own dot-product instructions: full range there.
    """
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine not in ("x86_64", "amd64", "x86", "i386", "i686"):
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True  # cannot tell: 7-bit weights are right on every x86 CPU, only slightly coarser
    return not re.search(r"\b(avx512_vnni|avx_vnni|amx_int8)\b", cpuinfo)


def export_int8(
    model_dir: Path, out: Path, workdir: Path, reduce_range: bool | None = None
) -> dict[str, int]:
    """fp32 export → fused graph → int8 ``out``; intermediate files go to ``workdir``. Returns the
    fused-operator counts (attention fusing in every layer is what makes the graph fast).
    ``reduce_range`` (7-bit weights) defaults to what this CPU needs (:func:`needs_reduced_range`)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    config = read_config(model_dir)
    fp32, fused = Path(workdir) / "fp32.onnx", Path(workdir) / "fused.onnx"
    export_fp32(model_dir, fp32)
    model = optimizer.optimize_model(
        str(fp32),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        opt_level=0,  # the pattern fusions only; onnxruntime applies its own graph optimisations on load
        use_gpu=False,
    )
    stats = {k: v for k, v in model.get_fused_operator_statistics().items() if v}
    model.save_model_to_file(str(fused))
    fp32.unlink()
    with _quiet_root_logger():
        quantize_dynamic(
            str(fused),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=needs_reduced_range() if reduce_range is None else reduce_range,
            # BiasGelu and the other fused contrib ops defeat ONNX shape inference; their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return stats


@contextlib.contextmanager
def _quiet_root_logger():
    """The quantiser calls ``logging.warning`` ("consider pre-processing"), which would also install a
    root handler for the rest of the process; a temporary NullHandler prevents both."""
    root, handler = logging.getLogger(), logging.NullHandler()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def export_fp32(model_dir: Path, out: Path) -> None:
    """Export :class:`_Bert` + mean pooling as float32 ONNX with dynamic batch and sequence axes."""
    import torch

    model = load_torch_bert(model_dir)
    smooth_ffn_output(model, calibration_ids(model_dir))
    ids = torch.tensor([[0, 5, 6, 7, 8, 2], [0, 5, 6, 2, 1, 1]])  # one padded row: no shape is baked in
    mask = (ids != 1).long()
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "legacy TorchScript exporter" (the dynamo one does not fuse)
        torch.onnx.export(
            model,
            (ids, mask),
            str(out),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            dynamo=False,
        )


def calibration_ids(model_dir: Path) -> list[list[int]]:
    """Token ids of the calibration texts as passages, each cut to the model's position limit."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    limit = read_config(model_dir)["max_position_embeddings"]
    texts = [t for t in CALIBRATION.read_text(encoding="utf-8").splitlines() if t.strip()]
    return [e.ids[:limit] for e in tokenizer.encode_batch([f"passage: {t}" for t in texts])]


def smooth_ffn_output(model: Any, calibration: list[list[int]], alpha: float = SMOOTH_ALPHA) -> None:
    """SmoothQuant the feed-forward output of every layer of ``model`` (see the module docstring): the
    largest |input| per channel over ``calibration`` sets s_j; weights absorb s_j, the layer's
    ``smooth_inv`` buffer divides by it, so the float model computes the same function."""
    import torch

    amax = [torch.zeros(layer.fo.in_features) for layer in model.layers]

    def recorder(i: int):
        def hook(_module, args) -> None:
            amax[i] = torch.maximum(amax[i], args[0].detach().abs().amax(dim=(0, 1)))

        return hook

    hooks = [layer.fo.register_forward_pre_hook(recorder(i)) for i, layer in enumerate(model.layers)]
    try:
        with torch.no_grad():
            for ids in calibration:
                batch = torch.tensor([ids])
                model(batch, torch.ones_like(batch))
    finally:
        for hook in hooks:
            hook.remove()
    with torch.no_grad():
        for layer, act in zip(model.layers, amax, strict=True):
            wmax = layer.fo.weight.abs().amax(dim=0).clamp(min=1e-5)
            scale = act.clamp(min=1e-5) ** alpha / wmax ** (1 - alpha)
            layer.fo.weight.mul_(scale[None, :])
            layer.smooth_inv.copy_(1.0 / scale)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# ---- the torch model that is exported -------------------------------------------------------------
def load_torch_bert(model_dir: Path) -> Any:
    """:class:`_Bert` with the directory's weights (fp16 matrices widened to float32), in eval mode."""
    from safetensors.torch import load_file

    config = read_config(model_dir)
    model = _bert_class()(config)
    weights = load_file(str(Path(model_dir) / "model.safetensors"))
    names = {"eln.weight": e5small.hf_name("emb.ln.w"), "eln.bias": e5small.hf_name("emb.ln.b")}
    names |= {f"{attr}.weight": e5small.hf_name(blob) for attr, blob in _EMBEDDING_ATTRS.items()}
    names |= {
        f"layers.{i}.{part}.{kind}": e5small.hf_name(f"l{i}.{part}.{kind[0]}")
        for i in range(config["num_hidden_layers"])
        for part in _LAYER_ATTRS
        for kind in ("weight", "bias")
    }
    model.load_state_dict({mine: weights[theirs].float() for mine, theirs in names.items()})
    return model.eval()


_EMBEDDING_ATTRS = {"word": "emb.word", "pos": "emb.pos", "ttype": "emb.type"}
_LAYER_ATTRS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")  # the blob's part names (e5small)


def _bert_class() -> type:
    """Defined on demand so that importing this module does not import torch."""
    global _BERT
    if _BERT is None:
        _BERT = _define_bert()
    return _BERT


_BERT: type | None = None


def _define_bert() -> type:
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
            super().__init__()
            self.heads, self.head_dim = heads, hidden // heads
            self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
            self.aln = nn.LayerNorm(hidden, eps=eps)
            self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
            self.oln = nn.LayerNorm(hidden, eps=eps)
            # 1 / SmoothQuant scale per feed-forward channel (ones until smooth_ffn_output sets it)
            self.register_buffer("smooth_inv", torch.ones(ffn), persistent=False)

        def split(self, x):
            return x.view(x.size(0), x.size(1), self.heads, self.head_dim).permute(0, 2, 1, 3)

        def forward(self, x, mask):
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
            context = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).contiguous()
            context = context.view(context.size(0), context.size(1), self.heads * self.head_dim)
            x = self.aln(self.ao(context) + x)
            return self.oln(self.fo(nn.functional.gelu(self.fi(x)) * self.smooth_inv) + x)

    class Bert(nn.Module):
        """BertModel (absolute positions from 0, token type 0, exact GELU) + mean pooling."""

        def __init__(self, config: dict) -> None:
            super().__init__()
            hidden, eps = config["hidden_size"], config["layer_norm_eps"]
            self.word = nn.Embedding(config["vocab_size"], hidden)
            self.pos = nn.Embedding(config["max_position_embeddings"], hidden)
            self.ttype = nn.Embedding(config["type_vocab_size"], hidden)
            self.eln = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(
                Layer(hidden, config["num_attention_heads"], config["intermediate_size"], eps)
                for _ in range(config["num_hidden_layers"])
            )

        def forward(self, input_ids, attention_mask):
            positions = torch.arange(input_ids.size(1), dtype=torch.long).unsqueeze(0).expand_as(input_ids)
            x = self.word(input_ids) + self.pos(positions) + self.ttype(torch.zeros_like(input_ids))
            x = self.eln(x)
            additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, additive)
            weights = attention_mask.unsqueeze(-1).to(x.dtype)
            return (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    return Bert


def read_config(model_dir: Path) -> dict:
    """The model directory's ``config.json`` (sizes, pad id), read by the export and the runtime."""
    return json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))


__all__: list[str] = [
    "CALIBRATION",
    "EXPORT_VERSION",
    "INPUTS",
    "ONNX_DIRNAME",
    "OUTPUT",
    "calibration_ids",
    "ensure_int8_model",
    "export_fp32",
    "export_int8",
    "int8_model_path",
    "load_torch_bert",
    "needs_reduced_range",
    "read_config",
    "smooth_ffn_output",
]
