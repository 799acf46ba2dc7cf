// Tenant configuration problems: the error that lists them, and the helpers that word each one
// (paths, shown values, typo suggestions) so every problem reads the same and stays on one line.

/** Problems shown in one error; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 100;

/** Thrown for a tenant configuration that cannot be used; `problems` lists each one as `path: what to change`. */
export class TenantConfigError extends Error {
  override readonly name = 'TenantConfigError';
  /** Each problem on one line (control characters escaped), at most 1000 of them. */
  readonly problems: readonly string[];
  /** How many problems were found, including any beyond `problems`. */
  readonly problemCount: number;

  constructor(
    problems: readonly string[],
    readonly source?: string,
  ) {
    const kept = problems.slice(0, 1000).map(oneLine);
    const shownProblems = kept.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shownProblems.length;
    const where = source === undefined ? '' : ` in ${oneLine(source)}`;
    super(
      `Invalid tenant configuration${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shownProblems.join('\n  ')}${more > 0 ? `\n  …and ${more} more` : ''}`,
    );
    this.problems = kept;
    this.problemCount = problems.length;
  }
}

export function unknownFields(
  raw: Record<string, unknown>,
  known: readonly string[],
  path: string,
  problems: string[],
): void {
  for (const field of Object.keys(raw)) {
    if (known.includes(field)) continue;
    const suggestion = closest(field, known);
    problems.push(
      `${path === '' ? member('', field) : member(path, field)}: unknown field${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`} (known: ${known.join(', ')})`,
    );
  }
}

/** The known name within edit distance 2 (or equal ignoring case), for typos like `allowedIP`. */
function closest(field: string, known: readonly string[]): string | undefined {
  if (field.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const d = name.toLowerCase() === field.toLowerCase() ? 0 : editDistance(field, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Runs a validation step; anything it throws that is not a validation result (a hostile getter, a
 * proxy) becomes a problem at `path` instead of escaping as a TypeError.
 */
export function guard<T>(problems: string[], path: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    problems.push(`${path}: could not be read (${error instanceof Error ? error.message : kind(error)})`);
    return undefined;
  }
}

/** `path.name`, or `path["odd name"]` when the name is not a plain identifier. */
export function member(path: string, name: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(name)) return path === '' ? name : `${path}.${name}`;
  return `${path}[${shown(name)}]`;
}

/** Escapes line breaks and other control characters so one problem stays one log line. */
function oneLine(text: string): string {
  return text.replace(
    /[\p{Cc}\u2028\u2029]/gu,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${shown(value)}`;
}

export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'a list' : typeof value;
}

export function describeList(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const head = items.slice(0, 20).map((s) => JSON.stringify(s));
  return items.length > 20 ? `${head.join(', ')} and ${items.length - 20} more` : head.join(', ');
}
