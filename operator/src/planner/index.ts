/**
 * The pure planner: given an occupier, its sites and an order, what must happen. No I/O,
 * no clock (time is always a parameter); controllers read state, call these, call drivers
 * and write status.
 */
export {
  addDays,
  compareDates,
  daysBetween,
  DateError,
  endOfDay,
  isAfter,
  isBefore,
  isCalendarDate,
  isValidTimeZone,
  localDate,
  parseDate,
  startOfDay,
  utcOffsetMs,
} from './dates.ts';
export type { CalendarDate } from './dates.ts';
export { DATE_ONLY_RUN_HOUR_UTC, resolveSchedule, ScheduleError, scheduleDecision } from './schedule.ts';
export type { ScheduleDecision, ScheduleInput } from './schedule.ts';
export { contractState, occupancyState, serviceIsFuture, serviceStart } from './classify.ts';
export type { ContractState, OccupancyState } from './classify.ts';
export { conflictingOrders, hasStarted, isTerminal, TERMINAL_ORDER_PHASES } from './conflicts.ts';
export {
  AlreadyDecommissioned,
  checkPrerequisites,
  confirmation,
  ConfirmationMismatch,
  ConflictingOrder,
  ContractStartsToday,
  DECOMMISSION_PREREQUISITES,
  DecommissionFailed,
  DecommissionPending,
  HandsetLoggedIn,
  ServiceFailed,
  ServiceUpdating,
  SiteNotFound,
  sitesRequiringAccess,
} from './prerequisites.ts';
export type { PrerequisiteCheck, PrerequisiteInput, PrerequisiteReason } from './prerequisites.ts';
export { DECOMMISSION_STEPS, DEFAULT_COOLING_OFF_DAYS, planDecommission } from './decommission.ts';
export type { DecommissionHistory, DecommissionInput, DecommissionPlan, DecommissionSitePlan, DecommissionStep } from './decommission.ts';
export { indexSites, observedFromStatus } from './types.ts';
export type { Failure, Observed, OrderKind, OrderSummary, PlanAction, PlanItem, PlanItemKind, SiteIndex } from './types.ts';
export {
  AlreadyAtDestination,
  MinuteBundleNotOffered,
  NoActiveContract,
  NoNetworkPool,
  NoNumberPool,
  planSiteMove,
  SameSite,
  SITE_MOVE_STEPS,
  SpaceNotFound,
  SpaceNotFree,
  TariffNotOffered,
  UnmatchedServices,
} from './sitemove.ts';
export type { SiteMoveInput, SiteMovePlan, SiteMoveReason, SiteMoveStep, SiteMoveStepPlan } from './sitemove.ts';
export {
  AlreadyWithReseller,
  CUSTOMER_MOVE_STEPS,
  LocationMismatch,
  NotACustomer,
  NotAReseller,
  planCustomerMove,
  ResellerCannotMove,
  ResellerNotFound,
  ServiceNotOffered,
  UnknownMappedAccessLevel,
  UnmatchedAccessLevels,
} from './customermove.ts';
export type { CustomerMoveInput, CustomerMovePlan, CustomerMoveReason, CustomerMoveStep, ServiceMapping } from './customermove.ts';
export { activeOrder, effectsOf, occupierPhase } from './phase.ts';
export type { OrderEffect, PhaseInput } from './phase.ts';
export { applySiteMove, completedEffects, describeDrift, effectiveSpec, movesOf, resellerOf, siteMoveOutcome } from './effective.ts';
export type { CompletedSiteMove, EffectiveSpec, OrderResource } from './effective.ts';
