// A ratio SLO the file, CLI and generator tests share, so they all read the same definition.
import type { SloInput } from '../types';

export const CHECKOUT_ERRORS: SloInput = {
  id: 'checkout-errors',
  service: 'checkout',
  description: 'Checkout requests succeed.',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'checkout_requests_total' },
    bad: { metric: 'checkout_requests_total', matchers: { outcome: 'error' } },
  },
};
