#!/usr/bin/env node
// The qint8 command: quantize, run, bench, demo, kernels, info, help.
// User errors (bad arguments, missing or malformed files) print one line `qint8: ...` on stderr and
// exit non-zero (2: usage, 1: the rest); QINT8_DEBUG=1 adds the stack trace.
import { CliError, type Io, processIo, suggest, usageError } from './args';

export const USAGE = `usage: qint8 <command> [options]          (qint8 <command> --help for its options)

commands:
  quantize <in.onnx> -o <out.onnx> --calib <dir>   quantize a float ONNX model to int8 (QDQ ONNX)
  run <model.onnx> --input <file>                  run a model once on .npy / image inputs
  bench <model.onnx> [--compare onnxruntime]       latency, qint8 vs onnxruntime-node
  demo                                             quantize the bundled Fashion-MNIST CNN with every
                                                   calibration method: accuracy and speed (npm run demo)
  kernels                                          CPU features, kernel tier, GEMM GOPS vs this
                                                   machine's int8 peak
  info                                             CPU and runtime report as JSON
  help [<command>]                                 this text, or a command's options`;

const COMMANDS = ['quantize', 'run', 'bench', 'demo', 'kernels', 'info', 'help'];

async function usageOf(cmd: string): Promise<string | undefined> {
  switch (cmd) {
    case 'quantize':
      return (await import('./quantize')).QUANTIZE_USAGE;
    case 'run':
      return (await import('./run')).RUN_USAGE;
    case 'bench':
      return (await import('./bench')).BENCH_USAGE;
    case 'demo':
      return (await import('./demo')).DEMO_USAGE;
    case 'kernels':
      return 'usage: qint8 kernels\n\nCPU features, the kernel tier chosen, GEMM GOPS against the int8 peak measured in the same run.';
    case 'info':
      return 'usage: qint8 info\n\nThe CPU and runtime report (cpuInfo()) as JSON.';
    case 'help':
      return USAGE;
    default:
      return undefined;
  }
}

function noArgs(cmd: string, rest: string[]): void {
  if (rest.length) throw usageError(`${cmd} takes no arguments (got ${rest.join(' ')})`);
}

async function dispatch(cmd: string | undefined, rest: string[], io: Io): Promise<number> {
  switch (cmd) {
    case 'quantize':
      return (await import('./quantize')).quantizeCommand(rest, io);
    case 'run':
      return (await import('./run')).runCommand(rest, io);
    case 'bench':
      return (await import('./bench')).benchCommand(rest, io);
    case 'demo':
      return (await import('./demo')).demoCommand(rest, io);
    case 'kernels': {
      if (rest[0] === '--help' || rest[0] === '-h') {
        io.out((await usageOf('kernels'))! + '\n');
        return 0;
      }
      noArgs(cmd, rest);
      (await import('./kernels')).kernelsReport((s) => io.out(s + '\n'));
      return 0;
    }
    case 'info': {
      if (rest[0] === '--help' || rest[0] === '-h') {
        io.out((await usageOf('info'))! + '\n');
        return 0;
      }
      noArgs(cmd, rest);
      const { cpuInfo } = await import('../runtime');
      io.out(JSON.stringify(cpuInfo(), null, 2) + '\n');
      return 0;
    }
    case undefined:
      io.err(USAGE + '\n');
      return 2;
    case 'help':
    case '--help':
    case '-h': {
      if (rest.length > 1) throw usageError(`help takes at most one command (got ${rest.join(' ')})`);
      if (rest.length === 1) {
        const u = await usageOf(rest[0]);
        if (!u) throw usageError(`help: unknown command '${rest[0]}' (commands: ${COMMANDS.join(', ')})`);
        io.out(u + '\n');
      } else io.out(USAGE + '\n');
      return 0;
    }
    case '--version':
    case '-v': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      io.out(`${(require('../../package.json') as { version: string }).version}\n`);
      return 0;
    }
    default: {
      const hint = suggest(cmd, COMMANDS);
      throw usageError(`unknown command '${cmd}'${hint ? ` (did you mean ${hint}?)` : ''}; commands: ${COMMANDS.join(', ')} (qint8 help)`);
    }
  }
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    return await dispatch(argv[0], argv.slice(1), io);
  } catch (e) {
    const err = e as Error;
    if (process.env.QINT8_DEBUG === '1') io.err(`${err.stack ?? err}\n`);
    const msg = (err?.message ?? String(e)).split('\n')[0];
    io.err(`qint8: ${msg}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
