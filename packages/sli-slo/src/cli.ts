#!/usr/bin/env node
// The `autoweave-slo` command: generates rules, inhibit rules, promtool tests and OpenSLO from SLO
// definitions, validates definition files, and converts to and from OpenSLO. Talks to the terminal
// through the streams it is given; exits 0 on success, 1 on invalid input or drift, 2 on bad usage.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument, stringify } from 'yaml';
import { validateSlosAgainst } from './catalog';
import type { MetricCatalogEntry } from './catalog';
import { DEFAULT_SLOS } from './defaults';
import { defineSlos } from './define';
import { GENERATED_FIRST_LINE, SLO_FILES, generateSloFiles } from './generate';
import { SloFileError, loadSlos } from './load';
import { OpenSloError, formatOpenSloProblem } from './openslo';
import { toOpenSlo, toSloInput } from './openslo-export';
import { fromOpenSlo } from './openslo-import';
import { SloDefinitionError, formatProblem } from './problems';
import type { SloDefinition } from './types';

/** Where the CLI writes and which directory relative paths start from. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Default `process.cwd()`. */
  readonly cwd?: string;
}

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

const SLO_FILE_NOTE = `SLO files: .json or .yaml/.yml holding an array of definitions (or { slos: [...] }),
OpenSLO v1 YAML, or a .js/.cjs/.mjs module exporting the array (compile TypeScript first).`;

const USAGE = {
  main: `Usage: autoweave-slo <command> [options]

SLOs as code: Prometheus rules, Alertmanager inhibit rules, promtool tests and OpenSLO from
one set of SLO definitions.

Commands:
  generate         write rules, inhibit rules, promtool tests and OpenSLO for a set of SLOs
  validate         check SLO definition files and list every problem
  export-openslo   print SLO definitions as OpenSLO v1 YAML
  import-openslo   convert OpenSLO v1 YAML into autoweave SLO definitions

Options:
  -h, --help       show this help; \`autoweave-slo <command> --help\` for a command
  -v, --version    print the version

${SLO_FILE_NOTE}

Exit status: 0 success, 1 invalid definitions or generated files out of date, 2 bad usage.
`,
  generate: `Usage: autoweave-slo generate --out DIR [--slos FILE]... [--defaults] [--check]

Writes into DIR, for the SLOs of every FILE and/or the built-in defaults:
  rules/<id>.yml             Prometheus recording and alerting rules (rule_files: [rules/*.yml])
  tests/<id>.test.yml        promtool test rules suites proving the alerts fire and resolve
  tests/<id>.long.test.yml     (run: cd DIR/tests && promtool test rules *.yml)
  alertmanager-inhibit.yml   Alertmanager inhibit_rules: a page silences the ticket of its SLO
  openslo.yml                the SLOs as OpenSLO v1
Generated files of SLOs no longer defined are deleted from rules/ and tests/ (only files that
start with the generated-file header).

Options:
  --out DIR        directory to write into (created when missing)
  --slos FILE      SLO definitions; repeat for several files
  --defaults       include the four default SLOs (DEFAULT_SLOS)
  --check          write nothing; exit 1 when a file in DIR is missing, differs or is stale
  -h, --help       show this help

${SLO_FILE_NOTE}
`,
  validate: `Usage: autoweave-slo validate FILE... [--catalog FILE]

Checks SLO definition files: every problem of every definition is listed with the SLO id and the
field to change, and the rules and promtool suites are generated in memory to prove they can be
(exit 1 on any problem); a summary of each SLO is printed when all are valid (exit 0).

Options:
  --catalog FILE   also check metric names, types, labels and latency buckets against a JSON or
                   YAML list of { name, type, labelNames?, buckets? } (the metrics you expose)
  -h, --help       show this help

${SLO_FILE_NOTE}
`,
  'export-openslo': `Usage: autoweave-slo export-openslo [--slos FILE]... [--defaults] [--out FILE]

Prints the SLOs as OpenSLO v1 YAML (one kind: SLO document each), or writes them to --out.
groupBy, minEvents, runbookUrl and non-default tiers travel as autoweave.dev/* annotations.

Options:
  --slos FILE      SLO definitions; repeat for several files
  --defaults       include the four default SLOs (DEFAULT_SLOS)
  --out FILE       write to FILE instead of standard output
  -h, --help       show this help
`,
  'import-openslo': `Usage: autoweave-slo import-openslo FILE [--out FILE] [--format yaml|json]

Converts OpenSLO v1 YAML into autoweave SLO definitions ({ slos: [...] }), which \`validate\`,
\`generate --slos\` and loadSlos() read. Supported: rolling windows, Occurrences budgeting, one
objective, ratioMetric with counter: true over Prometheus counter selectors (a _bucket{le=...}
good over a _count total is a latency SLI). Anything else is listed as an error naming the
document and field.

Options:
  --out FILE       write to FILE instead of standard output
  --format FORMAT  yaml or json; default from the --out extension, else yaml
  -h, --help       show this help
`,
} as const;

type Command = Exclude<keyof typeof USAGE, 'main'>;

/** Raised for bad usage: the message goes to stderr above the command's usage, exit 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly command: Command | 'main',
  ) {
    super(message);
  }
}

function version(): string {
  const pkg = createRequire(__filename)('../package.json') as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Every problem line of the errors loading and validating definitions throw; undefined for others. */
function problemLines(error: unknown): string[] | undefined {
  if (error instanceof SloDefinitionError) return error.problems.map(formatProblem);
  if (error instanceof OpenSloError) {
    return error.problems.map((p) => `${error.source}: ${formatOpenSloProblem(p)}`);
  }
  if (error instanceof SloFileError) return error.problems.map((p) => `${error.path}: ${p}`);
  return undefined;
}

function parse(
  command: Command,
  args: readonly string[],
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] as string, command);
  }
}

/** The SLOs of `--slos` files and `--defaults`, validated together (so duplicate ids across files show). */
async function collectSlos(
  command: Command,
  files: readonly string[],
  defaults: boolean,
  cwd: string,
): Promise<readonly SloDefinition[]> {
  if (files.length === 0 && !defaults) {
    throw new UsageError('give --slos FILE or --defaults (or both)', command);
  }
  const all: SloDefinition[] = defaults ? [...DEFAULT_SLOS] : [];
  for (const file of files) all.push(...(await loadSlos(resolve(cwd, file))));
  // Re-validating the union catches an id used in two files (the rules would collide).
  return files.length + (defaults ? 1 : 0) > 1 ? defineSlos(all.map(toSloInput)) : all;
}

function strings(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return Array.isArray(value) ? value : [value];
}

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function generate(args: readonly string[], io: Required<CliIo>): Promise<number> {
  const { values, positionals } = parse('generate', args, {
    out: { type: 'string' },
    slos: { type: 'string', multiple: true },
    defaults: { type: 'boolean' },
    check: { type: 'boolean' },
  });
  if (values['help'] === true) return help('generate', io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'generate');
  const out = values['out'];
  if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required', 'generate');
  const slos = await collectSlos('generate', strings(values['slos']), values['defaults'] === true, io.cwd);
  const files = generateSloFiles(slos);
  const dir = resolve(io.cwd, out);
  const stale = await staleFiles(dir, files);
  if (values['check'] === true) {
    let outdated = stale.length;
    for (const [name, contents] of Object.entries(files)) {
      const path = join(dir, name);
      const current = await readIfExists(path);
      if (current !== contents) outdated++;
      const state = current === undefined ? 'missing' : current === contents ? 'up to date' : 'differs';
      io.stdout.write(`${state}: ${display(path, io.cwd)}\n`);
    }
    for (const path of stale) io.stdout.write(`stale: ${display(path, io.cwd)}\n`);
    if (outdated > 0) {
      io.stderr.write(
        `${outdated} generated file${outdated === 1 ? ' is' : 's are'} out of date; run the same command without --check to regenerate\n`,
      );
      return EXIT_INVALID;
    }
    return EXIT_OK;
  }
  for (const [name, contents] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
    io.stdout.write(`wrote ${display(path, io.cwd)} (${contents.split('\n').length - 1} lines)\n`);
  }
  for (const path of stale) {
    await rm(path);
    io.stdout.write(`deleted ${display(path, io.cwd)} (its SLO is no longer defined)\n`);
  }
  io.stdout.write(`${slos.length} SLO${slos.length === 1 ? '' : 's'}: ${slos.map((s) => s.id).join(', ')}\n`);
  return EXIT_OK;
}

/** Generated files in DIR's rules/ and tests/ that the current SLOs no longer produce. */
async function staleFiles(dir: string, files: Readonly<Record<string, string>>): Promise<string[]> {
  const stale: string[] = [];
  for (const sub of [SLO_FILES.rulesDir, SLO_FILES.testsDir]) {
    let names: string[];
    try {
      names = await readdir(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!/\.ya?ml$/.test(name) || `${sub}/${name}` in files) continue;
      const text = await readIfExists(join(dir, sub, name));
      if (text?.startsWith(GENERATED_FIRST_LINE)) stale.push(join(dir, sub, name));
    }
  }
  return stale;
}

function percent(objective: number): string {
  return `${Number((objective * 100).toPrecision(12))}%`;
}

function sliSummary(slo: SloDefinition): string {
  const sli = slo.sli;
  if (sli.kind === 'latency') return `latency ≤ ${sli.thresholdSeconds} s of ${sli.histogram}`;
  return `ratio ${sli.bad !== undefined ? 'bad' : 'good'}/total of ${sli.total.metric}`;
}

async function readCatalog(path: string): Promise<readonly MetricCatalogEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SloFileError([`cannot read the metric catalog (${(error as Error).message})`], path);
  }
  const isJson = extname(path).toLowerCase() === '.json';
  let value: unknown;
  try {
    value = isJson ? JSON.parse(text) : parseDocument(text).toJS();
  } catch (error) {
    throw new SloFileError([`not valid ${isJson ? 'JSON' : 'YAML'}: ${(error as Error).message}`], path);
  }
  const list = Array.isArray(value) ? value : (value as { metrics?: unknown } | null)?.metrics;
  if (
    !Array.isArray(list) ||
    !list.every(
      (e) => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string',
    )
  ) {
    throw new SloFileError(
      ['the metric catalog must be a list (or { metrics: [...] }) of { name, type, labelNames?, buckets? }'],
      path,
    );
  }
  return list as MetricCatalogEntry[];
}

async function validate(args: readonly string[], io: Required<CliIo>): Promise<number> {
  const { values, positionals } = parse('validate', args, { catalog: { type: 'string' } });
  if (values['help'] === true) return help('validate', io);
  if (positionals.length === 0) throw new UsageError('give the SLO file(s) to validate', 'validate');
  const catalogPath = values['catalog'];
  const catalog =
    typeof catalogPath === 'string' ? await readCatalog(resolve(io.cwd, catalogPath)) : undefined;
  let failed = 0;
  for (const file of positionals) {
    const path = resolve(io.cwd, file);
    let slos: readonly SloDefinition[];
    try {
      slos = await loadSlos(path);
    } catch (error) {
      const lines = problemLines(error);
      if (lines === undefined) throw error;
      io.stderr.write(`${file}: ${lines.length} problem${lines.length === 1 ? '' : 's'}\n`);
      for (const line of lines) io.stderr.write(`  ${line}\n`);
      failed++;
      continue;
    }
    const problems = catalog !== undefined ? validateSlosAgainst(slos, catalog) : [];
    if (problems.length > 0) {
      io.stderr.write(
        `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} against the metric catalog\n`,
      );
      for (const p of problems) io.stderr.write(`  ${formatProblem(p)}\n`);
      failed++;
      continue;
    }
    try {
      // Some definitions are valid yet cannot be turned into rules or tests; say so now, not at generate.
      generateSloFiles(slos);
    } catch (error) {
      io.stderr.write(`${file}: cannot generate rules and tests: ${(error as Error).message}\n`);
      failed++;
      continue;
    }
    io.stdout.write(`${file}: ${slos.length} SLO${slos.length === 1 ? '' : 's'} valid\n`);
    for (const slo of slos) {
      const tiers = slo.tiers.map((t) => `${t.name} ${t.factor}×`).join(', ');
      io.stdout.write(
        `  ${slo.id} (${slo.service}): ${percent(slo.objective)} over ${slo.window}, ${sliSummary(slo)}` +
          `${slo.groupBy.length > 0 ? `, by ${slo.groupBy.join(', ')}` : ''}; tiers: ${tiers || 'none'}\n`,
      );
    }
  }
  return failed > 0 ? EXIT_INVALID : EXIT_OK;
}

async function output(text: string, out: string | undefined, io: Required<CliIo>): Promise<void> {
  if (out === undefined) {
    io.stdout.write(text);
    return;
  }
  const path = resolve(io.cwd, out);
  await writeFile(path, text);
  io.stderr.write(`wrote ${display(path, io.cwd)}\n`);
}

async function exportOpenSlo(args: readonly string[], io: Required<CliIo>): Promise<number> {
  const { values, positionals } = parse('export-openslo', args, {
    slos: { type: 'string', multiple: true },
    defaults: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values['help'] === true) return help('export-openslo', io);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"; give files with --slos`, 'export-openslo');
  }
  const slos = await collectSlos(
    'export-openslo',
    strings(values['slos']),
    values['defaults'] === true,
    io.cwd,
  );
  const out = values['out'];
  await output(toOpenSlo(slos), typeof out === 'string' ? out : undefined, io);
  return EXIT_OK;
}

async function importOpenSlo(args: readonly string[], io: Required<CliIo>): Promise<number> {
  const { values, positionals } = parse('import-openslo', args, {
    out: { type: 'string' },
    format: { type: 'string' },
  });
  if (values['help'] === true) return help('import-openslo', io);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'give the OpenSLO file' : 'give one OpenSLO file',
      'import-openslo',
    );
  }
  const out = typeof values['out'] === 'string' ? values['out'] : undefined;
  const format =
    values['format'] ?? (out !== undefined && extname(out).toLowerCase() === '.json' ? 'json' : 'yaml');
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`--format must be yaml or json, got "${String(format)}"`, 'import-openslo');
  }
  const file = positionals[0] as string;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new SloFileError([`cannot read the file (${(error as Error).message})`], file);
  }
  const slos = fromOpenSlo(text, { source: file });
  const result = { slos };
  await output(
    format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : stringify(result, { lineWidth: 0 }),
    out,
    io,
  );
  return EXIT_OK;
}

function help(command: Command | 'main', io: Required<CliIo>): number {
  io.stdout.write(USAGE[command]);
  return EXIT_OK;
}

const COMMANDS: Record<Command, (args: readonly string[], io: Required<CliIo>) => Promise<number>> = {
  generate,
  validate,
  'export-openslo': exportOpenSlo,
  'import-openslo': importOpenSlo,
};

/**
 * Runs `autoweave-slo` with `argv` (without `node` and the script) and resolves to the exit status:
 * 0 success, 1 invalid definitions or out-of-date files, 2 bad usage. Never calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const full: Required<CliIo> = { ...io, cwd: io.cwd ?? process.cwd() };
  const [first, ...rest] = argv;
  let command: Command | 'main' = 'main';
  try {
    if (first === undefined) throw new UsageError('give a command', 'main');
    if (first === '-h' || first === '--help' || first === 'help') {
      const topic = rest[0];
      return help(topic !== undefined && topic in COMMANDS ? (topic as Command) : 'main', full);
    }
    if (first === '-v' || first === '--version') {
      full.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (!(first in COMMANDS)) throw new UsageError(`unknown command "${first}"`, 'main');
    command = first as Command;
    return await COMMANDS[command](rest, full);
  } catch (error) {
    if (error instanceof UsageError) {
      full.stderr.write(
        `autoweave-slo${error.command === 'main' ? '' : ` ${error.command}`}: ${error.message}\n\n`,
      );
      full.stderr.write(USAGE[error.command]);
      return EXIT_USAGE;
    }
    const lines = problemLines(error);
    if (lines !== undefined) {
      full.stderr.write(
        `autoweave-slo ${command}: ${lines.length} problem${lines.length === 1 ? '' : 's'}\n`,
      );
      for (const line of lines) full.stderr.write(`  ${line}\n`);
      return EXIT_INVALID;
    }
    full.stderr.write(
      `autoweave-slo ${command}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT_INVALID;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
