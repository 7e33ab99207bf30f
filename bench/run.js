#!/usr/bin/env node
// npm run bench [-- suite ...] [--quick]: runs the bench suites (default: all) one after another.
'use strict';
const SUITES = { gemm: './gemm', conv: './conv', calib: './calib', eltwise: './eltwise', fp32: './fp32', 'fp32-ops': './fp32-ops', qoperator: './qoperator', 'models-fp32': './models-fp32', 'models-int8': './models-int8' };
(async () => {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  for (const n of names) if (!SUITES[n]) throw new Error(`unknown suite '${n}' (have: ${Object.keys(SUITES).join(', ')})`);
  for (const name of names.length ? names : Object.keys(SUITES)) {
    console.log(`\n== ${name} ==`);
    await require(SUITES[name])();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
