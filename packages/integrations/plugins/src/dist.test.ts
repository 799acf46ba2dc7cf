// The built package under plain Node (no Jest, no --experimental-vm-modules): the import path users
// get, module reloads (which Jest's ESM loader cannot show), and a process that exits on its own.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, scratchDir, type ScratchDir } from './test-fixtures/helpers';

const DIST = join(__dirname, '..', 'dist', 'index.js');

function runNode(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no Jest flags: the plain runtime users have
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
        stdout,
        stderr,
      });
    });
  });
}

const SCRIPT = String.raw`
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [dist, fixtures, scratch, closeAtEnd] = process.argv.slice(1);
const { createPluginLoader } = require(dist);
const moduleText = (v) => 'export const execute = () => ' + JSON.stringify(v) + ';\n';
(async () => {
  const out = {};
  const local = createPluginLoader({ directory: scratch });
  await local.load('versioned');
  out.first = await local.execute('versioned');
  writeFileSync(join(scratch, 'versioned', 'index.mjs'), moduleText('v2'));
  await local.unload('versioned');
  await local.load('versioned');
  out.reloaded = await local.execute('versioned');

  const loader = createPluginLoader({ directory: fixtures });
  await Promise.all(['echo', 'hanging', 'busy'].map((n) => loader.load(n)));
  out.echo = await loader.execute('echo', 'plain node');
  out.hanging = await loader.execute('hanging').catch((e) => e.reason);
  out.busy = await loader.execute('busy', { mode: 'spin' }, { timeoutMs: 200 }).catch((e) => e.reason);
  out.busyAfter = await loader.execute('busy').then((r) => r.value);
  process.stdout.write(JSON.stringify(out));
  if (closeAtEnd === 'close') {
    await local.close();
    await loader.close();
  }
})().catch((e) => {
  process.stderr.write(String(e && e.stack));
  process.exitCode = 1;
});
`;

describe('the built package under plain Node', () => {
  let scratch: ScratchDir;
  beforeAll(() => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing; run the build first (turbo's test task does)`);
  });
  beforeEach(async () => {
    scratch = await scratchDir();
    await scratch.plugin(
      'versioned',
      { name: 'versioned', version: '1.0.0', entry: 'index.mjs' },
      { 'index.mjs': 'export const execute = () => "v1";\n' },
    );
  });
  afterEach(() => scratch.remove());

  const expected = {
    first: 'v1',
    reloaded: 'v2',
    echo: { input: 'plain node', plugin: { name: 'echo', version: '1.2.3' }, aborted: false },
    hanging: 'timeout',
    busy: 'timeout',
    busyAfter: null,
  };

  test('loads, reloads the current code, times out and terminates plugins; close lets the process exit', async () => {
    const run = await runNode(SCRIPT, [DIST, FIXTURES, scratch.root, 'close']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject(expected);
  });

  test('a process that never closes its loader still exits: idle plugin workers do not hold it', async () => {
    const run = await runNode(SCRIPT, [DIST, FIXTURES, scratch.root, 'keep']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject(expected);
  });
});
