export * from './calendar-event.js';
export * from './errors.js';
export * from './retry.js';
export * from './atomic-write.js';
export * from './clock.js';
export * from './redact.js';
export * from './logger.js';
export * from './container-id.js';
