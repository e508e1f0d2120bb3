"""Python side of InteropTests: runs Distill's exports in PyTorch and ONNX Runtime, and builds models in PyTorch.

Usage:
  interop_check.py compare PY ONNX IMAGES.npy DISTILL_LOGITS.npy
      Runs IMAGES (uint8 [N, H, W, C]) through load() of the generated PY file and through the ONNX
      model in ONNX Runtime; checks the ONNX file's pinned interface and the safetensors names and
      dtypes; prints one JSON line with the largest relative differences to Distill's logits
      (max |a - b| / max |b|) and exits 1 when one exceeds 1e-5.
  interop_check.py torch-cnn OUT_DIR
      Builds and initialises a CNN in PyTorch (normalisation, Conv, BatchNorm with random statistics,
      ReLU, MaxPool, AvgPool, Flatten, Linear, BatchNorm1d), writes OUT_DIR/model.onnx (torch.onnx.export),
      OUT_DIR/state.safetensors (its state dict), OUT_DIR/images.npy (uint8 [8, 32, 32, 3]) and
      OUT_DIR/torch_logits.npy.
"""
import json
import sys

import numpy as np
import torch

TOLERANCE = 1e-5


def relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def nchw(images):
    return torch.from_numpy(images.astype(np.float32).transpose(0, 3, 1, 2).copy())


def compare(py_path, onnx_path, images_path, logits_path):
    import importlib.util

    import onnx
    import onnxruntime
    from safetensors import safe_open

    images = np.load(images_path)
    expected = np.load(logits_path)
    spec = importlib.util.spec_from_file_location("exported", py_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.no_grad():
        torch_logits = module.load()(nchw(images)).numpy()

    with safe_open(module.WEIGHTS, "pt") as f:
        dtypes = {name: str(f.get_tensor(name).dtype) for name in f.keys()}
    bad = {n: d for n, d in dtypes.items() if d != ("torch.int64" if n.endswith("num_batches_tracked") else "torch.float32")}
    assert not bad, f"unexpected dtypes {bad}"

    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    assert opset >= 13, opset
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    assert graph_input.name == "images" and graph_output.name == "logits", (graph_input.name, graph_output.name)
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = [d.dim_value for d in graph_input.type.tensor_type.shape.dim[1:]]
    assert dims == [images.shape[3], images.shape[1], images.shape[2]], dims
    assert model.graph.node[0].op_type in ("Mul", "Sub"), "normalisation is not the first node"
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_logits = session.run(["logits"], {"images": nchw(images).numpy()})[0]

    result = {"torch": relative(torch_logits, expected), "onnxruntime": relative(onnx_logits, expected),
              "shape": list(expected.shape), "safetensors": sorted(dtypes)[:4]}
    print(json.dumps(result))
    return 0 if result["torch"] <= TOLERANCE and result["onnxruntime"] <= TOLERANCE else 1


class Normalize(torch.nn.Module):
    """(x/255 - mean) / std on raw pixels, written as torch users write it: Sub and Div in ONNX."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1) * 255, persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1) * 255, persistent=False)

    def forward(self, x):
        return (x - self.mean) / self.std


MEAN = [0.49, 0.48, 0.45]
STD = [0.25, 0.24, 0.26]


def torch_cnn(out_dir):
    from safetensors.torch import save_file

    torch.manual_seed(7)
    layers = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 12, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(12),
        torch.nn.LeakyReLU(0.1),
        torch.nn.AvgPool2d(2),
        torch.nn.Dropout(0.25),
        torch.nn.Flatten(),
        torch.nn.Linear(12 * 8 * 8, 32),
        torch.nn.BatchNorm1d(32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )
    with torch.no_grad():
        for m in layers:
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    model = torch.nn.Sequential(Normalize(MEAN, STD), layers).eval()
    images = np.random.default_rng(3).integers(0, 256, size=(8, 32, 32, 3), dtype=np.uint8)
    with torch.no_grad():
        logits = model(nchw(images)).numpy()
    torch.onnx.export(model, (nchw(images[:1]),), f"{out_dir}/model.onnx", input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    save_file({k: v.contiguous() for k, v in layers.state_dict().items()}, f"{out_dir}/state.safetensors")
    np.save(f"{out_dir}/images.npy", images)
    np.save(f"{out_dir}/torch_logits.npy", logits.astype(np.float32))
    print(json.dumps({"mean": MEAN, "std": STD, "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    sys.exit(compare(*arguments) if command == "compare" else torch_cnn(*arguments))
