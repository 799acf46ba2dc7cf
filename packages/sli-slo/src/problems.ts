// Definition problems and the helpers every check reports with: show, isRecord, checkUnknownKeys.
import { closest } from './names';

/** One thing wrong with a definition: where (`objective`, `tiers[1].longWindow`) and what to change. */
export interface SloProblem {
  /** The SLO's id when known (always, for `defineSlos` and catalog checks). */
  readonly sloId?: string;
  /** Field path inside the definition, e.g. `sli.total.metric`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by `defineSlo`/`defineSlos` with every problem found, each with its path and the fix. */
export class SloDefinitionError extends Error {
  override readonly name = 'SloDefinitionError';
  readonly problems: readonly SloProblem[];
  constructor(problems: readonly SloProblem[]) {
    super(
      `Invalid SLO definition (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems
        .map(formatProblem)
        .join('\n  ')}`,
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** `"availability" objective: ...` — the one-line form used in error messages and by the CLI. */
export function formatProblem(problem: SloProblem): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  return `${problem.sloId !== undefined ? `"${problem.sloId}" ` : ''}${where}${problem.message}`;
}

export type Problems = { add(path: string, message: string): void };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return `a ${typeof value} that cannot be shown`;
  }
}

export function checkUnknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  problems: Problems,
  derived: readonly string[] = [],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key) || derived.includes(key)) continue;
    const hint = closest(key, known);
    problems.add(
      `${prefix}${key}`,
      `unknown field${hint !== undefined ? `; did you mean "${hint}"?` : `; known fields: ${known.join(', ')}`}`,
    );
  }
}
