// Limits for a public GraphQL API, built on graphql-armor: each rejection becomes one clear GraphQL error
// (which limit, its value, what was found) instead of armor's thrown "Syntax Error: …", and is counted by
// rule, also when yoga answers a repeated document from its parse or validation cache.
import type { Plugin } from '@envelop/core';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
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

type RejectCallback = (ctx: ValidationContext | null, err: GraphQLError) => void;

/** Rules report into the ValidationContext, so the document fails validation with our error and the other rules still run; armor's default would throw out of validate(). */
function reporting(
  rule: GuardRule,
  max: number,
): {
  exposeLimits: true;
  propagateOnRejection: false;
  onReject: RejectCallback[];
} {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(ctx, err) => ctx?.reportError(rejection(rule, max, err))],
  };
}

/** The configured limits as validation rules, made once: every request adds the same rule objects. */
function validationRules(limits: ResolvedGuards): ValidationRule[] {
  // armor's envelop order (directives, aliases, cost, depth), so errors come in the same order as before
  const rules: ValidationRule[] = [];
  if (limits.maxDirectives !== false)
    rules.push(
      maxDirectivesRule({ ...reporting('directives', limits.maxDirectives), n: limits.maxDirectives }),
    );
  if (limits.maxAliases !== false)
    rules.push(maxAliasesRule({ ...reporting('aliases', limits.maxAliases), n: limits.maxAliases }));
  if (limits.maxCost !== false)
    rules.push(costLimitRule({ ...reporting('cost', limits.maxCost), maxCost: limits.maxCost }));
  if (limits.maxDepth !== false)
    rules.push(maxDepthRule({ ...reporting('depth', limits.maxDepth), n: limits.maxDepth }));
  return rules;
}

/** Parsing has no context to report into: throwing our error from the callback ends the parse with it. */
function tokensPlugin(limits: ResolvedGuards): Plugin | undefined {
  const max = limits.maxTokens;
  if (max === false) return undefined;
  return maxTokensPlugin<Record<string, unknown>>({
    n: max,
    exposeLimits: true,
    onReject: [
      (_ctx, err) => {
        throw rejection('tokens', max, err);
      },
    ],
  });
}

// graphql-js's "Did you mean …?" hints name fields the client did not ask for; dropped entirely
// rather than leaving a "[Suggestion hidden]" placeholder behind.
const SUGGESTION = /Did you mean ".+"\?/g;
function withoutSuggestion<E extends Error>(error: E): E {
  if (error instanceof GraphQLError && error.message.includes('Did you mean'))
    error.message = error.message.replace(SUGGESTION, '').trim();
  return error;
}

export function createGuardsPlugin(
  limits: ResolvedGuards,
  instruments: Instruments | undefined,
  reportFailure: ReportFailure,
): Plugin {
  const rules = validationRules(limits);
  const tokens = tokensPlugin(limits);
  const count = (error: unknown): void => {
    if (instruments === undefined) return;
    try {
      const rule = ruleOf(error);
      if (rule !== undefined) instruments.rejected.inc({ rule });
    } catch (err) {
      reportFailure('guard', err);
    }
  };
  // One onValidate for every limit (armor's own plugin adds one hook per limit, each paid per request,
  // although yoga's validation cache skips the rules themselves for a document seen before).
  return {
    onPluginInit: ({ addPlugin }) => {
      if (tokens !== undefined) addPlugin(tokens);
    },
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
    onValidate: ({ addValidationRule }) => {
      for (const rule of rules) addValidationRule(rule);
      return ({ valid, result, setResult }) => {
        result.forEach(count);
        if (!valid && limits.blockFieldSuggestions) setResult(result.map(withoutSuggestion));
      };
    },
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
