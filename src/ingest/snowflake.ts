/**
 * Discord ids ("snowflakes") as decimal strings: they exceed 2^53, so they are compared as BigInt and
 * never turned into numbers. The high bits are milliseconds since Discord's epoch, which lets a time
 * become an id (for "after this instant" queries) and an id tell when its object was created.
 */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;
const TIMESTAMP_SHIFT = 22n;
/** Snowflakes are unsigned 64-bit integers: at most 20 decimal digits. */
export const SNOWFLAKE_PATTERN = /^\d{1,20}$/;

export const isSnowflake = (s: string): boolean => SNOWFLAKE_PATTERN.test(s);

/** When the object with this id was created (Unix ms). */
export function snowflakeToMs(id: string): number {
  return Number((BigInt(id) >> TIMESTAMP_SHIFT) + BigInt(DISCORD_EPOCH_MS));
}

/** The smallest id of an object created at `ms` (before 2015: "0", i.e. before everything). */
export function snowflakeFromMs(ms: number): string {
  const since = BigInt(Math.floor(ms)) - BigInt(DISCORD_EPOCH_MS);
  return since <= 0n ? '0' : (since << TIMESTAMP_SHIFT).toString();
}

export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const maxSnowflake = (a: string, b: string): string => (compareSnowflakes(a, b) >= 0 ? a : b);
export const minSnowflake = (a: string, b: string): string => (compareSnowflakes(a, b) <= 0 ? a : b);
