export { TENANT_ID_PATTERN, InvalidTenantIdError, isValidTenantId, validateTenantId } from './tenant-id';
export {
  TENANT_ATTRIBUTE,
  TENANT_BAGGAGE_KEY,
  TENANT_LABEL,
  bindToTenant,
  currentTenant,
  currentTenantInfo,
  runWithTenant,
  tenantFromContext,
  withTenantBaggage,
} from './context';
export { OVERFLOW_LABEL_VALUE, createLabelGuard } from './label-guard';
export type { LabelGuard, LabelGuardOptions } from './label-guard';
export type { TenantInfo, TenantSource } from './types';
