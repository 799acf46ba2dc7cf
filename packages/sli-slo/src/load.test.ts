import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_SLOS } from './defaults';
import { defineSlos } from './define';
import { SloFileError, loadSlos } from './load';
import { OpenSloError } from './openslo';
import { toOpenSlo, toSloInput } from './openslo-export';
import { SloDefinitionError } from './problems';
import type { SloInput } from './types';
import { CHECKOUT_ERRORS } from './test-fixtures/checkout';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sli-slo-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const checkout: SloInput = {
  ...CHECKOUT_ERRORS,
  groupBy: ['tenant_id'],
  labels: { team: 'payments' },
};
const defaultInputs = DEFAULT_SLOS.map(toSloInput);

describe('loadSlos', () => {
  it('reads a JSON array of definitions and validates them', async () => {
    const path = await file('slos.json', JSON.stringify([checkout, ...defaultInputs]));
    expect(await loadSlos(path)).toEqual(defineSlos([checkout, ...defaultInputs]));
  });

  it('reads { slos: [...] } from JSON and from YAML', async () => {
    const json = await file('wrapped.json', JSON.stringify({ slos: [checkout] }));
    const yaml = await file('wrapped.yml', stringify({ slos: [checkout] }));
    expect(await loadSlos(json)).toEqual(defineSlos([checkout]));
    expect(await loadSlos(yaml)).toEqual(defineSlos([checkout]));
  });

  it('reads OpenSLO v1 YAML', async () => {
    const path = await file('openslo.yaml', toOpenSlo(DEFAULT_SLOS));
    expect(await loadSlos(path)).toEqual(DEFAULT_SLOS);
  });

  it('reads a CommonJS module exporting inputs and defineSlo results', async () => {
    // The module cannot require the TypeScript source, so its defineSlo result is copied in as JSON.
    const definition = JSON.stringify(DEFAULT_SLOS[0]);
    const path = await file(
      'slos.cjs',
      `module.exports = [${JSON.stringify(checkout)}, Object.freeze(${definition})];\n`,
    );
    expect(await loadSlos(path)).toEqual(defineSlos([checkout, defaultInputs[0]!]));
    const named = await file('named.cjs', `exports.slos = ${JSON.stringify([checkout])};\n`);
    expect(await loadSlos(named)).toEqual(defineSlos([checkout]));
  });

  it('lists every problem of every definition, with the SLO id and field', async () => {
    const path = await file(
      'bad.yaml',
      stringify([
        { ...checkout, objective: 99.9 },
        { ...checkout, window: '1h', sli: { ...checkout.sli, total: { metric: 'checkout_requests' } } },
      ]),
    );
    const error = await rejection(loadSlos(path));
    expect(error).toBeInstanceOf(SloDefinitionError);
    expect((error as SloDefinitionError).problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sloId: 'checkout-errors', path: 'objective' }),
        expect.objectContaining({ sloId: 'checkout-errors', path: 'id' }),
        expect.objectContaining({ sloId: 'checkout-errors', path: 'window' }),
        expect.objectContaining({ sloId: 'checkout-errors', path: 'sli.total.metric' }),
      ]),
    );
  });

  it('passes OpenSLO problems through with document and field', async () => {
    const path = await file(
      'timeslices.yaml',
      toOpenSlo([DEFAULT_SLOS[2]!]).replace('Occurrences', 'Timeslices'),
    );
    const error = await rejection(loadSlos(path));
    expect(error).toBeInstanceOf(OpenSloError);
    expect(error.message).toContain(`${path}: cannot import OpenSLO`);
    expect(error.message).toContain('document 1 (SLO "availability"): spec.budgetingMethod');
  });

  const fileErrors: [string, string, string, RegExp][] = [
    ['TypeScript source', 'slos.ts', 'export default []', /compile it \(tsc\) and give the \.js file/],
    ['an unknown extension', 'slos.toml', '', /cannot tell the format from "\.toml"/],
    ['invalid JSON', 'broken.json', '[{', /not valid JSON/],
    ['invalid YAML', 'broken.yaml', 'slos: [', /not valid YAML/],
    ['a misspelled top-level key', 'typo.json', '{"slo": []}', /found the key "slo"/],
    ['several YAML documents', 'multi.yaml', 'slos: []\n---\nslos: []\n', /holds 2 YAML documents/],
    ['an empty YAML file', 'empty.yaml', '', /the file is empty/],
    ['a module exporting an object', 'obj.cjs', 'exports.other = 1;', /must export an array.*the keys other/],
    ['a module that throws', 'throws.cjs', 'throw new Error("boom");', /loading the module failed: boom/],
  ];
  it.each(fileErrors)(
    'rejects %s with a SloFileError saying what to change',
    async (_what, name, text, message) => {
      const path = await file(name, text);
      const error = await rejection(loadSlos(path));
      expect(error).toBeInstanceOf(SloFileError);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(path)).toBe(true);
    },
  );

  it('says when the file cannot be read', async () => {
    const error = await rejection(loadSlos(join(dir, 'missing.json')));
    expect(error).toBeInstanceOf(SloFileError);
    expect(error.message).toMatch(/cannot read the file \(ENOENT/);
  });
});
