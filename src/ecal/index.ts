export type { EcalEventBody, EcalRemoteEvent, EcalClient, EcalListQuery, EcalClientStats, EcalCalendar } from './types.js';
export { createEcalClient, type EcalClientOptions } from './client.js';
export { ecalSign, signedQuery } from './sign.js';
export { eventReference, parseReference, isOwnedReference, isLegacyReference, REFERENCE_PREFIX } from './reference.js';
export { planSync, toEcalBody, diffFields, OWNED_FIELDS, type SyncOptions, type SyncPlan, type PlanAction } from './plan.js';
export { executePlan, type ExecuteOptions, type ExecuteResult } from './executor.js';
export { renderIcs, icsUid, nextIcsRevisions, type RenderIcsOptions, type IcsRevision, type IcsRevisions } from './ics.js';
export { removeOwnEvents, type RemoveOwnEventsOptions, type RemoveOwnEventsResult } from './remove-own.js';
export { checkEcal, type EcalCheckResult, type EcalCheckOptions } from './check.js';
