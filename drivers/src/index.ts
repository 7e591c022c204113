/**
 * Provisioning drivers: the contract, the per-Site registry, and the built-in `simulated` and
 * `http` drivers. Controllers need `DriverRegistry` (→ `CapabilityClient`), `idempotencyKey`,
 * `DriverError` and the item types; tests also use the simulated backend's hooks.
 */
export {
  DriverError,
  REASONS,
  DRIVER_OPS,
  DRIVER_ERROR_CODES,
  isDriverError,
  isTransient,
  isPermanent,
  toDriverError,
  idempotencyKey,
  siteContext,
  type Capability,
  type Driver,
  type DriverErrorCode,
  type DriverOp,
  type KnownReason,
  type Item,
  type ItemRef,
  type Observation,
  type Outcome,
  type Done,
  type InProgress,
  type ListedItem,
  type SiteContext,
  type ObserveCall,
  type EnsureCall,
  type RemoveCall,
  type ListCall,
  type TypedItem,
  type TypedObservation,
  type TypedOutcome,
} from './contract.ts';
export { ITEM_SCHEMAS, itemKeys, itemTypes, type ItemType, type SpecOf, type ParsedSpecOf, type DetailsOf } from './items.ts';
export { callDriver, CapabilityClient, DriverMetrics, CALL_RESULTS, type CallOptions, type CallResult } from './call.ts';
export { DriverRegistry, driverRefFor, DEFAULT_DRIVER_REF, type DriverRegistryOptions, type CredentialsResolver, type SecretRef } from './registry.ts';
export { SimulatedBackend, SimulatedDriver, parseFaultSettings, type BackendClock, type ItemCounts, type SiteItemRef } from './simulated/index.ts';
export { HttpDriver, type HttpDriverOptions } from './http/driver.ts';
export { startReferenceServer, referenceHandler, type ReferenceServer, type ReferenceServerOptions } from './http/server.ts';
