#!/usr/bin/env python3
"""Exports the real-model fixtures to ONNX and writes them as weight-free recipes.

Models (random weights: the checks compare qint8 with onnxruntime on the same weights, so the
values only need sensible ranges):
  resnet18            torchvision ResNet-18,          opset 17, input [batch, 3, 224, 224]
  mobilenet_v2        torchvision MobileNetV2,        opset 13, input [batch, 3, 224, 224]
  mobilenet_v3_small  torchvision MobileNetV3-Small,  opset 18, input [batch, 3, 224, 224]
  bert_tiny           transformers BertModel (2 layers, hidden 128, 2 heads, vocab 1000),
                      opset 14 (LayerNorm decomposed as exporters write it for opset < 17),
                      inputs input_ids / attention_mask [batch, sequence] int64

A recipe (test/fixtures/models/<name>.recipe.json) is the exported ModelProto with every
initializer of more than 64 elements removed (the 'skeleton', base64) and, for each removed one,
its name, ONNX data type, dims and the [min, max] range of the exported values. lib/onnx/recipe.ts
rebuilds a full model from it, filling each tensor uniformly in its range with a generator seeded
by the tensor's name. Ranges come from the real (randomly initialised) tensors, so BatchNorm
variances stay positive and weights keep their fan-in scaling.

The exporter keeps BatchNormalization nodes (TrainingMode.PRESERVE on an eval-mode model), so the
BN-folding pass has something to fold.

Usage: python3 scripts/export_models.py [--keep-onnx DIR] [names...]
Needs torch, torchvision, transformers, onnx, onnxruntime (tests do not need Python).
"""
import argparse, base64, io, json, os, sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

# torchvision's C++ ops (nms, ...) are not needed to build the models; on a torch/torchvision pair
# whose extension does not load, registering their fake kernels fails at import. Skip that.
_register_fake = torch.library.register_fake


def _rf(name, *a, **k):
    if isinstance(name, str) and name.startswith('torchvision::'):
        return lambda f: f
    return _register_fake(name, *a, **k)


torch.library.register_fake = _rf
import torchvision  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'models')
KEEP_LIMIT = 64


def export(model, args, path, opset, input_names, output_names, dynamic_axes):
    model.eval()
    torch.onnx.export(model, args, path, opset_version=opset, dynamo=False, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes)


def vision(name, ctor, opset, tmp):
    torch.manual_seed(0)
    m = ctor(weights=None)
    # Fresh BatchNorm statistics would be mean 0 / var 1 everywhere; give them spread so folding is
    # exercised with non-trivial values (and ranges in the recipe are meaningful).
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    path = os.path.join(tmp, f'{name}.onnx')
    export(m, (torch.randn(1, 3, 224, 224),), path, opset, ['input'], ['logits'],
           {'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    return path


def bert(tmp):
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=512, max_position_embeddings=128, type_vocab_size=2,
                     attn_implementation='eager')
    m = BertModel(cfg, add_pooling_layer=True)
    m.eval()

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            # The additive mask is built here (as BERT exporters of the classic kind write it:
            # Unsqueeze, Cast, Sub, Mul), not by transformers' mask utilities, whose export
            # brings in GreaterOrEqual / IsNaN / GatherElements for no benefit in an encoder.
            # Explicit position and token-type ids keep the buffered-id gathers (GatherElements)
            # out of the graph.
            pos = torch.arange(input_ids.shape[1], dtype=torch.int64).unsqueeze(0)
            h = self.m.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids), position_ids=pos)
            ext = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
            h = self.m.encoder(h, attention_mask=ext, return_dict=True).last_hidden_state
            return h, self.m.pooler(h)

    ids = torch.randint(0, 1000, (2, 16))
    mask = torch.ones(2, 16, dtype=torch.int64)
    path = os.path.join(tmp, 'bert_tiny.onnx')
    export(Wrap(m), (ids, mask), path, 14, ['input_ids', 'attention_mask'], ['last_hidden_state', 'pooler_output'],
           {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'},
            'last_hidden_state': {0: 'batch', 1: 'sequence'}, 'pooler_output': {0: 'batch'}})
    return path


def recipe(name, path, inputs):
    model = onnx.load(path)
    fills = []
    keep = []
    for t in model.graph.initializer:
        a = numpy_helper.to_array(t)
        if a.size <= KEEP_LIMIT:
            keep.append(t)
            continue
        if a.dtype != np.float32:
            # Large integer tensors (position ids): record them as a range rule only if they are
            # an arange, else refuse (a recipe must reproduce semantics-bearing integers exactly).
            flat = a.reshape(-1)
            if np.array_equal(flat, np.arange(flat.size, dtype=flat.dtype) % (flat.max() + 1)) and a.ndim >= 1:
                fills.append({'name': t.name, 'dataType': t.data_type, 'dims': list(a.shape), 'fill': 'arange',
                              'period': int(a.shape[-1])})
                continue
            sys.exit(f'{name}: large non-float initializer {t.name} {a.dtype} {a.shape} cannot be a recipe')
        fills.append({'name': t.name, 'dataType': t.data_type, 'dims': list(a.shape), 'fill': 'uniform',
                      'min': float(a.min()), 'max': float(a.max())})
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    skeleton = model.SerializeToString()
    total = sum(int(np.prod(f['dims'])) for f in fills)
    doc = {
        'format': 'qint8-recipe/1',
        'name': name,
        'source': inputs['source'],
        'opset': model.opset_import[0].version,
        'inputs': inputs['inputs'],
        'filledElements': total,
        'fills': fills,
        'skeleton': base64.b64encode(skeleton).decode('ascii'),
    }
    out = os.path.join(OUT, f'{name}.recipe.json')
    with open(out, 'w') as f:
        json.dump(doc, f, indent=0, separators=(',', ':'))
        f.write('\n')
    print(f'{name}: {len(model.graph.node)} nodes, {len(fills)} filled tensors ({total} values), '
          f'skeleton {len(skeleton)} bytes -> {os.path.relpath(out, ROOT)}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keep-onnx', help='also keep the full exported .onnx files in this folder')
    ap.add_argument('names', nargs='*')
    args = ap.parse_args()
    import tempfile
    tmp = args.keep_onnx or tempfile.mkdtemp()
    os.makedirs(tmp, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    tv = torchvision.models
    todo = {
        'resnet18': lambda: (vision('resnet18', tv.resnet18, 17, tmp), 'torchvision.models.resnet18(weights=None)'),
        'mobilenet_v2': lambda: (vision('mobilenet_v2', tv.mobilenet_v2, 13, tmp), 'torchvision.models.mobilenet_v2(weights=None)'),
        'mobilenet_v3_small': lambda: (vision('mobilenet_v3_small', tv.mobilenet_v3_small, 18, tmp), 'torchvision.models.mobilenet_v3_small(weights=None)'),
        'bert_tiny': lambda: (bert(tmp), 'transformers.BertModel(BertConfig(vocab 1000, hidden 128, 2 layers, 2 heads, ffn 512))'),
    }
    img = [{'name': 'input', 'dtype': 'float32', 'shape': ['batch', 3, 224, 224]}]
    txt = [{'name': 'input_ids', 'dtype': 'int64', 'shape': ['batch', 'sequence'], 'range': [0, 999]},
           {'name': 'attention_mask', 'dtype': 'int64', 'shape': ['batch', 'sequence'], 'range': [0, 1]}]
    for name in args.names or list(todo):
        path, source = todo[name]()
        recipe(name, path, {'source': f'{source}; torch {torch.__version__}', 'inputs': txt if name == 'bert_tiny' else img})


if __name__ == '__main__':
    main()
