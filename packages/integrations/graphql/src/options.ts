// Checks the plugin's options once, at creation, and fills in the defaults; an error names the option
// and says what to change, so a misconfiguration fails at startup instead of silently recording nothing.
import type {
  AutoweaveGraphQLOptions,
  GraphQLGuardOptions,
  OperationNameBound,
  ResolverTracing,
} from './types';

/** An option of the GraphQL plugin cannot be used; `field` names it. */
export class GraphQLOptionsError extends Error {
  override readonly name = 'GraphQLOptionsError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export const GUARD_DEFAULTS = Object.freeze({
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 1000,
  maxCost: 5000,
  maxDirectives: 50,
  blockFieldSuggestions: true,
});

export interface ResolvedGuards {
  readonly maxDepth: number | false;
  readonly maxAliases: number | false;
  readonly maxTokens: number | false;
  readonly maxCost: number | false;
  readonly maxDirectives: number | false;
  readonly blockFieldSuggestions: boolean;
}

export interface ResolvedOptions {
  readonly resolvers: ResolverTracing;
  readonly maxResolverSpans: number;
  readonly listItemSpans: 'first' | 'all';
  readonly traceTrivialResolvers: boolean;
  readonly followParentSampling: boolean;
  readonly resolverMetrics: 'sampled' | 'all';
  readonly resolverFieldCap: number;
  readonly operationNames: { readonly allow: readonly string[]; readonly cap: number };
  readonly includeDocument: boolean;
  readonly guards: ResolvedGuards | false;
  readonly maskErrors: boolean;
}

const RESOLVER_MODES = ['non-default', 'all', 'none'] as const satisfies readonly ResolverTracing[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new GraphQLOptionsError(
      field,
      `must be ${allowed.map((a) => `'${a}'`).join(', ')}; got ${show(value)}`,
    );
  }
  return value as T;
}

function count(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new GraphQLOptionsError(field, `must be an integer >= ${min}, got ${show(value)}`);
  }
  return value;
}

function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new GraphQLOptionsError(field, `must be true or false, got ${show(value)}`);
  return value;
}

function limit(field: string, value: unknown, fallback: number): number | false {
  if (value === false) return false;
  return count(field, value, fallback, 1);
}

export function resolveGuards(prefix: string, guards: GraphQLGuardOptions | undefined): ResolvedGuards {
  const raw: unknown = guards ?? {};
  if (!isObject(raw)) throw new GraphQLOptionsError(prefix, 'must be an object of limits or false');
  const g = raw as GraphQLGuardOptions;
  return {
    maxDepth: limit(`${prefix}.maxDepth`, g.maxDepth, GUARD_DEFAULTS.maxDepth),
    maxAliases: limit(`${prefix}.maxAliases`, g.maxAliases, GUARD_DEFAULTS.maxAliases),
    maxTokens: limit(`${prefix}.maxTokens`, g.maxTokens, GUARD_DEFAULTS.maxTokens),
    maxCost: limit(`${prefix}.maxCost`, g.maxCost, GUARD_DEFAULTS.maxCost),
    maxDirectives: limit(`${prefix}.maxDirectives`, g.maxDirectives, GUARD_DEFAULTS.maxDirectives),
    blockFieldSuggestions: flag(
      `${prefix}.blockFieldSuggestions`,
      g.blockFieldSuggestions,
      GUARD_DEFAULTS.blockFieldSuggestions,
    ),
  };
}

function resolveOperationNames(
  value: AutoweaveGraphQLOptions['operationNames'],
): ResolvedOptions['operationNames'] {
  const field = 'operationNames';
  if (value === undefined) return { allow: [], cap: 50 };
  const names = (list: unknown, where: string): readonly string[] => {
    if (!Array.isArray(list) || !list.every((n) => typeof n === 'string' && n.length > 0)) {
      throw new GraphQLOptionsError(where, 'must be an array of non-empty operation names');
    }
    return Object.freeze([...(list as string[])]);
  };
  if (Array.isArray(value)) return { allow: names(value, field), cap: 0 };
  const raw: unknown = value;
  if (!isObject(raw)) throw new GraphQLOptionsError(field, 'must be an array of names or { allow?, cap? }');
  const bound = raw as OperationNameBound;
  return {
    allow: bound.allow === undefined ? [] : names(bound.allow, `${field}.allow`),
    cap: count(`${field}.cap`, bound.cap, 50, 0),
  };
}

export function checkLogger(logger: unknown): void {
  if (logger === undefined) return;
  const l = isObject(logger) ? logger : {};
  if (typeof l['warn'] !== 'function' || typeof l['error'] !== 'function') {
    throw new GraphQLOptionsError(
      'logger',
      'must have warn(message, meta?) and error(message, meta?) methods',
    );
  }
}

export function resolveOptions(options: AutoweaveGraphQLOptions): ResolvedOptions {
  const raw: unknown = options;
  if (!isObject(raw)) throw new GraphQLOptionsError('options', 'must be an object');
  if (options.tracerProvider !== undefined && typeof options.tracerProvider?.getTracer !== 'function') {
    throw new GraphQLOptionsError('tracerProvider', 'must be an OpenTelemetry TracerProvider (getTracer)');
  }
  if (options.metrics !== undefined && typeof options.metrics?.histogram !== 'function') {
    throw new GraphQLOptionsError(
      'metrics',
      'must be a MetricsHandle from createMetrics() of @autoweave/metrics',
    );
  }
  if (options.variableAttributes !== undefined && typeof options.variableAttributes !== 'function') {
    throw new GraphQLOptionsError(
      'variableAttributes',
      'must be a function (variables, operationName) => attributes',
    );
  }
  if (options.redactor !== undefined && typeof options.redactor?.redactAttributes !== 'function') {
    throw new GraphQLOptionsError('redactor', 'must have redactAttributes(attributes, tenantId?)');
  }
  checkLogger(options.logger);
  return {
    resolvers: oneOf('resolvers', options.resolvers, RESOLVER_MODES, 'non-default'),
    maxResolverSpans: count('maxResolverSpans', options.maxResolverSpans, 200, 0),
    resolverMetrics: oneOf(
      'resolverMetrics',
      options.resolverMetrics,
      ['sampled', 'all'] as const,
      'sampled',
    ),
    listItemSpans: oneOf('listItemSpans', options.listItemSpans, ['first', 'all'] as const, 'first'),
    traceTrivialResolvers: flag('traceTrivialResolvers', options.traceTrivialResolvers, false),
    followParentSampling: flag('followParentSampling', options.followParentSampling, true),
    resolverFieldCap: count('resolverFieldCap', options.resolverFieldCap, 200, 0),
    operationNames: resolveOperationNames(options.operationNames),
    includeDocument: flag('includeDocument', options.includeDocument, false),
    guards: options.guards === false ? false : resolveGuards('guards', options.guards),
    maskErrors: flag('maskErrors', options.maskErrors, process.env['NODE_ENV'] === 'production'),
  };
}
