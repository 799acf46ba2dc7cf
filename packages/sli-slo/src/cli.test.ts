import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { runCli } from './cli';
import { DEFAULT_SLOS } from './defaults';
import { defineSlos } from './define';
import { SLO_FILES, generateSloFiles } from './generate';
import { loadSlos } from './load';
import { toOpenSlo, toSloInput } from './openslo-export';
import type { SloInput } from './types';
import { CHECKOUT_ERRORS } from './test-fixtures/checkout';

const run = promisify(execFile);
const PACKAGE_DIR = join(__dirname, '..');
const BIN = join(PACKAGE_DIR, 'dist', 'cli.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sli-slo-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const checkout: SloInput = CHECKOUT_ERRORS;

describe('autoweave-slo usage', () => {
  it('prints the usage for --help, and each command its own', async () => {
    const main = await cli('--help');
    expect(main).toMatchObject({ code: 0, stderr: '' });
    expect(main.stdout).toMatch(/^Usage: autoweave-slo <command>/);
    for (const command of ['generate', 'validate', 'export-openslo', 'import-openslo']) {
      const own = await cli(command, '--help');
      expect(own).toMatchObject({ code: 0, stderr: '' });
      expect(own.stdout).toMatch(new RegExp(`^Usage: autoweave-slo ${command} `));
      expect((await cli('help', command)).stdout).toBe(own.stdout);
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  const misuse: [string, string[], RegExp, RegExp][] = [
    ['no command', [], /give a command/, /^Usage: autoweave-slo <command>/m],
    ['an unknown command', ['generat'], /unknown command "generat"/, /^Usage: autoweave-slo <command>/m],
    [
      'an unknown option',
      ['generate', '--outt', 'x'],
      /Unknown option '--outt'/,
      /^Usage: autoweave-slo generate/m,
    ],
    [
      'generate without --out',
      ['generate', '--defaults'],
      /--out DIR is required/,
      /^Usage: autoweave-slo generate/m,
    ],
    [
      'generate without SLOs',
      ['generate', '--out', 'x'],
      /give --slos FILE or --defaults/,
      /generate --out DIR/,
    ],
    ['validate without a file', ['validate'], /give the SLO file/, /^Usage: autoweave-slo validate/m],
    [
      'import without a file',
      ['import-openslo'],
      /give the OpenSLO file/,
      /^Usage: autoweave-slo import-openslo/m,
    ],
    [
      'an unknown format',
      ['import-openslo', 'x.yaml', '--format', 'toml'],
      /yaml or json/,
      /import-openslo FILE/,
    ],
  ];
  it.each(misuse)('exits 2 with the usage on stderr for %s', async (_what, argv, message, usage) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(usage);
  });
});

describe('autoweave-slo generate', () => {
  it('writes rules, rule tests, inhibit rules and OpenSLO for the defaults and says what it wrote', async () => {
    const result = await cli('generate', '--defaults', '--out', 'out/defaults');
    expect(result.code).toBe(0);
    const expected = generateSloFiles(DEFAULT_SLOS);
    expect(Object.keys(expected)).toHaveLength(4 * 3 + 2);
    for (const [name, contents] of Object.entries(expected)) {
      expect(await readFile(join(dir, 'out/defaults', name), 'utf8')).toBe(contents);
      expect(result.stdout).toContain(`wrote ${join('out/defaults', name)} (`);
    }
    expect(result.stdout).toContain(
      '4 SLOs: usb-event-latency, plugin-load-latency, availability, operation-errors',
    );
  });

  it('--check passes on fresh output and fails, naming the file, once one is edited, missing or stale', async () => {
    const out = join(dir, 'out/check');
    await cli('generate', '--defaults', '--out', 'out/check');
    expect(await cli('generate', '--defaults', '--out', 'out/check', '--check')).toMatchObject({
      code: 0,
      stderr: '',
    });
    const rules = join(out, 'rules/availability.yml');
    const generated = await readFile(rules, 'utf8');
    await writeFile(rules, generated.replace('0.0144', '0.014'));
    await rm(join(out, SLO_FILES.openSlo));
    await writeFile(join(out, 'rules/retired.yml'), generated);
    await writeFile(join(out, 'rules/hand-written.yml'), 'groups: []\n');
    const stale = await cli('generate', '--defaults', '--out', 'out/check', '--check');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain(`up to date: ${join('out/check', 'rules/usb-event-latency.yml')}`);
    expect(stale.stdout).toContain(`differs: ${join('out/check', 'rules/availability.yml')}`);
    expect(stale.stdout).toContain(`missing: ${join('out/check', SLO_FILES.openSlo)}`);
    expect(stale.stdout).toContain(`stale: ${join('out/check', 'rules/retired.yml')}`);
    expect(stale.stdout).not.toContain('hand-written');
    expect(stale.stderr).toMatch(/3 generated files are out of date/);

    const regenerated = await cli('generate', '--defaults', '--out', 'out/check');
    expect(regenerated.stdout).toContain(`deleted ${join('out/check', 'rules/retired.yml')}`);
    expect((await readdir(join(out, 'rules'))).sort()).toEqual([
      'availability.yml',
      'hand-written.yml',
      'operation-errors.yml',
      'plugin-load-latency.yml',
      'usb-event-latency.yml',
    ]);
    expect((await cli('generate', '--defaults', '--out', 'out/check', '--check')).code).toBe(0);
  });

  it('combines --slos files with --defaults', async () => {
    await file('checkout.json', JSON.stringify([checkout]));
    expect((await cli('generate', '--slos', 'checkout.json', '--defaults', '--out', 'out/both')).code).toBe(
      0,
    );
    const openslo = await readFile(join(dir, 'out/both', SLO_FILES.openSlo), 'utf8');
    expect(openslo).toContain('name: checkout-errors');
    expect(openslo).toContain('name: availability');
  });

  it('exits 1 listing every problem when a file is invalid or two files share an id, and writes nothing', async () => {
    await file('bad.json', JSON.stringify([{ ...checkout, objective: 99.9, window: '1h' }]));
    const bad = await cli('generate', '--slos', 'bad.json', '--out', 'out/bad');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('autoweave-slo generate: 2 problems');
    expect(bad.stderr).toMatch(/"checkout-errors" objective: must be a fraction/);
    expect(bad.stderr).toMatch(/"checkout-errors" window: "1h" is shorter/);
    await file('again.yaml', stringify([checkout]));
    const dup = await cli('generate', '--slos', 'checkout.json', '--slos', 'again.yaml', '--out', 'out/bad');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/"checkout-errors" id: is also the id of SLO \[0\]/);
    expect(existsSync(join(dir, 'out/bad'))).toBe(false);
  });
});

describe('autoweave-slo validate', () => {
  it('prints a summary of each valid SLO and exits 0', async () => {
    await file('valid.yaml', stringify({ slos: [checkout, ...DEFAULT_SLOS.map(toSloInput)] }));
    const result = await cli('validate', 'valid.yaml');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('valid.yaml: 5 SLOs valid');
    expect(result.stdout).toContain(
      '  checkout-errors (checkout): 99.9% over 30d, ratio bad/total of checkout_requests_total; tiers: page-fast 14.4×, page-slow 6×, ticket-fast 3×, ticket-slow 1×',
    );
    expect(result.stdout).toContain('  usb-event-latency (usb-watcher): 95% over 30d, latency ≤ 0.08 s of');
  });

  it('lists every problem of every file and exits 1', async () => {
    await file(
      'invalid.json',
      JSON.stringify([
        { ...checkout, objective: 1.5 },
        { ...checkout, id: 'Bad Id', sli: { kind: 'latency', histogram: 'x_duration', thresholdSeconds: 0 } },
      ]),
    );
    await file('not-json.json', '{');
    const result = await cli('validate', 'invalid.json', 'not-json.json', 'valid.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid.json: 4 problems');
    expect(result.stderr).toMatch(
      / {2}"checkout-errors" objective: must be a fraction strictly between 0 and 1, got 1\.5/,
    );
    expect(result.stderr).toMatch(/ {2}"Bad Id" id: "Bad Id" must match/);
    expect(result.stderr).toMatch(
      / {2}"Bad Id" sli.histogram: latency histogram "x_duration" must be in seconds/,
    );
    expect(result.stderr).toMatch(
      / {2}"Bad Id" sli.thresholdSeconds: must be a finite number of seconds > 0/,
    );
    expect(result.stderr).toMatch(/not-json.json: 1 problem\n {2}.*not-json.json: not valid JSON/);
    expect(result.stdout).toContain('valid.yaml: 5 SLOs valid');
  });

  it('exits 1 when valid definitions cannot be turned into rules and tests', async () => {
    await file('ungeneratable.json', JSON.stringify([{ ...checkout, groupBy: ['outcome'] }]));
    const result = await cli('validate', 'ungeneratable.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /ungeneratable.json: cannot generate rules and tests: .*groupBy label "outcome" is also a matcher/,
    );
  });

  it('checks metric names and latency buckets against --catalog', async () => {
    await file(
      'catalog.json',
      JSON.stringify([
        { name: 'checkout_request_total', type: 'counter' },
        { name: 'autoweave_usb_event_duration_seconds', type: 'histogram', buckets: [0.05, 0.1] },
      ]),
    );
    await file('two.json', JSON.stringify([checkout, toSloInput(DEFAULT_SLOS[0]!)]));
    const result = await cli('validate', 'two.json', '--catalog', 'catalog.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/did you mean "checkout_request_total"/);
    expect(result.stderr).toMatch(/"usb-event-latency" sli.thresholdSeconds: .*0\.08/);
  });
});

describe('autoweave-slo export-openslo and import-openslo', () => {
  it('exports the defaults and imports them back to the same definitions', async () => {
    const exported = await cli('export-openslo', '--defaults');
    expect(exported).toEqual({ code: 0, stdout: toOpenSlo(DEFAULT_SLOS), stderr: '' });
    await file('defaults.openslo.yaml', exported.stdout);
    const imported = await cli('import-openslo', 'defaults.openslo.yaml', '--out', 'imported.json');
    expect(imported).toMatchObject({ code: 0, stdout: '', stderr: 'wrote imported.json\n' });
    expect(await loadSlos(join(dir, 'imported.json'))).toEqual(DEFAULT_SLOS);
    const asYaml = await cli('import-openslo', 'defaults.openslo.yaml');
    await file('imported.yaml', asYaml.stdout);
    expect(await loadSlos(join(dir, 'imported.yaml'))).toEqual(DEFAULT_SLOS);
  });

  it('exits 1 naming the document and field of what it cannot import', async () => {
    await file('timeslices.yaml', toOpenSlo(defineSlos([checkout])).replace('Occurrences', 'Timeslices'));
    const result = await cli('import-openslo', 'timeslices.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'timeslices.yaml: document 1 (SLO "checkout-errors"): spec.budgetingMethod: Timeslices is not supported',
    );
  });
});

describe('the built bin', () => {
  beforeAll(() => {
    if (!existsSync(BIN))
      throw new Error(`${BIN} is missing; build the package first (pnpm --filter @autoweave/sli-slo build)`);
  });

  it('starts with a node shebang and is packed as the autoweave-slo bin', async () => {
    expect((await readFile(BIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin['autoweave-slo']).toBe('./dist/cli.js');
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PACKAGE_DIR,
    });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/index.js', 'package.json']));
    expect(paths.filter((p) => p.includes('.test.'))).toEqual([]);
  }, 60_000);

  it('runs through a symlink by its shebang, as npm links a global bin, from another directory, with its exit status', async () => {
    const binDir = join(dir, 'global-bin');
    await mkdir(binDir, { recursive: true });
    const link = join(binDir, 'autoweave-slo');
    // npm's bin linker makes the target executable when it links it (tsc writes it 0644).
    await chmod(BIN, 0o755);
    await symlink(BIN, link);
    const out = join(dir, 'bin-out');
    // Run the link itself, as a shell would: the kernel reads the shebang and env finds node on PATH.
    const env = {
      ...process.env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
    };
    const ok = await run(link, ['generate', '--defaults', '--out', out], { cwd: binDir, env });
    expect(ok.stdout).toContain(`wrote ${join(out, 'rules/availability.yml')}`);
    expect((await readdir(out)).sort()).toEqual([
      'alertmanager-inhibit.yml',
      'openslo.yml',
      'rules',
      'tests',
    ]);
    const usage = await run(link, ['nope'], { cwd: tmpdir(), env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "nope"/) });
  });

  it('loads an ES module of definitions', async () => {
    const path = await file('slos.mjs', `export default ${JSON.stringify([checkout])};\n`);
    const { stdout } = await run(process.execPath, [BIN, 'validate', path]);
    expect(stdout).toContain('slos.mjs: 1 SLO valid');
  });
});
