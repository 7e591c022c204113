/** The `simulated` driver and its backend. */
export { SimulatedBackend, type BackendOptions, type BackendClock, type ItemCounts, type SiteItemRef } from './backend.ts';
export { SimulatedDriver, type SimulatedDriverOptions } from './driver.ts';
export { parseFaultSettings, matchesStep, SETTING_NAMES, type FaultSettings } from './faults.ts';
