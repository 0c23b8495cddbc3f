/**
 * The `reference` field is the only handle by which campus-sync recognises its own ECAL events.
 * It is derived from the instance and the course, never random: a random one (the Python original)
 * makes every run look like delete + create and spams subscribers with notifications.
 */

/** Prefix of every reference we write; a reference without it is not ours. */
export const REFERENCE_PREFIX = 'campus-sync';

export interface ParsedReference {
  instance: string;
  sourceId: string;
}

/** `campus-sync:<instance>:<sourceId>`. Instance names cannot contain ':' (`[a-z0-9][a-z0-9_-]*`). */
export function eventReference(instance: string, sourceId: string): string {
  if (instance.includes(':')) throw new Error(`instance name cannot contain ':' (got "${instance}")`);
  return `${REFERENCE_PREFIX}:${instance}:${sourceId}`;
}

/** The instance and course of one of our references; null for anything else (hand-made, legacy, empty). */
export function parseReference(ref: unknown): ParsedReference | null {
  if (typeof ref !== 'string') return null;
  const first = ref.indexOf(':');
  if (first < 0 || ref.slice(0, first) !== REFERENCE_PREFIX) return null;
  const second = ref.indexOf(':', first + 1);
  if (second < 0) return null;
  const instance = ref.slice(first + 1, second);
  // The source id may itself contain ':' — only the instance is delimited.
  const sourceId = ref.slice(second + 1);
  if (instance === '' || sourceId === '') return null;
  return { instance, sourceId };
}

/** True only for references campus-sync wrote for THIS instance: the only events it may update or delete. */
export function isOwnedReference(ref: unknown, instance: string): boolean {
  return parseReference(ref)?.instance === instance;
}

/**
 * The Python original wrote a random number as reference. Such events are probably ours from before,
 * but not provably: they are only ever adopted when they match a course exactly, never deleted.
 */
export function isLegacyReference(ref: unknown): boolean {
  return typeof ref === 'string' && /^\d+$/.test(ref);
}
