import type { Clock } from '../lib/index.js';

export type Spend = { ok: true } | { ok: false; retryAfterS: number; scope: 'client' | 'total' };

export interface Budget {
  /**
   * Spends `units` (a request, or bytes) for `client` when both its own allowance and the total one have room in
   * the window; otherwise spends nothing and says when to come back. Synchronous on purpose: a request checks and
   * spends in one step, before any await, so a hundred concurrent requests cannot all pass the check first.
   */
  take(client: string, units?: number): Spend;
  /** Gives back what a request spent (a refused form, a failed upstream): it should not count against the visitor. */
  refund(client: string, units?: number): void;
}

export interface BudgetOptions {
  /** Units one client may spend per window. */
  perClient: number;
  /** Units all clients together may spend per window. */
  total: number;
  windowMs: number;
  clock: Clock;
  /**
   * Clients remembered at once. Past it (someone spraying addresses) the window's oldest clients are forgotten
   * and the total allowance still holds, so memory stays bounded without letting anything through.
   */
  maxClients?: number;
}

const DEFAULT_MAX_CLIENTS = 10_000;

interface Ledger {
  /** [time, units] spent, oldest first. */
  entries: [number, number][];
  sum: number;
}

const newLedger = (): Ledger => ({ entries: [], sum: 0 });

function expire(ledger: Ledger, now: number, windowMs: number): void {
  let drop = 0;
  while (drop < ledger.entries.length && now - (ledger.entries[drop] as [number, number])[0] >= windowMs) {
    ledger.sum -= (ledger.entries[drop] as [number, number])[1];
    drop++;
  }
  if (drop > 0) ledger.entries.splice(0, drop);
}

/** Seconds until `ledger` has room for `units` more under `limit` (at least 1). */
function waitFor(ledger: Ledger, units: number, limit: number, now: number, windowMs: number): number {
  let sum = ledger.sum;
  for (const [at, spent] of ledger.entries) {
    sum -= spent;
    if (sum + units <= limit) return Math.max(1, Math.ceil((at + windowMs - now) / 1000));
  }
  return Math.max(1, Math.ceil(windowMs / 1000));
}

/** A sliding-window budget per client and in all (see Budget). */
export function createBudget(opts: BudgetOptions): Budget {
  const clients = new Map<string, Ledger>();
  const total = newLedger();
  const maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;

  const ledgerOf = (client: string, now: number): Ledger => {
    let ledger = clients.get(client);
    if (ledger) return ledger;
    if (clients.size >= maxClients) {
      for (const [k, l] of clients) {
        expire(l, now, opts.windowMs);
        if (l.entries.length === 0) clients.delete(k);
      }
      // Still full: forget the longest-known client (Map order is insertion order).
      if (clients.size >= maxClients) clients.delete(clients.keys().next().value as string);
    }
    ledger = newLedger();
    clients.set(client, ledger);
    return ledger;
  };

  return {
    take(client, units = 1) {
      const now = opts.clock.now().getTime();
      const own = ledgerOf(client, now);
      expire(own, now, opts.windowMs);
      expire(total, now, opts.windowMs);
      if (own.sum + units > opts.perClient) return { ok: false, scope: 'client', retryAfterS: waitFor(own, units, opts.perClient, now, opts.windowMs) };
      if (total.sum + units > opts.total) return { ok: false, scope: 'total', retryAfterS: waitFor(total, units, opts.total, now, opts.windowMs) };
      own.entries.push([now, units]);
      own.sum += units;
      total.entries.push([now, units]);
      total.sum += units;
      return { ok: true };
    },
    refund(client, units = 1) {
      const own = clients.get(client);
      for (const ledger of own ? [own, total] : [total]) {
        const last = ledger.entries[ledger.entries.length - 1];
        if (!last) continue;
        const back = Math.min(units, last[1]);
        last[1] -= back;
        ledger.sum -= back;
      }
    },
  };
}

/** The 429 answer's headers for a refused spend. */
export const retryAfterHeaders = (spend: { retryAfterS: number }): Record<string, string> => ({
  'retry-after': String(spend.retryAfterS),
  'cache-control': 'no-store',
});
