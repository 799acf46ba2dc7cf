// The redactor's public shape: what it counts and masks each finding with, its options, and the
// calls it offers to loggers and span processors.
import type { AttributeRedactor, RedactionPolicy } from './policy-types';
import type { TenantCipher } from './tenant-cipher';

/** What the redactor replaced, as counted by `stats()`. */
export type RedactionKind =
  /** An e-mail address in a string. */
  | 'email'
  /** The credential after `Bearer` or `Basic`. */
  | 'bearer'
  /** A key with a known vendor prefix (Stripe, GitHub, Slack, AWS, Google, GitLab, npm, ours). */
  | 'api_key'
  /** A JSON Web Token. */
  | 'jwt'
  /** A payment card number (issuer prefix, length and Luhn check). */
  | 'card'
  /** An IPv4 or IPv6 address, for tenants whose policy sets `maskIps`. */
  | 'ip'
  /** The value of `password=…`, `token: …`, `Cookie: …` and the like, or the user:password of a URL. */
  | 'secret'
  /** An attribute on the deny lists. */
  | 'denied'
  /** A sensitive attribute replaced by its ciphertext. */
  | 'encrypted'
  /** A sensitive attribute masked because the tenant has no usable key. */
  | 'sensitive'
  /** A string cut to `maxStringLength`. */
  | 'truncated'
  /** A reference back to an enclosing object. */
  | 'circular'
  /** A value nested deeper than `maxDepth`. */
  | 'depth'
  /** A Buffer, typed array or ArrayBuffer. */
  | 'binary'
  /** A property whose getter (or proxy trap) threw. */
  | 'unreadable'
  /** Values beyond `maxValues` in one record or attribute map. */
  | 'limit'
  /** A whole record dropped or attribute map masked because redaction itself failed (e.g. `policyFor` threw). */
  | 'failed';

/** The text each kind of finding is replaced with. */
export const REDACTION_MASKS = {
  email: '[email]',
  bearer: '[bearer]',
  api_key: '[api-key]',
  jwt: '[jwt]',
  card: '[card]',
  ip: '[ip]',
  secret: '[redacted]',
  denied: '[redacted]',
  sensitive: '[sensitive]',
  truncated: '…[truncated]',
  circular: '[circular]',
  depth: '[too deep]',
  unreadable: '[unreadable]',
  limit: '[too many values]',
} as const;

/** Replacements made so far, by kind (the counters behind `stats()`). */
export type RedactionCounts = Record<RedactionKind, number>;

export interface RedactorOptions {
  /** The tenant's redaction policy (IP masking, extra deny list, sensitive attributes). */
  readonly policyFor?: (tenantId: string) => RedactionPolicy | undefined;
  /** Attribute names masked for every tenant, added to `DEFAULT_DENY_ATTRIBUTES`. */
  readonly denyAttributes?: readonly string[];
  /** Start from `DEFAULT_DENY_ATTRIBUTES`. Default true; false keeps only `denyAttributes`. */
  readonly defaultDenyAttributes?: boolean;
  /** Encrypts the tenant's sensitive attributes; without it (or a key) they are masked. */
  readonly cipher?: Pick<TenantCipher, 'encrypt' | 'canEncrypt'>;
  /** Objects nested deeper than this are replaced by `[too deep]`. Default 8. */
  readonly maxDepth?: number;
  /** Longer strings are cut (at a word boundary) before scanning. Default 65 536. */
  readonly maxStringLength?: number;
  /** Most values (object entries and array items) visited in one record or map. Default 10 000. */
  readonly maxValues?: number;
}

/** A log record as `@autoweave/logging` hands it to its `redact` hook. */
export interface RedactableLogRecord {
  level: string;
  message: unknown;
  [key: string]: unknown;
}

export interface Redactor extends AttributeRedactor {
  /** `value` with every finding masked; IPs only when the tenant's policy says so. Never throws. */
  redactString(value: string, tenantId?: string): string;
  /**
   * A redacted copy of an attribute map (span attributes, log metadata): denied names masked,
   * sensitive names encrypted (or masked), every string and nested value scanned. Never throws.
   */
  redactAttributes(attributes: Readonly<Record<string, unknown>>, tenantId?: string): Record<string, unknown>;
  /** Any value, redacted like an attribute value (objects and arrays come back as copies). Never throws. */
  redactValue(value: unknown, tenantId?: string): unknown;
  /**
   * The `redact` hook of `@autoweave/logging`: redacts the record in place (tenant from its `tenant_id`)
   * and returns it, or returns false (drop) if redaction itself failed. Never throws.
   */
  readonly logHook: (record: RedactableLogRecord) => RedactableLogRecord | false;
  /** How many values were replaced, by kind, since creation. */
  stats(): Readonly<Record<RedactionKind, number>>;
}
