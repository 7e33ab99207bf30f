#!/usr/bin/env node
// Regenerates lib/onnx/onnx.proto.json (the protobufjs descriptor the library loads, so no .proto
// parsing happens at run time) from lib/onnx/onnx.proto (vendored from the onnx project,
// Apache-2.0). Usage: node scripts/gen-onnx-proto.js [--check]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

const dir = path.join(__dirname, '..', 'lib', 'onnx');
const root = protobuf.loadSync(path.join(dir, 'onnx.proto'));
const json = JSON.stringify(root.toJSON({ keepComments: false }), null, 1) + '\n';
const out = path.join(dir, 'onnx.proto.json');
if (process.argv.includes('--check')) {
  const same = fs.existsSync(out) && fs.readFileSync(out, 'utf8') === json;
  if (!same) {
    console.error('lib/onnx/onnx.proto.json is stale: run node scripts/gen-onnx-proto.js');
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, json);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
