// Masked errors for production: an error the server did not raise on purpose reaches the client as
// "Unexpected error." (with its path, so the client knows which field failed), while the real error
// goes to the logger; the operation span has already recorded it. GraphQLErrors raised on purpose pass.
import { isOriginalGraphQLError } from '@envelop/core';
import { GraphQLError } from 'graphql';
import { messageOf, underlying } from './errors';
import type { ReportFailure } from './failures';
import type { GraphQLLogger } from './types';

export const MASKED_ERROR_MESSAGE = 'Unexpected error.';

/** Returns `error` itself when it may reach the client, else its masked stand-in (and logs the original). */
export type MaskError = (error: unknown) => unknown;

export function createMasker(logger: GraphQLLogger | undefined, reportFailure: ReportFailure): MaskError {
  return (error) => {
    try {
      if (isOriginalGraphQLError(error)) return error;
      const located = error instanceof GraphQLError ? error : undefined;
      const inner = underlying(error);
      logger?.error('GraphQL error masked in the response', {
        error: messageOf(inner),
        stack: inner instanceof Error ? inner.stack : undefined,
        path: located?.path?.join('.'),
      });
      return new GraphQLError(MASKED_ERROR_MESSAGE, {
        nodes: located?.nodes ?? null,
        source: located?.source ?? null,
        positions: located?.positions ?? null,
        path: located?.path ?? null,
        // `unexpected` is how graphql-yoga tells its own masked errors apart (500 when there is no data).
        extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
      });
    } catch (err) {
      reportFailure('mask', err);
      return new GraphQLError(MASKED_ERROR_MESSAGE, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
  };
}

/** `result` with its errors masked, or `result` itself when none needed it. */
export function maskResult<R extends { readonly errors?: readonly unknown[] }>(
  result: R,
  mask: MaskError,
): R {
  const errors = result.errors;
  if (errors === undefined || errors.length === 0) return result;
  const masked = errors.map(mask);
  return masked.every((e, i) => e === errors[i]) ? result : { ...result, errors: masked };
}
