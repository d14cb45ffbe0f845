"""Torch side of bench/extraction.ts: export torchvision ResNet-50 (seeded random weights; speed does not depend on
them) to ONNX, and time torch CPU extraction with the service's preprocessing, forward hooks and centre pooling.

    python3 bench/extraction_torch.py export OUT_DIR         -> OUT_DIR/resnet50.onnx, OUT_DIR/resnet50.json (taps)
    python3 bench/extraction_torch.py time IMAGES.npy THREADS BATCH   -> one JSON line (images/s)
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as TF

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'networks'))
from onnx_names import graph_nodes, module_output  # noqa: E402

MODULES = ['layer1', 'layer2', 'layer3', 'layer4']
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def model():
    torch.manual_seed(0)
    return torchvision.models.resnet50().eval()


def export(out):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, 'resnet50.onnx')
    torch.onnx.export(model(), torch.zeros(1, 3, 224, 224), path, opset_version=13, input_names=['input'],
                      output_names=['output'], dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
    with open(path, 'rb') as f:
        nodes = graph_nodes(f.read())
    with open(os.path.join(out, 'resnet50.json'), 'w') as f:
        json.dump({'taps': [{'module': m, 'tensor': module_output(nodes, m)} for m in MODULES]}, f)


def run(images, threads, batch):
    torch.set_num_threads(threads)
    net = model()
    seen = {}
    for m in MODULES:
        dict(net.named_modules())[m].register_forward_hook(lambda mod, i, o, key=m: seen.__setitem__(key, o))
    pooled = []
    with torch.no_grad():
        for s in range(0, len(images), batch):
            x = torch.from_numpy(images[s:s + batch]).permute(0, 3, 1, 2).float() / 255.0
            x = TF.resize(x, 256, interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
            x = TF.normalize(TF.center_crop(x, 224), MEAN, STD)
            net(x)
            for m in MODULES:
                o = seen[m]
                pooled.append(o[:, :, o.shape[2] // 2, o.shape[3] // 2].numpy().copy())
    return pooled


if __name__ == '__main__':
    if sys.argv[1] == 'export':
        export(sys.argv[2])
    else:
        images = np.load(sys.argv[2])
        threads, batch = int(sys.argv[3]), int(sys.argv[4])
        run(images[:batch], threads, batch)  # warm-up: one batch
        t = time.perf_counter()
        run(images, threads, batch)
        s = time.perf_counter() - t
        print(json.dumps({'path': 'torch', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
                          'images': len(images), 'seconds': round(s, 3), 'imagesPerSecond': round(len(images) / s, 2)}))
