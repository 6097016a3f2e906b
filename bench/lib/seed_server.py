"""The seed's FastAPI image classifier (from the seed text, "Serving Models with FastAPI"),
the baseline of bench/serve-images.mjs. The code is the seed's; the only changes:
- the model is rebuilt as torchvision's resnet18(num_classes=5) and given the benchmark's weights
  from SEED_MODEL_STATE (a state dict saved by export-resnet18.py) instead of a pickled
  model.pt, so both servers run the same weights;
- torch's thread settings are printed to stderr at start-up (the benchmark reports them);
  SEED_TORCH_THREADS, if set, calls torch.set_num_threads (unset: torch's default, as the seed).

Run: SEED_MODEL_STATE=… /usr/bin/python3 -m uvicorn seed_server:app --host 127.0.0.1 --port P --workers 1
"""
import io
import os
import sys

import torch
import torchvision
import torchvision.transforms as transforms
from fastapi import FastAPI, File, UploadFile
from PIL import Image
from pydantic import BaseModel

app = FastAPI(title="Image Classification API")

# Load model at startup
model = None


@app.on_event("startup")
async def load_model():
    global model
    if os.environ.get("SEED_TORCH_THREADS"):
        torch.set_num_threads(int(os.environ["SEED_TORCH_THREADS"]))
    net = torchvision.models.resnet18(weights=None, num_classes=5)
    net.load_state_dict(torch.load(os.environ["SEED_MODEL_STATE"], map_location="cpu"))
    model = net
    model.eval()
    print("Model loaded successfully!")
    print(
        f"torch threads: get_num_threads()={torch.get_num_threads()} get_num_interop_threads()={torch.get_num_interop_threads()}",
        file=sys.stderr,
        flush=True,
    )


# Preprocessing pipeline
transform = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
])


class PredictionResponse(BaseModel):
    label: str
    confidence: float
    class_id: int


@app.post("/predict", response_model=PredictionResponse)
async def predict(file: UploadFile = File(...)):
    """Classify an uploaded image."""
    # Read and preprocess image
    image_data = await file.read()
    image = Image.open(io.BytesIO(image_data)).convert("RGB")
    tensor = transform(image).unsqueeze(0)  # add batch dim

    # Run inference
    with torch.no_grad():
        outputs = model(tensor)
        probabilities = torch.softmax(outputs, dim=1)
        confidence, class_id = probabilities.max(dim=1)

    labels = ["cat", "dog", "bird", "fish", "other"]  # your classes
    return PredictionResponse(
        label=labels[class_id.item()],
        confidence=confidence.item(),
        class_id=class_id.item()
    )


@app.get("/health")
async def health():
    return {"status": "healthy", "model_loaded": model is not None}
