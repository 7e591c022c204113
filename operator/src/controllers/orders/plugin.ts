/**
 * What an order kind supplies to the one order engine (`engine.ts`). The engine owns the
 * lifecycle every order shares — schedule, prerequisites, approval, frozen plan, per-site
 * tasks, retry, finish, archive — and asks the plug-in only for what differs:
 *
 * - `gather`: read what the prerequisites and the plan need (caches, driver observations);
 * - `prerequisites`: every unmet one, as PascalCase failures (all listed under `Blocked`);
 * - `plan`: the review (items, summary, unmatched) and the per-site steps, each item carrying
 *   the typed driver operations (`operations`) fixed into status when the run begins;
 * - `effects`: the lasting effect of a Succeeded order on its occupier, which the Occupier
 *   controller (the one writer of `Occupier.status`) applies.
 */
import type { CustomerMoveResource, DecommissionResource, OccupierResource, Operation, OrderStatus, SiteMoveResource, SiteResource, Task } from '../../api/index.ts';
import type { OrderEffect } from '../../planner/phase.ts';
import type { Failure, OrderKind, OrderSummary, PlanItem } from '../../planner/types.ts';
import type { ReconcileContext } from '../../runtime/index.ts';
import type { ExecuteOptions, ItemResult } from '../execute.ts';

export type AnyOrder = SiteMoveResource | CustomerMoveResource | DecommissionResource;
export type { Operation };

/** One step of the plan at one site: its items run in parallel, steps of a site in order. */
export interface PlannedStep {
  site: string;
  step: string;
  /** Do not start before this instant (e.g. end of the move date at the source, site time zone). */
  notBefore?: Date | undefined;
  /** Review items with their operations (`PlanItem.ops`). */
  items: PlanItem[];
}

/** A step that runs once after every site step succeeded (archive, ...), before `notify`. */
export interface FinalStep<R extends AnyOrder> {
  step: string;
  run(order: R, env: RunEnv): Promise<ItemResult[]>;
}

export interface Milestone<R extends AnyOrder> {
  type: string;
  reached(order: R, tasks: readonly Task[]): boolean;
  message(order: R): string;
}

export interface OrderPlan {
  /** One line: counts per action. */
  summary: string;
  /** Items that block the order until mapped or fixed (shown in `status.plan.unmatched`). */
  unmatched?: string[] | undefined;
  /** Steps per site, in order per site. Every step is listed, even with no items. */
  steps: PlannedStep[];
}

/** What `gather` and final steps may use. */
export interface GatherEnv {
  sites: { get(name: string): SiteResource | undefined; list(): SiteResource[] };
  /** Every order (any kind) of the occupier `namespace/name`. */
  ordersFor(occupierKey: string): OrderSummary[];
  execute: Pick<ExecuteOptions, 'drivers' | 'metrics'>;
  ctx: ReconcileContext;
  now: Date;
}

export interface RunEnv {
  sites: GatherEnv['sites'];
  execute: Pick<ExecuteOptions, 'drivers' | 'metrics'>;
  ctx: ReconcileContext;
}

export interface OrderPlugin<R extends AnyOrder, G = unknown> {
  kind: OrderKind;
  /** Plural for kubectl hints, e.g. `sitemove`. */
  kubectlName: string;
  /**
   * Refusals that need no gathering and never change by waiting (e.g. a confirmation that
   * does not match): the order fails at once with this reason and message.
   */
  refuse?(order: R, occupier: OccupierResource): Failure | null;
  gather(order: R, occupier: OccupierResource, env: GatherEnv): Promise<G>;
  /** Every unmet prerequisite; the engine adds `ConflictingOrder` itself. */
  prerequisites(order: R, occupier: OccupierResource, gathered: G, now: Date): Failure[];
  plan(order: R, occupier: OccupierResource, gathered: G, now: Date): OrderPlan;
  /**
   * Conditions set True (with a Normal Event) once `reached(tasks)`, while the run goes on,
   * e.g. SiteMove's `DestinationReady` when every step at the destination has succeeded.
   */
  milestones?: readonly Milestone<R>[];
  /** Steps run once at the first planned site after every site step (before `notify`). */
  finalSteps?: readonly FinalStep<R>[];
  /** Human text for Events and the notify message. */
  text: {
    /** e.g. "site move of acme from london to leeds". */
    what(order: R): string;
    /** Normal Event and notify body on success, e.g. "client site move complete". */
    succeeded(order: R): string;
  };
  /** The lasting effect of a Succeeded order on its occupier. */
  effects(order: R): OrderEffect | undefined;
}

/** Status of an order (all kinds share it). */
export type { OrderStatus };
