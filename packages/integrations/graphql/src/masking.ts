// Masked errors for production: an error the server did not raise on purpose reaches the client as
// "Unexpected error." (with its path, so the client knows which field failed), while the real error
// goes to the logger; the operation span has already recorded it. GraphQLErrors raised on purpose pass.
import { isOriginalGraphQLError, useMaskedErrors, type Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import { messageOf, underlying } from './errors';
import type { ReportFailure } from './failures';
import type { GraphQLLogger } from './types';

export const MASKED_ERROR_MESSAGE = 'Unexpected error.';

export function createMaskingPlugin(logger: GraphQLLogger | undefined, reportFailure: ReportFailure): Plugin {
  return useMaskedErrors({
    errorMessage: MASKED_ERROR_MESSAGE,
    maskError: (error, message) => {
      try {
        if (isOriginalGraphQLError(error)) return error;
        const located = error instanceof GraphQLError ? error : undefined;
        const inner = underlying(error);
        logger?.error('GraphQL error masked in the response', {
          error: messageOf(inner),
          stack: inner instanceof Error ? inner.stack : undefined,
          path: located?.path?.join('.'),
        });
        return new GraphQLError(message, {
          nodes: located?.nodes ?? null,
          source: located?.source ?? null,
          positions: located?.positions ?? null,
          path: located?.path ?? null,
          // `unexpected` is how graphql-yoga tells its own masked errors apart (500 when there is no data).
          extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
        });
      } catch (err) {
        reportFailure('mask', err);
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      }
    },
  });
}
