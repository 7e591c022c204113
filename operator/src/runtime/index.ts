// The controller runtime: a small library in the spirit of controller-runtime and kube-rs's
// runtime, on top of client-node 2.x. It knows nothing of occupiers. See README.md.

// caches and controllers
export { Cache, objectKey, splitKey, type CacheOptions, type ResourceKind, type Indexer, type EventHandler } from './cache.ts';
export {
  Controller,
  generationChanged,
  metadataOrSpecChanged,
  metadataOrSpecChangedBesidesFinalizer,
  watchOf,
  ownerKeys,
  DEFAULT_PAUSE_ANNOTATION,
  type ControllerOptions,
  type ReconcileContext,
  type ReconcileResult,
  type Reconciler,
  type UpdatePredicate,
  type WatchSource,
  type ObjectSource,
} from './controller.ts';
export { WorkQueue, type WorkQueueOptions } from './queue.ts';
export { Manager, type ManagerOptions, type LeaderElectionConfig, type StopReason, type ManagedCache, type ManagedController } from './manager.ts';
export { LeaderElector, defaultIdentity, type LeaderElectionOptions } from './leader.ts';

// helpers for reconcilers
export { ResourceClient, type JsonPatchOp } from './client.ts';
export { finalizer, StaleFinalizerError, type FinalizerHandlers } from './finalizers.ts';
export { updateStatus, patchStatus, putStatus, type UpdateStatusOptions, type PutStatusResult } from './status.ts';
export { OwnWrites } from './ownwrites.ts';
export { setCondition, removeCondition, getCondition, isTrue, isFalse, isCurrent, rfc3339, type Condition, type ConditionInput, type ConditionStatus } from './conditions.ts';
export { EventRecorder, eventNamespace, type EventRecorderOptions, type EventType } from './events.ts';
export { TerminalError, classifyApiError, isNotFound, isConflict, isGone, isTooLarge, httpStatus, errorMessage, type ApiErrorKind } from './errors.ts';

// plumbing
export { RuntimeMetrics, defaultMetrics, RECONCILE_RESULTS, type ReconcileResultLabel } from './metrics.ts';
export { TokenBucket, ItemExponentialBackoff, ControllerRateLimiter, makeRateLimitedApiClient, apiRateLimiter, rateLimitMiddleware, type RateLimiter } from './ratelimit.ts';
export { createLogger, silentLogger, type Logger } from './logging.ts';
export { realClock, FakeClock, type Clock } from './clock.ts';
export { pooledKubeConfig, closePool, POOL_CONNECTIONS } from './pool.ts';
