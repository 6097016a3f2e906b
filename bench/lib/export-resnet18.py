"""Builds the image benchmark's model: torchvision's ResNet-18 with 5 classes and weights from a
fixed seed (nothing is downloaded), saves its state dict, and exports the same weights to ONNX
(opset 17, dynamic batch, input "image", output "logits").

Usage: /usr/bin/python3 bench/lib/export-resnet18.py OUT_DIR
Writes OUT_DIR/model_state.pt, OUT_DIR/model.onnx, OUT_DIR/labels.txt; prints one JSON line.
"""
import json
import os
import sys

import torch
import torchvision

LABELS = ["cat", "dog", "bird", "fish", "other"]


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=len(LABELS))
    model.eval()
    state_path = os.path.join(out, "model_state.pt")
    onnx_path = os.path.join(out, "model.onnx")
    torch.save(model.state_dict(), state_path)
    dummy = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(
            model,
            dummy,
            onnx_path,
            opset_version=17,
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        )
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    print(json.dumps({
        "parameters": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "torch_num_interop_threads": torch.get_num_interop_threads(),
        "onnx_bytes": os.path.getsize(onnx_path),
    }))


if __name__ == "__main__":
    main()
