// Limits for a public GraphQL API, built on graphql-armor: each rejection becomes one clear GraphQL error
// (which limit, its value, what was found) instead of armor's thrown "Syntax Error: …", and is counted by
// rule, also when yoga answers a repeated document from its parse or validation cache.
import type { Plugin } from '@envelop/core';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';
import { failureReporter, type ReportFailure } from './failures';
import { instrumentsFor, type Instruments } from './instruments';
import { checkLogger, resolveGuards, type ResolvedGuards } from './options';
import type { GraphQLGuardsPluginOptions, GuardRule } from './types';

/** The `extensions.code` of every guard rejection. */
export const LIMIT_ERROR_CODE = 'OPERATION_LIMIT_EXCEEDED';

// Errors this module created, with the rule that made them. A WeakMap rather than an extension so a
// client cannot forge a rejection, and cached validation results (same objects) are still recognised.
const rejections = new WeakMap<object, GuardRule>();

/** The guard rule behind `error`, if one of our guards produced it. */
export function ruleOf(error: unknown): GuardRule | undefined {
  return typeof error === 'object' && error !== null ? rejections.get(error) : undefined;
}

const DESCRIPTION: Record<GuardRule, { readonly what: string; readonly option: string }> = {
  depth: { what: 'query depth', option: 'maxDepth' },
  aliases: { what: 'alias count', option: 'maxAliases' },
  tokens: { what: 'token count', option: 'maxTokens' },
  cost: { what: 'query cost', option: 'maxCost' },
  directives: { what: 'directive count', option: 'maxDirectives' },
};

function rejection(rule: GuardRule, max: number, armorError: GraphQLError | undefined): GraphQLError {
  const { what, option } = DESCRIPTION[rule];
  // armor's message ends in "found N." for every rule but tokens, which stops parsing at the first extra one.
  const found = armorError?.message.match(/found (\d+(?:\.\d+)?)/)?.[1];
  const message =
    found === undefined
      ? `Operation rejected: ${what} exceeds the limit of ${max} (${option}).`
      : `Operation rejected: ${what} ${found} exceeds the limit of ${max} (${option}).`;
  const error = new GraphQLError(message, { extensions: { code: LIMIT_ERROR_CODE, limit: { rule, max } } });
  rejections.set(error, rule);
  return error;
}

type ArmorConfig = NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>;

function armorConfig(limits: ResolvedGuards): ArmorConfig {
  // Validation rules report into the ValidationContext, so the document fails validation with our error
  // and the other rules still run; armor's default would throw out of validate().
  const report = (rule: GuardRule, max: number) => ({
    enabled: true,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(rejection(rule, max, err)),
    ],
  });
  const off = { enabled: false };
  return {
    maxDepth: limits.maxDepth === false ? off : { ...report('depth', limits.maxDepth), n: limits.maxDepth },
    maxAliases:
      limits.maxAliases === false ? off : { ...report('aliases', limits.maxAliases), n: limits.maxAliases },
    costLimit:
      limits.maxCost === false ? off : { ...report('cost', limits.maxCost), maxCost: limits.maxCost },
    maxDirectives:
      limits.maxDirectives === false
        ? off
        : { ...report('directives', limits.maxDirectives), n: limits.maxDirectives },
    // Parsing has no context to report into: throwing our error from the callback ends the parse with it.
    maxTokens:
      limits.maxTokens === false
        ? off
        : {
            enabled: true,
            n: limits.maxTokens,
            exposeLimits: true,
            onReject: [
              (_ctx: ValidationContext | null, err: GraphQLError) => {
                throw rejection('tokens', limits.maxTokens as number, err);
              },
            ],
          },
    // An empty mask drops the hint entirely rather than leaving "[Suggestion hidden]" behind.
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions, mask: '' },
  };
}

/** The guards as one envelop plugin; `instruments` (when given) count the rejections. */
export function createGuardsPlugin(
  limits: ResolvedGuards,
  instruments: Instruments | undefined,
  reportFailure: ReportFailure,
): Plugin {
  const armor = EnvelopArmorPlugin(armorConfig(limits));
  const count = (error: unknown): void => {
    if (instruments === undefined) return;
    try {
      const rule = ruleOf(error);
      if (rule !== undefined) instruments.rejected.inc({ rule });
    } catch (err) {
      reportFailure('guard', err);
    }
  };
  return {
    onPluginInit: (payload) => armor.onPluginInit?.(payload),
    instrumentation: {
      parse: (_payload, parse) => {
        try {
          parse();
        } catch (error) {
          count(error);
          throw error;
        }
      },
    },
    onValidate:
      () =>
      ({ result }) =>
        result.forEach(count),
  };
}

/**
 * Depth, alias, token, cost and directive limits (graphql-armor) plus field-suggestion blocking, as an
 * envelop plugin of its own. `useAutoweaveGraphQL` includes it unless `guards: false`; use this one
 * when you want the guards without the telemetry.
 */
export function useAutoweaveGraphQLGuards(options: GraphQLGuardsPluginOptions = {}): Plugin {
  const limits = resolveGuards('options', options);
  checkLogger(options.logger);
  const instruments = options.metrics === undefined ? undefined : instrumentsFor(options.metrics, 50, 200);
  return createGuardsPlugin(limits, instruments, failureReporter(instruments, options.logger));
}
