/**
 * Where a contract, occupancy or service stands on a given local date. Every comparison is
 * between calendar dates of one site, so the caller first turns "now" into that site's
 * local date with `localDate(now, site.spec.timezone)`.
 */
import type { OccupierSpec } from '../api/index.ts';
import type { CalendarDate } from './dates.ts';

export type SiteEntry = OccupierSpec['sites'][number];
export type Contract = SiteEntry['contract'];
export type Occupancy = NonNullable<SiteEntry['occupancies']>[number];
export type Service = NonNullable<SiteEntry['services']>[number];

/** Upcoming (starts after today), Active (started, not ended before today) or Completed. */
export type ContractState = 'Upcoming' | 'Active' | 'Completed';

/** The state of a contract on `today` (its end date is its last day). */
export function contractState(contract: Contract, today: CalendarDate): ContractState {
  if (contract.startDate > today) return 'Upcoming';
  if (contract.endDate !== undefined && contract.endDate < today) return 'Completed';
  return 'Active';
}

/**
 * Upcoming (moves in after today), MovedInToday, Active (moved in before today and not moved
 * out before today) or Completed (moved out before today). The manual treats
 * Upcoming and MovedInToday alike on decommission: the occupancy is deleted.
 */
export type OccupancyState = 'Upcoming' | 'MovedInToday' | 'Active' | 'Completed';

export function occupancyState(occupancy: Occupancy, today: CalendarDate): OccupancyState {
  if (occupancy.movedIn > today) return 'Upcoming';
  if (occupancy.movedOut !== undefined && occupancy.movedOut < today) return 'Completed';
  if (occupancy.movedIn === today) return 'MovedInToday';
  return 'Active';
}

/** First day of a service: its own `startDate`, else the contract's. */
export function serviceStart(service: Service, contract: Contract): CalendarDate {
  return service.startDate ?? contract.startDate;
}

/** Whether a service is scheduled to start after today. */
export function serviceIsFuture(service: Service, contract: Contract, today: CalendarDate): boolean {
  return serviceStart(service, contract) > today;
}
