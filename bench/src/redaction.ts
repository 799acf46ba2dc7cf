// The paired benchmarks of issue 3's redaction: redacting a ~200-byte log line (clean, and with an
// e-mail address and a card number) and an 8-attribute span map, against one plain pass over the
// same input, so the added cost is the redaction itself.
import { createRedactor, type RedactionPolicy, type Redactor } from '@autoweave/tenant-isolation';
import { keep, type Pair } from './harness.js';

const PREFIX = '2024-05-14T10:22:31.512Z info';

/** Ordinary lines of about 200 bytes: ids, durations, versions, routes; nothing to mask. */
const CLEAN_LINES = [
  `${PREFIX} orders processed order ORD-2024-118842 for customer 88213 in 142ms (items=3, total=129.90 EUR) route=/api/v2/orders/118842 version=3.14.2 pod=orders-7f9c`,
  `${PREFIX} gateway request completed method=GET path=/api/v2/search?q=usb&page=2 status=200 duration_ms=38.2 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 tenant=acme`,
  `${PREFIX} scheduler job 0b1f4c9e-8d2a-4f6b-9c3e-7a5d2e1f0a9b finished after 12.532s, next run at 2024-05-14T11:00:00.000Z, attempt 1 of 5, queue=usb-events depth=17`,
  `${PREFIX} billing invoice INV-2024-00421 generated, amount 1299.00 USD, 14 line items, customer 55120, plan pro, renewal 2024-06-14, worker 3 of 8 ready`,
];

/** The same kind of lines, each with an e-mail address and a card number to mask. */
const DIRTY_LINES = [
  `${PREFIX} payments accepted order ORD-2024-118842 customer=alice.smith@example.com card=4111 1111 1111 1111 amount=129.90 EUR in 142ms route=/api/v2/pay`,
  `${PREFIX} payments refund for bob_99@mail.example.org to card 5555-5555-5555-4444 amount 42.00 USD order ORD-2024-221907 approved in 88ms`,
  `${PREFIX} billing receipt sent to carol@example.co.uk for card 378282246310005 (amex), invoice INV-2024-00421, 1299.00 USD, 14 items`,
  `${PREFIX} payments charge declined for dave+shop@example.com card=6011111111111117 reason=insufficient_funds order ORD-2024-330118 in 231ms`,
];

/** A typical server span's attributes. */
const ATTRIBUTES: Readonly<Record<string, unknown>> = {
  'http.request.method': 'GET',
  'http.route': '/api/v2/orders/:id',
  'http.response.status_code': 200,
  'url.path': '/api/v2/orders/118842',
  'server.address': 'orders.internal',
  'server.port': 8080,
  'user_agent.original':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0',
  'tenant.id': 'acme',
};

/** The tenant's policy, as the tenant registry hands it out: the same object on every call. */
const POLICY: RedactionPolicy = { denyAttributes: ['customer.name'], sensitiveAttributes: ['user.email'] };

/** One line after another, so no single string stays hot in every cache. */
function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

function linePair(name: string, lines: readonly string[]): Pair {
  let redactor: Redactor | undefined;
  const nextBase = cycle(lines);
  const nextInst = cycle(lines);
  return {
    name,
    budgetUs: 5,
    setup: () => {
      redactor = createRedactor({ policyFor: () => POLICY });
    },
    // The least any redactor does: one pass over the line looking for a character that is not there.
    baseline: () => {
      keep(nextBase().indexOf('\u0000'));
    },
    instrumented: () => {
      keep(redactor!.redactString(nextInst(), 'acme'));
    },
  };
}

export function redactionPairs(): Pair[] {
  let redactor: Redactor | undefined;
  return [
    linePair('redact a clean 200-byte log line', CLEAN_LINES),
    linePair('redact a 200-byte line with an e-mail and a card', DIRTY_LINES),
    {
      name: 'redactAttributes, 8 attributes',
      setup: () => {
        redactor = createRedactor({ policyFor: () => POLICY });
      },
      // The copy the redactor also returns, without looking at any value.
      baseline: () => {
        keep({ ...ATTRIBUTES });
      },
      instrumented: () => {
        keep(redactor!.redactAttributes(ATTRIBUTES, 'acme'));
      },
    },
  ];
}
