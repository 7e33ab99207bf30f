#!/usr/bin/env node
// Writes test/fixtures/models/fashion_mnist_eval.bin, the demo's evaluation set when Debian's
// dataset-fashion-mnist is not installed: the first 100 test images of each class (in the order
// of the official test set, classes 0..9 one after another; 1000 x 28 x 28 uint8), then their
// 1000 labels. Source: /usr/share/datasets/fashion-mnist/t10k-{images-idx3,labels-idx1}-ubyte.gz
// (apt-get install dataset-fashion-mnist). Run after `npx tsc -p tsconfig.build.json`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { debianTestSet, FIXTURES } = require('../dist/cli/fashion');

const PER_CLASS = 100;
const set = debianTestSet();
if (!set) {
  console.error('dataset-fashion-mnist is not installed (/usr/share/datasets/fashion-mnist)');
  process.exit(1);
}
const images = [];
const labels = [];
for (let c = 0; c < 10; c++) {
  let taken = 0;
  for (let i = 0; i < set.count && taken < PER_CLASS; i++)
    if (set.labels[i] === c) {
      images.push(set.images.subarray(i * 784, (i + 1) * 784));
      labels.push(c);
      taken++;
    }
}
const out = path.join(FIXTURES, 'fashion_mnist_eval.bin');
fs.writeFileSync(out, Buffer.concat([...images.map((x) => Buffer.from(x)), Buffer.from(labels)]));
console.log(`wrote ${out}: ${labels.length} images + labels`);
