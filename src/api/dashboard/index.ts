export { dashboardExtension, STATE_PATH, LOGIN_FAILURES, type DashboardActions, type DashboardOptions, type ActionResult } from './extension.js';
export { buildDashboardState, PLOT_RUNS, type DashboardState, type InstanceView, type InstanceState, type WatcherView, type RunPoint } from './state.js';
export { SESSION_COOKIE, SESSION_MAX_AGE_S, createSessions, type Sessions } from './auth.js';
export { renderRunPlot } from './plot.js';
export { POLL_MS } from './render.js';
