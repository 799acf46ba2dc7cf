export { TRACER_NAME, useAutoweaveGraphQL } from './plugin';
export { LIMIT_ERROR_CODE, useAutoweaveGraphQLGuards } from './guards';
export { GUARD_DEFAULTS, GraphQLOptionsError } from './options';
export { METRICS } from './instruments';
export { ANONYMOUS_OPERATION, UNPARSED_OPERATION } from './operation';
export { MASKED_ERROR_MESSAGE } from './masking';
export type {
  AutoweaveGraphQLOptions,
  AutoweaveGraphQLPlugin,
  GraphQLGuardOptions,
  GraphQLGuardsPluginOptions,
  GraphQLLogger,
  GuardRule,
  OperationNameBound,
  OperationOutcome,
  ResolverTracing,
  VariableAttributes,
} from './types';
