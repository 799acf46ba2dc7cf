// The tenant registry: who the tenants are, their API key hashes, limits and network policies,
// validated as a whole (every problem listed with its path) and changed only through audited calls.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { CidrError, createIpAllowList, parseCidr } from './cidr';
import { ApiKeyIndex, MAX_API_KEY_LENGTH } from './credentials';
import { OriginPatternError, createOriginPolicy, parseOriginPattern } from './origin';
import type { ApiKeyRecord, AuditEventInput, AuditSink, TenantConfig, TenantLimits } from './policy-types';
import { RetentionPolicyError, renderRetentionOverrides } from './retention';
import { InvalidTenantIdError, validateTenantId } from './tenant-id';

/**
 * Limits for tenants with no plan and no overrides, sized for a small tenant: 50 requests/s,
 * 1000 spans/s, 500 log lines/s and 100 new metric series per minute. Bursts default to one
 * second's (or minute's) worth in the rate limiter.
 */
export const DEFAULT_TENANT_LIMITS: TenantLimits = Object.freeze({
  requestsPerSecond: 50,
  spansPerSecond: 1000,
  logLinesPerSecond: 500,
  newSeriesPerMinute: 100,
});

/** Largest tenant file read, so a wrong path (a log, a dump) fails fast instead of filling memory. */
const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;
/** Problems shown in one error; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 100;

const LIMIT_FIELDS = [
  'requestsPerSecond',
  'requestBurst',
  'spansPerSecond',
  'spanBurst',
  'logLinesPerSecond',
  'logLineBurst',
  'newSeriesPerMinute',
  'newSeriesBurst',
] as const;
const BURST_FIELDS: ReadonlySet<string> = new Set([
  'requestBurst',
  'spanBurst',
  'logLineBurst',
  'newSeriesBurst',
]);
const TENANT_FIELDS = [
  'id',
  'name',
  'apiKeys',
  'plan',
  'limits',
  'retention',
  'allowedIps',
  'allowedOrigins',
  'redaction',
  'encryption',
  'orgId',
] as const;
const KEY_FIELDS = ['id', 'hash', 'revoked', 'expiresAt'] as const;
const FILE_FIELDS = ['plans', 'defaultPlan', 'tenants'] as const;
const REDACTION_FIELDS = ['maskIps', 'denyAttributes', 'sensitiveAttributes'] as const;
const ENCRYPTION_FIELDS = ['current', 'keys'] as const;

const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HASH = /^sha256:[0-9a-fA-F]{64}$/;
/** Loki/Tempo/Mimir tenant ids: up to 150 of these characters, not "." or "..". */
const ORG_ID = /^[A-Za-z0-9!._*'()-]{1,150}$/;
/** A date (UTC midnight) or a date-time with a zone; a time without a zone would depend on the server. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;
const KEY_MATERIAL = /^(?:base64|hex|env):\S+$/;

/** Thrown for a tenant configuration that cannot be used; `problems` lists each one as `path: what to change`. */
export class TenantConfigError extends Error {
  override readonly name = 'TenantConfigError';
  /** Each problem on one line (control characters escaped), at most 1000 of them. */
  readonly problems: readonly string[];
  /** How many problems were found, including any beyond `problems`. */
  readonly problemCount: number;

  constructor(
    problems: readonly string[],
    readonly source?: string,
  ) {
    const kept = problems.slice(0, 1000).map(oneLine);
    const shownProblems = kept.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shownProblems.length;
    const where = source === undefined ? '' : ` in ${oneLine(source)}`;
    super(
      `Invalid tenant configuration${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shownProblems.join('\n  ')}${more > 0 ? `\n  …and ${more} more` : ''}`,
    );
    this.problems = kept;
    this.problemCount = problems.length;
  }
}

/** The tenants, plans and default plan, as in a tenant file. */
export interface TenantRegistryConfig {
  readonly tenants: readonly TenantConfig[];
  /** Named limit sets. Fields a plan leaves out come from {@link DEFAULT_TENANT_LIMITS}. */
  readonly plans?: Readonly<Record<string, Partial<TenantLimits>>>;
  /** Plan for tenants that name none. Default: none (such tenants get {@link DEFAULT_TENANT_LIMITS}). */
  readonly defaultPlan?: string;
}

/** What a registry needs besides the tenants themselves. */
export interface LoadTenantRegistryOptions {
  /** Receives a `policy.change` event for every change made through the registry (never a key). */
  readonly audit?: AuditSink;
  /** Clock for key expiry, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Called when an `onChange` listener throws; the change stands and other listeners still run. Default: ignore. */
  readonly onListenerError?: (error: unknown) => void;
}

export interface TenantRegistryOptions extends TenantRegistryConfig, LoadTenantRegistryOptions {}

const OPTION_FIELDS = [...FILE_FIELDS, 'audit', 'now', 'onListenerError'] as const;

/** A tenant as the registry serves it: validated config, merged limits and compiled network policies. */
export interface ResolvedTenant {
  readonly id: string;
  /** Display name; the id when none is configured. */
  readonly name: string;
  readonly plan: string | undefined;
  /** Built-in defaults, then the plan, then the tenant's own overrides. */
  readonly limits: TenantLimits;
  /** The `X-Scope-OrgID` for Loki/Tempo/Mimir. */
  readonly orgId: string;
  /** The validated configuration (frozen; API key hashes in lowercase). */
  readonly config: TenantConfig;
  /** Canonical CIDRs requests may come from; undefined when any address may. */
  readonly allowedIps: readonly string[] | undefined;
  /** Canonical origin patterns; undefined when any origin may call, empty when none may. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Whether a client at `ip` may use this tenant's keys. Never throws; false for garbage when restricted. */
  allowsIp(ip: unknown): boolean;
  /** Whether a request with this `Origin` header value may use this tenant's keys. Never throws. */
  allowsOrigin(origin: unknown): boolean;
}

/** Why a presented key was refused. */
export type AuthenticationFailure = 'unknown' | 'revoked' | 'expired';

export type AuthenticationResult =
  | { readonly ok: true; readonly tenant: ResolvedTenant; readonly keyId: string }
  | {
      readonly ok: false;
      readonly reason: AuthenticationFailure;
      /** For revoked and expired keys: whose key it was. */
      readonly tenantId?: string;
      readonly keyId?: string;
    };

/** What changed in the registry, as told to `onChange` listeners. */
export type TenantRegistryChange =
  | { readonly type: 'tenant.added'; readonly tenantId: string; readonly tenant: ResolvedTenant }
  | {
      readonly type: 'tenant.updated';
      readonly tenantId: string;
      readonly tenant: ResolvedTenant;
      readonly previous: ResolvedTenant;
      /** Top-level config fields whose value changed. */
      readonly fields: readonly string[];
    }
  | { readonly type: 'tenant.removed'; readonly tenantId: string; readonly previous: ResolvedTenant }
  | {
      readonly type: 'api_key.added' | 'api_key.revoked';
      readonly tenantId: string;
      readonly keyId: string;
      readonly tenant: ResolvedTenant;
    };

export interface TenantRegistry {
  get(id: string): ResolvedTenant | undefined;
  has(id: string): boolean;
  /** Tenant ids in configuration order (added tenants last). */
  ids(): string[];
  readonly size: number;
  /** The plans with defaults filled in. */
  readonly plans: Readonly<Record<string, TenantLimits>>;
  /** The tenant whose key this is, or why not. Never throws; constant-time comparison of full digests. */
  authenticate(key: unknown): AuthenticationResult;
  /** Revokes a key (the tenant's other keys keep working). Returns false if it was already revoked. */
  revokeKey(tenantId: string, keyId: string): boolean;
  /** Adds a key record (hash, never the key). Throws a TenantConfigError if it is invalid or already used. */
  addApiKey(tenantId: string, record: ApiKeyRecord): ResolvedTenant;
  /** Adds or replaces a tenant. Throws a TenantConfigError listing every problem; the registry is unchanged then. */
  upsertTenant(config: TenantConfig): ResolvedTenant;
  /** Removes a tenant and with it all its keys. Returns false if there was no such tenant. */
  removeTenant(id: string): boolean;
  /** Calls `listener` after each change; returns a function that unsubscribes. */
  onChange(listener: (change: TenantRegistryChange) => void): () => void;
}

interface IndexedKey {
  readonly tenantId: string;
  readonly keyId: string;
  readonly revoked: boolean;
  readonly expiresAtMs: number | undefined;
}

/** What validating one tenant needs to know about the rest of the registry. */
interface ValidationContext {
  readonly plans: ReadonlyMap<string, TenantLimits>;
  readonly defaultPlan: string | undefined;
  /** Tenant id → where it was defined. */
  readonly ids: Map<string, string>;
  /** Key hash → where it was defined. */
  readonly hashes: Map<string, string>;
  /** Org id → tenant id. */
  readonly orgs: Map<string, string>;
}

/**
 * A registry from tenants given in code. Validates everything and throws one {@link TenantConfigError}
 * listing every problem (`tenants[1].allowedIps[0]: "10.0.0.0/33": prefix length must be 0-32 for IPv4`).
 */
export function createTenantRegistry(options: TenantRegistryOptions): TenantRegistry {
  const { plans, defaultPlan, tenants } = checkConfig(options, OPTION_FIELDS, undefined);
  return new Registry(plans, defaultPlan, tenants, options);
}

/**
 * Reads a tenant file (`.yaml`, `.yml` or `.json`, shaped `{ plans, defaultPlan, tenants }`) and
 * builds a registry. Throws a {@link TenantConfigError} naming the file and every problem.
 */
export async function loadTenantRegistry(
  path: string,
  options: LoadTenantRegistryOptions = {},
): Promise<TenantRegistry> {
  const value = parseFile(await readText(path), formatOf(path), path);
  const { plans, defaultPlan, tenants } = checkConfig(value, FILE_FIELDS, path);
  return new Registry(plans, defaultPlan, tenants, options);
}

/** Reads and validates a tenant file without building a registry (for tools that render from it). */
export async function readTenantRegistryConfig(path: string): Promise<TenantRegistryConfig> {
  return parseTenantRegistryConfig(await readText(path), formatOf(path), path);
}

/**
 * Parses tenant file text (YAML or JSON) into a config object, validating it fully. `source` names
 * the text in errors.
 */
export function parseTenantRegistryConfig(
  text: string,
  format: 'yaml' | 'json',
  source = format === 'json' ? 'tenants.json' : 'tenants.yaml',
): TenantRegistryConfig {
  const value = parseFile(text, format, source);
  checkConfig(value, FILE_FIELDS, source);
  return value as TenantRegistryConfig;
}

async function readText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TenantConfigError(['it is not a file'], path);
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      throw new TenantConfigError(
        [`it is ${info.size} bytes; tenant files are limited to ${MAX_CONFIG_FILE_BYTES} bytes`],
        path,
      );
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof TenantConfigError) throw error;
    throw new TenantConfigError([`cannot read the file (${(error as Error).message})`], path);
  }
}

/** The parsed, not yet validated, content of a tenant file. */
function parseFile(text: string, format: 'yaml' | 'json', source: string): unknown {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TenantConfigError([`not valid JSON: ${(error as Error).message}`], source);
    }
  } else {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new TenantConfigError(
        doc.errors.map((e) => `not valid YAML: ${(e.message.split('\n')[0] ?? e.code).replace(/:$/, '')}`),
        source,
      );
    }
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new TenantConfigError([`cannot read the YAML: ${(error as Error).message}`], source);
    }
  }
  if (value === null || value === undefined) {
    throw new TenantConfigError(['the file is empty; it needs at least "tenants: [...]"'], source);
  }
  return value;
}

function formatOf(path: string): 'yaml' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new TenantConfigError([
    `${path}: unknown file type ${JSON.stringify(ext)}; name the tenant file *.yaml, *.yml or *.json`,
  ]);
}

class Registry implements TenantRegistry {
  readonly #tenants = new Map<string, ResolvedTenant>();
  readonly #plans: ReadonlyMap<string, TenantLimits>;
  readonly #defaultPlan: string | undefined;
  readonly #audit: AuditSink | undefined;
  readonly #now: () => number;
  readonly #onListenerError: ((error: unknown) => void) | undefined;
  readonly #listeners = new Set<(change: TenantRegistryChange) => void>();
  #index = new ApiKeyIndex<IndexedKey>();
  readonly plans: Readonly<Record<string, TenantLimits>>;

  constructor(
    plans: ReadonlyMap<string, TenantLimits>,
    defaultPlan: string | undefined,
    tenants: readonly ResolvedTenant[],
    options: LoadTenantRegistryOptions,
  ) {
    this.#plans = plans;
    this.#defaultPlan = defaultPlan;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#onListenerError = options.onListenerError;
    this.plans = Object.freeze(Object.fromEntries(plans));
    for (const tenant of tenants) this.#tenants.set(tenant.id, tenant);
    this.#reindex();
  }

  get(id: string): ResolvedTenant | undefined {
    return typeof id === 'string' ? this.#tenants.get(id) : undefined;
  }

  has(id: string): boolean {
    return typeof id === 'string' && this.#tenants.has(id);
  }

  ids(): string[] {
    return [...this.#tenants.keys()];
  }

  get size(): number {
    return this.#tenants.size;
  }

  authenticate(key: unknown): AuthenticationResult {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_API_KEY_LENGTH) {
      return { ok: false, reason: 'unknown' };
    }
    const entry = this.#index.lookup(key);
    const tenant = entry === undefined ? undefined : this.#tenants.get(entry.tenantId);
    if (entry === undefined || tenant === undefined) return { ok: false, reason: 'unknown' };
    const whose = { tenantId: entry.tenantId, keyId: entry.keyId };
    if (entry.revoked) return { ok: false, reason: 'revoked', ...whose };
    if (entry.expiresAtMs !== undefined && !(this.#now() < entry.expiresAtMs)) {
      return { ok: false, reason: 'expired', ...whose };
    }
    return { ok: true, tenant, keyId: entry.keyId };
  }

  revokeKey(tenantId: string, keyId: string): boolean {
    const tenant = this.#require(tenantId, 'revokeKey');
    const keys = tenant.config.apiKeys ?? [];
    const record = keys.find((k) => k.id === keyId);
    if (record === undefined) {
      throw new TenantConfigError([
        `revokeKey: tenant ${JSON.stringify(tenantId)} has no key ${JSON.stringify(keyId)}; its keys are ${describeList(keys.map((k) => k.id))}`,
      ]);
    }
    if (record.revoked === true) return false;
    const apiKeys = keys.map((k) => (k.id === keyId ? { ...k, revoked: true } : k));
    const next = this.#rebuild({ ...tenant.config, apiKeys }, tenantId);
    this.#commit(next);
    this.#record(tenantId, { action: 'api_key.revoke', keyId });
    this.#emit({ type: 'api_key.revoked', tenantId, keyId, tenant: next });
    return true;
  }

  addApiKey(tenantId: string, record: ApiKeyRecord): ResolvedTenant {
    const tenant = this.#require(tenantId, 'addApiKey');
    const apiKeys = [...(tenant.config.apiKeys ?? []), record];
    const next = this.#rebuild({ ...tenant.config, apiKeys }, tenantId);
    this.#commit(next);
    const added = next.config.apiKeys?.[apiKeys.length - 1];
    const keyId = added?.id ?? '';
    this.#record(tenantId, {
      action: 'api_key.add',
      keyId,
      ...(added?.expiresAt === undefined ? {} : { expiresAt: added.expiresAt }),
    });
    this.#emit({ type: 'api_key.added', tenantId, keyId, tenant: next });
    return next;
  }

  upsertTenant(config: TenantConfig): ResolvedTenant {
    const id: unknown = isRecord(config) ? config.id : undefined;
    const previous = typeof id === 'string' ? this.#tenants.get(id) : undefined;
    const next = this.#rebuild(config, typeof id === 'string' ? id : undefined);
    this.#commit(next);
    if (previous === undefined) {
      this.#record(next.id, { action: 'tenant.add', fields: presentFields(next.config) });
      this.#emit({ type: 'tenant.added', tenantId: next.id, tenant: next });
    } else {
      const fields = changedFields(previous.config, next.config);
      this.#record(next.id, { action: 'tenant.update', fields });
      this.#emit({ type: 'tenant.updated', tenantId: next.id, tenant: next, previous, fields });
    }
    return next;
  }

  removeTenant(id: string): boolean {
    const previous = typeof id === 'string' ? this.#tenants.get(id) : undefined;
    if (previous === undefined) return false;
    this.#tenants.delete(id);
    this.#reindex();
    this.#record(id, { action: 'tenant.remove' });
    this.#emit({ type: 'tenant.removed', tenantId: id, previous });
    return true;
  }

  onChange(listener: (change: TenantRegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #require(tenantId: string, operation: string): ResolvedTenant {
    const tenant = typeof tenantId === 'string' ? this.#tenants.get(tenantId) : undefined;
    if (tenant === undefined) {
      throw new TenantConfigError([
        `${operation}: there is no tenant ${JSON.stringify(String(tenantId).slice(0, 80))}`,
      ]);
    }
    return tenant;
  }

  /** Validates `config` against the other tenants (all but `replacing`). Throws, leaving the registry as it was. */
  #rebuild(config: unknown, replacing: string | undefined): ResolvedTenant {
    const context: ValidationContext = {
      plans: this.#plans,
      defaultPlan: this.#defaultPlan,
      ids: new Map(),
      hashes: new Map(),
      orgs: new Map(),
    };
    for (const other of this.#tenants.values()) {
      if (other.id === replacing) continue;
      context.ids.set(other.id, `tenant ${JSON.stringify(other.id)}`);
      context.orgs.set(other.orgId, other.id);
      for (const key of other.config.apiKeys ?? []) {
        context.hashes.set(key.hash, `tenant ${JSON.stringify(other.id)} key ${JSON.stringify(key.id)}`);
      }
    }
    const problems: string[] = [];
    const tenant = guard(problems, 'tenant', () => checkTenant(config, 'tenant', context, problems));
    if (problems.length > 0 || tenant === undefined) throw new TenantConfigError(problems);
    return tenant;
  }

  #commit(tenant: ResolvedTenant): void {
    this.#tenants.set(tenant.id, tenant);
    this.#reindex();
  }

  /** Changes are rare (config edits), so the key index is rebuilt whole rather than patched. */
  #reindex(): void {
    const index = new ApiKeyIndex<IndexedKey>();
    for (const tenant of this.#tenants.values()) {
      for (const key of tenant.config.apiKeys ?? []) {
        index.add(key.hash, {
          tenantId: tenant.id,
          keyId: key.id,
          revoked: key.revoked === true,
          expiresAtMs: key.expiresAt === undefined ? undefined : Date.parse(key.expiresAt),
        });
      }
    }
    this.#index = index;
  }

  #record(tenant: string, data: Record<string, unknown>): void {
    if (this.#audit === undefined) return;
    const event: AuditEventInput = { type: 'policy.change', tenant, data };
    try {
      this.#audit.record(event);
    } catch {
      // AuditSink.record must not throw; if one does anyway, the change has already been made.
    }
  }

  #emit(change: TenantRegistryChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        try {
          this.#onListenerError?.(error);
        } catch {
          // Nothing left to tell.
        }
      }
    }
  }
}

/** Validates a whole config, collecting every problem; throws one TenantConfigError if there are any. */
function checkConfig(
  raw: unknown,
  topLevelFields: readonly string[],
  source: string | undefined,
): { plans: Map<string, TenantLimits>; defaultPlan: string | undefined; tenants: ResolvedTenant[] } {
  const problems: string[] = [];
  const result = guard(problems, 'config', () => {
    if (!isRecord(raw)) {
      problems.push(
        `config: expected an object with "tenants" (and optionally "plans", "defaultPlan"), got ${kind(raw)}`,
      );
      return undefined;
    }
    unknownFields(raw, topLevelFields, '', problems);
    const plans = checkPlans(raw.plans, problems);
    let defaultPlan: string | undefined;
    if (raw.defaultPlan !== undefined) {
      if (typeof raw.defaultPlan !== 'string' || !plans.has(raw.defaultPlan)) {
        problems.push(`defaultPlan: ${unknownPlan(raw.defaultPlan, plans)}`);
      } else {
        defaultPlan = raw.defaultPlan;
      }
    }
    const context: ValidationContext = {
      plans,
      defaultPlan,
      ids: new Map(),
      hashes: new Map(),
      orgs: new Map(),
    };
    const tenants: ResolvedTenant[] = [];
    if (!Array.isArray(raw.tenants)) {
      problems.push(`tenants: expected a list of tenants, got ${kind(raw.tenants)}`);
    } else {
      raw.tenants.forEach((tenant: unknown, i) => {
        const path = `tenants[${i}]`;
        const checked = guard(problems, path, () => checkTenant(tenant, path, context, problems));
        if (checked !== undefined) tenants.push(checked);
      });
    }
    return { plans, defaultPlan, tenants };
  });
  if (problems.length > 0 || result === undefined) throw new TenantConfigError(problems, source);
  return result;
}

function checkPlans(raw: unknown, problems: string[]): Map<string, TenantLimits> {
  const plans = new Map<string, TenantLimits>();
  if (raw === undefined) return plans;
  if (!isRecord(raw)) {
    problems.push(`plans: expected a map of plan name to limits, got ${kind(raw)}`);
    return plans;
  }
  for (const name of Object.keys(raw)) {
    const path = `plans.${name}`;
    if (!PLAN_NAME.test(name)) {
      problems.push(
        `plans: ${shown(name)} is not a plan name; use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`,
      );
      continue;
    }
    const limits = checkLimits(raw[name], path, problems);
    plans.set(name, Object.freeze({ ...DEFAULT_TENANT_LIMITS, ...limits }));
  }
  return plans;
}

function checkLimits(raw: unknown, path: string, problems: string[]): Partial<TenantLimits> {
  if (!isRecord(raw)) {
    problems.push(`${path}: expected limits such as { requestsPerSecond: 100 }, got ${kind(raw)}`);
    return {};
  }
  unknownFields(raw, LIMIT_FIELDS, path, problems);
  const limits: Partial<Record<(typeof LIMIT_FIELDS)[number], number>> = {};
  for (const field of LIMIT_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    const min = BURST_FIELDS.has(field) ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value < min) {
      problems.push(
        `${path}.${field}: ${shown(value)} must be a ${BURST_FIELDS.has(field) ? 'finite number of at least 1 (a bucket smaller than one token allows nothing)' : 'positive finite number'}`,
      );
      continue;
    }
    limits[field] = value;
  }
  return limits;
}

function checkTenant(
  raw: unknown,
  path: string,
  context: ValidationContext,
  problems: string[],
): ResolvedTenant | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: expected a tenant object with at least an "id", got ${kind(raw)}`);
    return undefined;
  }
  const before = problems.length;
  unknownFields(raw, TENANT_FIELDS, path, problems);

  let id: string | undefined;
  const beforeId = problems.length;
  const rawId = guard(problems, `${path}.id`, () => raw.id);
  try {
    id = validateTenantId(rawId);
  } catch (error) {
    // Unless reading the id already failed (a throwing getter), say what is wrong with it.
    if (problems.length === beforeId) {
      problems.push(`${path}.id: ${error instanceof InvalidTenantIdError ? error.message : String(error)}`);
    }
  }
  let duplicate = false;
  if (id !== undefined) {
    const where = context.ids.get(id);
    duplicate = where !== undefined;
    if (where !== undefined) problems.push(`${path}.id: ${JSON.stringify(id)} is already used by ${where}`);
    else context.ids.set(id, path);
  }

  if (raw.name !== undefined && (typeof raw.name !== 'string' || !/^[^\p{Cc}]{1,200}$/u.test(raw.name))) {
    problems.push(
      `${path}.name: expected 1-200 characters without control characters, got ${shown(raw.name)}`,
    );
  }

  let plan: string | undefined;
  if (raw.plan !== undefined) {
    if (typeof raw.plan !== 'string' || !context.plans.has(raw.plan)) {
      problems.push(`${path}.plan: ${unknownPlan(raw.plan, context.plans)}`);
    } else {
      plan = raw.plan;
    }
  } else {
    plan = context.defaultPlan;
  }
  const overrides = raw.limits === undefined ? {} : checkLimits(raw.limits, `${path}.limits`, problems);
  const planLimits =
    plan === undefined ? DEFAULT_TENANT_LIMITS : (context.plans.get(plan) ?? DEFAULT_TENANT_LIMITS);
  const limits: TenantLimits = Object.freeze({ ...planLimits, ...overrides });

  const apiKeys = checkApiKeys(raw.apiKeys, `${path}.apiKeys`, context, problems);
  const allowedIps = checkList(raw.allowedIps, `${path}.allowedIps`, problems, (entry) => {
    try {
      return parseCidr(entry).cidr;
    } catch (error) {
      if (error instanceof CidrError) return { problem: error.message };
      throw error;
    }
  });
  const allowedOrigins = checkList(raw.allowedOrigins, `${path}.allowedOrigins`, problems, (entry) => {
    try {
      return parseOriginPattern(entry);
    } catch (error) {
      if (error instanceof OriginPatternError) return { problem: error.message };
      throw error;
    }
  });

  let orgId = id;
  if (raw.orgId !== undefined) {
    if (typeof raw.orgId !== 'string' || !ORG_ID.test(raw.orgId) || raw.orgId === '.' || raw.orgId === '..') {
      problems.push(
        `${path}.orgId: ${shown(raw.orgId)} is not a valid X-Scope-OrgID (1-150 of A-Z a-z 0-9 ! - _ . * ' ( ), not "." or "..")`,
      );
      orgId = undefined;
    } else {
      orgId = raw.orgId;
    }
  }
  if (orgId !== undefined && id !== undefined && !duplicate) {
    const owner = context.orgs.get(orgId);
    if (owner !== undefined) {
      problems.push(
        `${path}.orgId: ${JSON.stringify(orgId)} is already the org id of tenant ${JSON.stringify(owner)}; two tenants would share backend data`,
      );
    } else {
      context.orgs.set(orgId, id);
    }
  }

  if (raw.retention !== undefined && id !== undefined) {
    try {
      renderRetentionOverrides([{ id, retention: raw.retention as TenantConfig['retention'] & object }]);
    } catch (error) {
      if (!(error instanceof RetentionPolicyError)) throw error;
      for (const problem of error.problems) problems.push(problem.replace(/^tenants\[0\]/, path));
    }
  }
  checkRedaction(raw.redaction, `${path}.redaction`, problems);
  checkEncryption(raw.encryption, `${path}.encryption`, problems);

  if (problems.length > before || id === undefined || orgId === undefined) return undefined;

  // A frozen copy, so later edits to the caller's object cannot bypass validation.
  const config: TenantConfig = deepFreeze({
    ...(structuredClone(raw) as Omit<TenantConfig, 'id'>),
    id,
    ...(apiKeys === undefined ? {} : { apiKeys }),
  });
  const ipList =
    allowedIps === undefined || allowedIps.length === 0 ? undefined : createIpAllowList(allowedIps);
  const originPolicy = allowedOrigins === undefined ? undefined : createOriginPolicy(allowedOrigins);
  return Object.freeze({
    id,
    name: typeof raw.name === 'string' ? raw.name : id,
    plan,
    limits,
    orgId,
    config,
    allowedIps: ipList?.cidrs,
    allowedOrigins: originPolicy?.origins,
    allowsIp: (ip: unknown) => ipList === undefined || ipList.allows(ip),
    allowsOrigin: (origin: unknown) => originPolicy === undefined || originPolicy.allows(origin),
  });
}

function checkApiKeys(
  raw: unknown,
  path: string,
  context: ValidationContext,
  problems: string[],
): ApiKeyRecord[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(`${path}: expected a list of { id, hash } records, got ${kind(raw)}`);
    return undefined;
  }
  const ids = new Set<string>();
  const records: ApiKeyRecord[] = [];
  raw.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') {
      problems.push(
        `${at}: expected { id, hash }, got a bare string (not shown, in case it is a key); store { id: "name", hash: hashApiKey(key) }`,
      );
      return;
    }
    if (!isRecord(entry)) {
      problems.push(`${at}: expected { id, hash }, got ${kind(entry)}`);
      return;
    }
    unknownFields(entry, KEY_FIELDS, at, problems);
    const id = entry.id;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      problems.push(
        `${at}.id: ${shown(id)} is not a key id; use 1-64 letters, digits, "_", "." or "-" (it names the key in audit entries)`,
      );
    } else if (ids.has(id)) {
      problems.push(`${at}.id: ${JSON.stringify(id)} is used twice in this tenant; key ids must be unique`);
    } else {
      ids.add(id);
    }
    const hash = checkHash(entry.hash, `${at}.hash`, problems);
    if (hash !== undefined) {
      const where = context.hashes.get(hash);
      if (where !== undefined) {
        problems.push(
          `${at}.hash: the same key is already configured as ${where}; every key must be distinct`,
        );
      } else {
        context.hashes.set(hash, typeof id === 'string' ? `${at} (${JSON.stringify(id)})` : at);
      }
    }
    if (entry.revoked !== undefined && typeof entry.revoked !== 'boolean') {
      problems.push(`${at}.revoked: expected true or false, got ${shown(entry.revoked)}`);
    }
    let expiresAt: string | undefined;
    if (entry.expiresAt !== undefined) {
      if (
        typeof entry.expiresAt !== 'string' ||
        !INSTANT.test(entry.expiresAt) ||
        !Number.isFinite(Date.parse(entry.expiresAt))
      ) {
        problems.push(
          `${at}.expiresAt: ${shown(entry.expiresAt)} is not an ISO 8601 instant; write e.g. "2026-01-31T00:00:00Z" (a zone is required) or "2026-01-31"`,
        );
      } else {
        expiresAt = entry.expiresAt;
      }
    }
    if (typeof id === 'string' && hash !== undefined) {
      records.push({
        id,
        hash,
        ...(entry.revoked === true ? { revoked: true } : {}),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    }
  });
  return records;
}

function checkHash(raw: unknown, path: string, problems: string[]): string | undefined {
  if (typeof raw === 'string' && HASH.test(raw)) return raw.toLowerCase();
  if (typeof raw === 'string' && raw.startsWith('sha256:')) {
    problems.push(`${path}: expected "sha256:" followed by 64 hex digits, as hashApiKey(key) returns`);
  } else if (typeof raw === 'string') {
    // Never echo the value: someone may have pasted the key itself.
    problems.push(
      `${path}: this looks like a plaintext API key or another format (value not shown); store hashApiKey(key), "sha256:<64 hex digits>", never the key`,
    );
  } else {
    problems.push(`${path}: expected "sha256:<64 hex digits>" from hashApiKey(key), got ${kind(raw)}`);
  }
  return undefined;
}

function checkList(
  raw: unknown,
  path: string,
  problems: string[],
  check: (entry: unknown) => string | { problem: string },
): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(`${path}: expected a list, got ${kind(raw)}`);
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((entry: unknown, i) => {
    const result = check(entry);
    if (typeof result === 'string') out.push(result);
    else problems.push(`${path}[${i}]: ${result.problem}`);
  });
  return out;
}

function checkRedaction(raw: unknown, path: string, problems: string[]): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    problems.push(`${path}: expected an object, got ${kind(raw)}`);
    return;
  }
  unknownFields(raw, REDACTION_FIELDS, path, problems);
  if (raw.maskIps !== undefined && typeof raw.maskIps !== 'boolean') {
    problems.push(`${path}.maskIps: expected true or false, got ${shown(raw.maskIps)}`);
  }
  for (const field of ['denyAttributes', 'sensitiveAttributes'] as const) {
    const list = raw[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`${path}.${field}: expected a list of attribute names, got ${kind(list)}`);
      continue;
    }
    list.forEach((name: unknown, i) => {
      if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
        problems.push(
          `${path}.${field}[${i}]: expected an attribute name (1-256 characters), got ${shown(name)}`,
        );
      }
    });
  }
}

function checkEncryption(raw: unknown, path: string, problems: string[]): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    problems.push(`${path}: expected { current, keys }, got ${kind(raw)}`);
    return;
  }
  unknownFields(raw, ENCRYPTION_FIELDS, path, problems);
  if (!isRecord(raw.keys) || Object.keys(raw.keys).length === 0) {
    problems.push(
      `${path}.keys: expected a map of key id to key ("base64:...", "hex:..." or "env:VARIABLE")`,
    );
    return;
  }
  for (const [keyId, material] of Object.entries(raw.keys)) {
    if (!KEY_ID.test(keyId))
      problems.push(`${path}.keys: ${shown(keyId)} is not a key id; use letters, digits, "_", "." or "-"`);
    // Never echo key material.
    if (typeof material !== 'string' || !KEY_MATERIAL.test(material)) {
      problems.push(
        `${member(`${path}.keys`, keyId)}: expected "base64:...", "hex:..." or "env:VARIABLE" (value not shown)`,
      );
    }
  }
  if (typeof raw.current !== 'string' || !Object.hasOwn(raw.keys, raw.current)) {
    problems.push(
      `${path}.current: ${shown(raw.current)} must name one of the keys (${describeList(Object.keys(raw.keys))})`,
    );
  }
}

function unknownFields(
  raw: Record<string, unknown>,
  known: readonly string[],
  path: string,
  problems: string[],
): void {
  for (const field of Object.keys(raw)) {
    if (known.includes(field)) continue;
    const suggestion = closest(field, known);
    problems.push(
      `${path === '' ? member('', field) : member(path, field)}: unknown field${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`} (known: ${known.join(', ')})`,
    );
  }
}

/** The known name within edit distance 2 (or equal ignoring case), for typos like `allowedIP`. */
function closest(field: string, known: readonly string[]): string | undefined {
  if (field.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const d = name.toLowerCase() === field.toLowerCase() ? 0 : editDistance(field, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownPlan(value: unknown, plans: ReadonlyMap<string, unknown>): string {
  return `unknown plan ${shown(value)}; defined plans: ${plans.size === 0 ? 'none (define it under "plans")' : describeList([...plans.keys()])}`;
}

function presentFields(config: TenantConfig): string[] {
  return TENANT_FIELDS.filter((f) => config[f] !== undefined);
}

function changedFields(before: TenantConfig, after: TenantConfig): string[] {
  return TENANT_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

/**
 * Runs a validation step; anything it throws that is not a validation result (a hostile getter, a
 * proxy) becomes a problem at `path` instead of escaping as a TypeError.
 */
function guard<T>(problems: string[], path: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    problems.push(`${path}: could not be read (${error instanceof Error ? error.message : kind(error)})`);
    return undefined;
  }
}

/** `path.name`, or `path["odd name"]` when the name is not a plain identifier. */
function member(path: string, name: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(name)) return path === '' ? name : `${path}.${name}`;
  return `${path}[${shown(name)}]`;
}

/** Escapes line breaks and other control characters so one problem stays one log line. */
function oneLine(text: string): string {
  return text.replace(
    /[\p{Cc}\u2028\u2029]/gu,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${shown(value)}`;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'a list' : typeof value;
}

function describeList(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const head = items.slice(0, 20).map((s) => JSON.stringify(s));
  return items.length > 20 ? `${head.join(', ')} and ${items.length - 20} more` : head.join(', ');
}
