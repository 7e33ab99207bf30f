#!/usr/bin/env node
// The qint8 command.
import { demo } from './demo';

const USAGE = `usage: qint8 <command>

commands:
  demo        kernel demo: CPU features, the kernel tier chosen, GEMM GOPS vs this machine's int8 peak
  info        CPU and runtime report as JSON
  help        this text`;

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'demo':
      if (rest.length) return fail(`demo takes no arguments (got ${rest.join(' ')})`);
      demo();
      return 0;
    case 'info': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { cpuInfo } = require('../runtime') as typeof import('../runtime');
      console.log(JSON.stringify(cpuInfo(), null, 2));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      return fail(`unknown command '${cmd}'`);
  }
}

function fail(msg: string): number {
  console.error(`qint8: ${msg}\n${USAGE}`);
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`qint8: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
