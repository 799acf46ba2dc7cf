// OpenSLO v1 interchange, the parts export (openslo-export.ts) and import (openslo-import.ts) share: the
// autoweave.dev/* annotations, the problem type and error of an import, and the types its readers pass.

/** Prefix of the annotations that carry what OpenSLO has no field for (groupBy, minEvents, runbook, tiers). */
export const OPENSLO_ANNOTATION_PREFIX = 'autoweave.dev/';
export const ANNOTATION = {
  groupBy: `${OPENSLO_ANNOTATION_PREFIX}group-by`,
  minEvents: `${OPENSLO_ANNOTATION_PREFIX}min-events`,
  runbookUrl: `${OPENSLO_ANNOTATION_PREFIX}runbook-url`,
  tiers: `${OPENSLO_ANNOTATION_PREFIX}tiers`,
} as const;

/** One thing in an OpenSLO text that cannot be imported: which document, which field, and why. */
export interface OpenSloProblem {
  /** 1-based position of the YAML document in the text. */
  readonly document: number;
  readonly kind?: string;
  /** `metadata.name` of the document, when it has one. */
  readonly name?: string;
  /** Field path inside the document, e.g. `spec.timeWindow[0].duration`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by {@link fromOpenSlo} with every problem of every document. */
export class OpenSloError extends Error {
  override readonly name = 'OpenSloError';
  readonly problems: readonly OpenSloProblem[];
  readonly source: string;
  constructor(problems: readonly OpenSloProblem[], source: string) {
    super(
      `${source}: cannot import OpenSLO (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems
        .map(formatOpenSloProblem)
        .join('\n  ')}`,
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.source = source;
  }
}

/** `document 2 (SLO "checkout"): spec.budgetingMethod: ...` — the one-line form used by the CLI. */
export function formatOpenSloProblem(problem: OpenSloProblem): string {
  const what =
    problem.kind !== undefined
      ? ` (${problem.kind}${problem.name !== undefined ? ` "${problem.name}"` : ''})`
      : problem.name !== undefined
        ? ` ("${problem.name}")`
        : '';
  return `document ${problem.document}${what}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

export interface Doc {
  readonly index: number;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  readonly value: Record<string, unknown>;
}

export interface Context {
  readonly slis: ReadonlyMap<string, Doc>;
  readonly dataSources: ReadonlyMap<string, Doc>;
}

/** A value in an import message (`nothing` when the field is missing). */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return `a ${typeof value} that cannot be shown`;
  }
}

export type Report = (path: string, message: string) => void;
