export { realClock, FakeClock, type Clock } from './clock.ts';
export { TerminalError, classifyApiError, isNotFound, isConflict, isGone, httpStatus, errorMessage, type ApiErrorKind } from './errors.ts';
export { TokenBucket, ItemExponentialBackoff, ControllerRateLimiter, makeRateLimitedApiClient, apiRateLimiter, rateLimitMiddleware, type RateLimiter } from './ratelimit.ts';
export { WorkQueue, type WorkQueueOptions } from './queue.ts';
export { RuntimeMetrics, RECONCILE_RESULTS, type ReconcileResultLabel } from './metrics.ts';
export { setCondition, removeCondition, getCondition, isTrue, isFalse, isCurrent, rfc3339, type Condition, type ConditionInput, type ConditionStatus } from './conditions.ts';
export { Cache, objectKey, splitKey, resourcePath, type CacheOptions, type ResourceKind, type Indexer, type EventHandler } from './cache.ts';
export {
  Controller,
  generationChanged,
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
export { createLogger, silentLogger, type Logger } from './logging.ts';
export { ResourceClient, type JsonPatchOp } from './client.ts';
export { updateStatus, patchStatus, type UpdateStatusOptions } from './status.ts';
export { finalizer, type FinalizerHandlers } from './finalizers.ts';
export { EventRecorder, type EventRecorderOptions, type EventType } from './events.ts';
export { LeaderElector, defaultIdentity, type LeaderElectionOptions } from './leader.ts';
export { Manager, type ManagerOptions, type LeaderElectionConfig, type StopReason, type ManagedCache, type ManagedController } from './manager.ts';
