// Command-line plumbing shared by the qint8 commands: the output streams (so tests can capture
// them), user errors (one line, no stack trace), a small flag parser and value parsers whose
// messages name the flag.

/** Where a command writes: stdout, stderr, and whether stderr is a terminal (progress bars). */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: progress redraws one line. */
  errTTY: boolean;
  /** Terminal width for the progress bar (default 80). */
  columns?: number;
}

export function processIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    errTTY: !!process.stderr.isTTY,
    columns: process.stderr.columns,
  };
}

/** A user error: bad argument, missing or malformed file. Printed as one line `qint8: ...`. */
export class CliError extends Error {
  /** 2 for usage errors (unknown flag, bad value), 1 for everything else. */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

export interface FlagSpec {
  /** Takes a value (`--flag v` or `--flag=v`); otherwise a switch. */
  value?: boolean;
  /** May be given several times (values collected in order). */
  repeat?: boolean;
  /** One-letter alias (`-o`). */
  short?: string;
}

export interface ParsedArgs {
  positionals: string[];
  /** Flag name (without dashes) -> its values ('' for switches), in order. */
  flags: Map<string, string[]>;
  help: boolean;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The closest known name, when it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = editDistance(name, k);
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Parses `argv` against `spec`. `--` ends the flags. `-h` / `--help` set `help` (and stop checking
 * the rest: `qint8 quantize --help` must work without the required arguments).
 */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  if (argv.includes('--help') || argv.includes('-h')) return { positionals, flags, help: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (a.startsWith('-') && a.length === 2 && a !== '--' && !/^-\d/.test(a)) {
      const long = byShort.get(a[1]);
      if (!long) throw usageError(`${command}: unknown option '${a}' (see qint8 ${command} --help)`);
      name = long;
    } else {
      positionals.push(a);
      continue;
    }
    const s = spec[name];
    if (!s) {
      const hint = suggest(name, Object.keys(spec));
      throw usageError(`${command}: unknown option '--${name}'${hint ? ` (did you mean --${hint}?)` : ''} (see qint8 ${command} --help)`);
    }
    let v = '';
    if (s.value) {
      if (inline !== undefined) v = inline;
      else {
        if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) throw usageError(`${command}: --${name} needs a value`);
        v = argv[++i];
      }
      if (v === '') throw usageError(`${command}: --${name} needs a value`);
    } else if (inline !== undefined) throw usageError(`${command}: --${name} takes no value (got '${a}')`);
    const prev = flags.get(name);
    if (prev && !s.repeat) throw usageError(`${command}: --${name} is given twice`);
    flags.set(name, [...(prev ?? []), v]);
  }
  return { positionals, flags, help: false };
}

/** The single value of a flag, or undefined. */
export function flagValue(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function flagSet(p: ParsedArgs, name: string): boolean {
  return p.flags.has(name);
}

/** A positive integer (or >= min). */
export function parseIntFlag(flag: string, s: string, min = 1): number {
  if (!/^[+]?\d+$/.test(s.trim())) throw usageError(`--${flag} must be an integer >= ${min}, got '${s}'`);
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < min) throw usageError(`--${flag} must be an integer >= ${min}, got '${s}'`);
  return v;
}

/** A finite number (> 0 when positive is set). */
export function parseNumberFlag(flag: string, s: string, positive = false): number {
  const v = s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(v) || (positive && !(v > 0))) throw usageError(`--${flag} must be a ${positive ? 'number > 0' : 'finite number'}, got '${s}'`);
  return v;
}

/** A comma-separated list of positive integers ("1,2,4"). */
export function parseIntList(flag: string, s: string): number[] {
  const parts = s.split(',');
  if (parts.some((p) => p.trim() === '')) throw usageError(`--${flag} must be a comma-separated list of integers, got '${s}'`);
  return parts.map((p) => parseIntFlag(flag, p.trim()));
}

/** A comma-separated list of finite numbers ("0.485,0.456,0.406"). */
export function parseNumberList(flag: string, s: string, positive = false): number[] {
  const parts = s.split(',');
  if (parts.some((p) => p.trim() === '')) throw usageError(`--${flag} must be a comma-separated list of numbers, got '${s}'`);
  return parts.map((p) => parseNumberFlag(flag, p.trim(), positive));
}

/** Dims written as "1x3x224x224" (each >= 1). */
export function parseDims(flag: string, s: string): number[] {
  const parts = s.toLowerCase().split('x');
  if (parts.some((p) => !/^\d+$/.test(p.trim()) || Number(p) < 1 || !Number.isSafeInteger(Number(p))))
    throw usageError(`--${flag} must be dims like 1x3x224x224 (integers >= 1), got '${s}'`);
  return parts.map(Number);
}

/** "name=value" (name required) or, when allowed, a bare value. */
export function splitNamed(flag: string, s: string, requireName: boolean): { name?: string; value: string } {
  const eq = s.indexOf('=');
  if (eq < 0) {
    if (requireName) throw usageError(`--${flag} must be name=value, got '${s}'`);
    return { value: s };
  }
  const name = s.slice(0, eq);
  const value = s.slice(eq + 1);
  if (!name || !value) throw usageError(`--${flag} must be name=value, got '${s}'`);
  return { name, value };
}

/** Checks that a command got between min and max positional arguments. */
export function expectPositionals(p: ParsedArgs, command: string, names: string[], max = names.length): string[] {
  if (p.positionals.length < names.length) throw usageError(`${command}: missing ${names.slice(p.positionals.length).join(' and ')} (see qint8 ${command} --help)`);
  if (p.positionals.length > max) throw usageError(`${command}: unexpected argument '${p.positionals[max]}' (see qint8 ${command} --help)`);
  return p.positionals;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatSeconds(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Right-aligned columns (the first column left-aligned), two spaces apart. */
export function table(rows: string[][], alignLeft = 1): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i < alignLeft ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}
