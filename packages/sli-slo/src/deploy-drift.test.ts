import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from '@autoweave/test-utils';
import { DEFAULT_SLOS } from './defaults';
import { SLO_FILES, generateSloFiles } from './generate';

const run = promisify(execFile);
const DEPLOY_DIR = join(__dirname, '..', '..', '..', 'deploy', 'prometheus');
/** Run from the repository root. */
const REGENERATE =
  'pnpm --filter @autoweave/sli-slo build && node packages/sli-slo/dist/cli.js generate --defaults --out deploy/prometheus';

/** A short line diff: the first differing lines with their numbers, enough to see what changed. */
function diff(committed: string, generated: string, maxLines = 12): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const out: string[] = [];
  let differing = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    differing++;
    if (out.length < maxLines) {
      if (a[i] !== undefined) out.push(`  ${i + 1} - ${a[i]}`);
      if (b[i] !== undefined) out.push(`  ${i + 1} + ${b[i]}`);
    }
  }
  return `${out.join('\n')}${differing * 2 > maxLines ? `\n  ... ${differing} differing lines in all` : ''}`;
}

async function committed(name: string): Promise<string | undefined> {
  try {
    return await readFile(join(DEPLOY_DIR, name), 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Every `.yml`/`.yaml` under `dir`, as `/`-separated paths relative to it. */
async function yamlFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await yamlFiles(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(`${prefix}${entry.name}`);
  }
  return out;
}

describe('deploy/prometheus', () => {
  it('holds exactly what the default SLOs generate', async () => {
    const expected = generateSloFiles(DEFAULT_SLOS);
    const problems: string[] = [];
    for (const [name, contents] of Object.entries(expected)) {
      const current = await committed(name);
      if (current === undefined) problems.push(`deploy/prometheus/${name} is missing`);
      else if (current !== contents) {
        problems.push(
          `deploy/prometheus/${name} differs from the code (- committed, + generated):\n${diff(current, contents)}`,
        );
      }
    }
    for (const name of await yamlFiles(DEPLOY_DIR)) {
      if (!(name in expected)) problems.push(`deploy/prometheus/${name} is no longer generated; delete it`);
    }
    if (problems.length > 0) {
      throw new Error(
        `${problems.join('\n')}\n\nThe generated files drifted from the SLO definitions. Run \`${REGENERATE}\` from the repository root and commit the result.`,
      );
    }
  });

  it('passes promtool check rules and the generated promtool test rules suites', async () => {
    const promtool = findBinary('promtool', 'PROMTOOL_BIN');
    const files = Object.keys(generateSloFiles(DEFAULT_SLOS));
    const rules = files.filter((f) => f.startsWith(`${SLO_FILES.rulesDir}/`));
    const suites = files.filter((f) => f.startsWith(`${SLO_FILES.testsDir}/`));
    const check = await run(promtool, ['check', 'rules', ...rules], { cwd: DEPLOY_DIR });
    expect(check.stdout.match(/SUCCESS: \d+ rules found/g)).toHaveLength(rules.length);
    // One promtool per suite, as many at once as there are CPUs: the suites are independent.
    const queue = [...suites];
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let suite = queue.shift(); suite !== undefined; suite = queue.shift()) {
        try {
          await run(promtool, ['test', 'rules', suite.slice(SLO_FILES.testsDir.length + 1)], {
            cwd: join(DEPLOY_DIR, SLO_FILES.testsDir),
          });
        } catch (error) {
          const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
          failures.push(`promtool test rules ${suite} failed:\n${(stdout + stderr).slice(0, 3000)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
    expect(failures).toEqual([]);
  }, 180_000);
});
