import type { Locale } from '../../lib/index.js';

/**
 * What the status page (`/me/<token>`) and the dashboard's Delete may do to one instance (issue 23). The API layer
 * may not import agenda/, ecal/, notify/ or the supervisor (DESIGN's table): the CLI's composition root implements
 * this (src/cli/instance-manager.ts) and `serve` injects it, as it does the dashboard's buttons.
 * Every message is in `locale` (the page's language) and holds no secret.
 */

export interface ManageResult {
  ok: boolean;
  message: string;
  details?: string[];
}

export interface PasswordCheck {
  ok: boolean;
  /** wrong-password, action-needed, unreachable, failed, no-timetable (the config has no MonCampus section). */
  reason?: string;
  message: string;
}

export interface DeleteChoices {
  /** Also remove data/<name>/ (state, history, ICS file, errors): asked and confirmed separately. */
  alsoData: boolean;
  /** Also delete from ECAL the events campus-sync created for this config (never a hand-made one). */
  ecalEvents: boolean;
}

export interface DeleteOutcome extends ManageResult {
  /** configs/<name>.yml is gone (false: nothing was removed, `message` says why). */
  configRemoved: boolean;
  dataRemoved: boolean;
  /** Events deleted from ECAL (0 when not asked). */
  ecalDeleted: number;
}

export interface InstanceManager {
  /** Stops the worker until resumed (the supervisor keeps it stopped). */
  pause(name: string, locale: Locale): Promise<ManageResult>;
  resume(name: string, locale: Locale): Promise<ManageResult>;
  /** The worker restarted: after a password written into its `passwordFile`, which the supervisor does not watch. */
  restart(name: string, locale: Locale): Promise<ManageResult>;
  /** A real MonCampus login and fetch with the config's host and login and this password; nothing is written. */
  checkPassword(name: string, password: string, locale: Locale): Promise<PasswordCheck>;
  /** One test message per notification channel of the config. */
  testNotifications(name: string, locale: Locale): Promise<ManageResult>;
  /**
   * The one delete core, for the dashboard and the status page: stops the worker, removes its ECAL events when
   * asked, removes the config file, the status-page token, and data/<name>/ only when asked.
   */
  deleteInstance(name: string, choices: DeleteChoices, locale: Locale): Promise<DeleteOutcome>;
}
