// Reads SLO definitions from a file for the CLI and for tools: JSON, YAML (the SloInput shape or
// OpenSLO v1) or a JavaScript module that exports them; validates them all with defineSlos.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { defineSlos } from './define';
import { toSloInput } from './openslo-export';
import { fromOpenSlo } from './openslo-import';
import { isRecord } from './problems';
import type { SloDefinition, SloInput } from './types';

/** SLO files larger than this are refused: definitions are small, a huge file is a mistake. */
export const MAX_SLO_FILE_BYTES = 4 * 1024 * 1024;

/** The file extensions {@link loadSlos} reads, and how. */
export const SLO_FILE_FORMATS: Readonly<Record<string, 'json' | 'yaml' | 'module'>> = Object.freeze({
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.js': 'module',
  '.cjs': 'module',
  '.mjs': 'module',
});

/** The file itself is wrong (unreadable, not JSON/YAML, wrong shape, a module that throws): each problem says what to change. */
export class SloFileError extends Error {
  override readonly name = 'SloFileError';
  readonly problems: readonly string[];
  readonly path: string;
  constructor(problems: readonly string[], path: string) {
    super(`${path}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
    this.problems = Object.freeze([...problems]);
    this.path = path;
  }
}

/** A frozen SloDefinition (from `defineSlo`) rather than an input: it carries derived fields. */
function isDefinition(value: unknown): value is SloDefinition {
  return isRecord(value) && 'windowMs' in value && 'errorBudget' in value && 'windows' in value;
}

const SHAPE_HINT = 'an array of SLO definitions, or { slos: [...] }';

/** The SLO list inside a parsed JSON/YAML value or module export, as inputs. */
function inputsOf(value: unknown, path: string, what: string): SloInput[] {
  let list: unknown = value;
  if (isRecord(value)) {
    const extra = Object.keys(value).filter((k) => k !== 'slos');
    if (!('slos' in value) || extra.length > 0) {
      throw new SloFileError(
        [
          `${what} must be ${SHAPE_HINT}; found ${extra.length > 0 ? `the key${extra.length === 1 ? '' : 's'} ${extra.map((k) => `"${k}"`).join(', ')}` : 'an object without "slos"'}`,
        ],
        path,
      );
    }
    list = value['slos'];
  }
  if (!Array.isArray(list)) {
    throw new SloFileError(
      [`${what} must be ${SHAPE_HINT}, got ${list === null ? 'null' : typeof list}`],
      path,
    );
  }
  return list.map((item: unknown) => (isDefinition(item) ? toSloInput(item) : (item as SloInput)));
}

async function readText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SloFileError(['it is not a file'], path);
    if (info.size > MAX_SLO_FILE_BYTES) {
      throw new SloFileError(
        [`it is ${info.size} bytes; SLO files are limited to ${MAX_SLO_FILE_BYTES} bytes`],
        path,
      );
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof SloFileError) throw error;
    throw new SloFileError([`cannot read the file (${(error as Error).message})`], path);
  }
}

function parseYaml(text: string, path: string): SloInput[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  const errors = list.flatMap((d) =>
    d.errors.map((e) => `not valid YAML: ${(e.message.split('\n')[0] ?? e.code).replace(/:$/, '')}`),
  );
  if (errors.length > 0) throw new SloFileError(errors, path);
  const values = list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  const isOpenSlo = values.some(
    (v) => isRecord(v) && typeof v['apiVersion'] === 'string' && v['apiVersion'].startsWith('openslo'),
  );
  if (isOpenSlo) return fromOpenSlo(text, { source: path });
  if (values.length !== 1) {
    throw new SloFileError(
      [
        values.length === 0
          ? `the file is empty; write ${SHAPE_HINT}`
          : `holds ${values.length} YAML documents; write one document with ${SHAPE_HINT} (or OpenSLO documents with apiVersion: openslo/v1)`,
      ],
      path,
    );
  }
  return inputsOf(values[0], path, 'the YAML document');
}

/** Node's own require, so a module is loaded the way `node` would load it (not through a test runner). */
const nodeRequire = createRequire(__filename);

async function loadModule(path: string): Promise<SloInput[]> {
  const absolute = resolve(path);
  let exported: unknown;
  try {
    try {
      if (absolute.endsWith('.mjs')) throw Object.assign(new Error('ES module'), { code: 'ERR_REQUIRE_ESM' });
      exported = nodeRequire(absolute);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw error;
      exported = await import(pathToFileURL(absolute).href);
    }
  } catch (error) {
    throw new SloFileError(
      [`loading the module failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`],
      path,
    );
  }
  // module.exports = [...]; exports.slos = [...]; export default [...]; export const slos = [...]
  let value: unknown = exported;
  if (isRecord(exported)) {
    if (exported['default'] !== undefined) value = exported['default'];
    else if (exported['slos'] !== undefined) value = exported['slos'];
    if (isRecord(value) && Array.isArray(value['slos'])) value = value['slos'];
  }
  if (!Array.isArray(value)) {
    throw new SloFileError(
      [
        `the module must export an array of SLO definitions (module.exports = [...], export default [...], or a "slos" export); it exports ${isRecord(exported) ? `the keys ${Object.keys(exported).join(', ') || '(none)'}` : typeof exported}`,
      ],
      path,
    );
  }
  return inputsOf(value, path, 'the export');
}

/**
 * Loads and validates the SLO definitions in a file. By extension:
 * - `.json`: an array of {@link SloInput}, or `{ "slos": [...] }`;
 * - `.yaml`/`.yml`: the same shape in one YAML document, or OpenSLO v1 documents (read with
 *   `fromOpenSlo` when any document has `apiVersion: openslo/...`);
 * - `.js`/`.cjs`/`.mjs`: a module exporting the array (`module.exports`, `export default`, or a
 *   `slos` export) of inputs or `defineSlo` results. The module runs with the caller's rights: load
 *   only files you trust. TypeScript sources: compile them first.
 *
 * Throws {@link SloFileError} for the file, `OpenSloError` for OpenSLO it cannot import, and
 * `SloDefinitionError` listing every problem of every definition.
 */
export async function loadSlos(path: string): Promise<readonly SloDefinition[]> {
  const ext = extname(path).toLowerCase();
  const format = SLO_FILE_FORMATS[ext];
  if (format === undefined) {
    throw new SloFileError(
      [
        ext === '.ts' || ext === '.mts' || ext === '.cts'
          ? 'TypeScript is not loaded directly; compile it (tsc) and give the .js file, or export the definitions as JSON'
          : `cannot tell the format from "${ext || '(no extension)'}"; use one of ${Object.keys(SLO_FILE_FORMATS).join(', ')}`,
      ],
      path,
    );
  }
  let inputs: SloInput[];
  if (format === 'module') inputs = await loadModule(path);
  else {
    const text = await readText(path);
    if (format === 'yaml') inputs = parseYaml(text, path);
    else {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new SloFileError([`not valid JSON: ${(error as Error).message}`], path);
      }
      inputs = inputsOf(value, path, 'the JSON value');
    }
  }
  return defineSlos(inputs);
}
