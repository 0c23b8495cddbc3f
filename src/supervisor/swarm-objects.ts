/**
 * The Swarm configs and secrets of the swarm runtime's workers: created when a worker needs them (a name is
 * a content, so an existing one is the same), and removed once no service mounts them. Swarm refuses to
 * remove an object a task still uses: those are retried in the background of a later list(), and a first
 * sweep removes the leftovers of configs removed while no supervisor ran.
 */
import type Docker from 'dockerode';
import { RemoteError, describeError, type Logger } from '../lib/index.js';
import { statusOf } from './docker-runtime.js';
import { LABEL_CONFIG, LABEL_MANAGED, LABEL_SCOPE, LABEL_SUPERVISOR } from './interface.js';
import type { PlannedObject, SwarmObjectKind, SwarmServiceSpec } from './swarm-spec.js';
import { containerName } from './template.js';

export interface SwarmObjectInfo {
  kind: SwarmObjectKind;
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface SwarmObjectsDeps {
  docker: Docker;
  /** One engine call with a deadline, its failures turned into our typed errors (the runtime's). */
  call: <T>(what: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  inScope: (labels: Record<string, string> | undefined) => boolean;
  scopeFilter: () => string[];
  scope: string | undefined;
  supervisorId: string | undefined;
  log: Logger;
  inspectServiceOrNull: (ref: string) => Promise<Docker.Service | null>;
  /** One operation per instance at a time (the runtime's lock). */
  withLock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

export interface SwarmObjects {
  /** Creates the objects that do not exist yet; returns their ids by `kind:name`. */
  ensure(name: string, objects: PlannedObject[]): Promise<Map<string, string>>;
  /** Removes the objects of `name` its service no longer mounts (all once it is gone). Call under its lock. */
  collectGarbage(name: string): Promise<void>;
  /** Its objects exist but its service may never be created: a later sweep looks at them. */
  markPending(name: string): void;
  /** Starts a background sweep when one is due (never two at once). */
  sweep(): void;
  /** The sweep in flight, if any. */
  settled(): Promise<void>;
}

export function createSwarmObjects(deps: SwarmObjectsDeps): SwarmObjects {
  const { docker, call, inScope, scopeFilter, inspectServiceOrNull, withLock } = deps;
  /** Configs whose unreferenced objects could not all be removed yet; also a first sweep for leftovers. */
  const gcPending = new Set<string>();
  let sweptOnce = false;
  let sweeping: Promise<void> | null = null;

  const listObjects = async (filters: { label: string[] }): Promise<SwarmObjectInfo[]> => {
    const [configs, secrets] = await Promise.all([
      call('listing Swarm configs', (abortSignal) => docker.listConfigs({ filters, abortSignal })),
      call('listing Swarm secrets', (abortSignal) => docker.listSecrets({ filters, abortSignal })),
    ]);
    const toInfo = (kind: SwarmObjectKind, o: { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }): SwarmObjectInfo => ({
      kind,
      id: o.ID,
      name: o.Spec?.Name ?? '',
      labels: o.Spec?.Labels ?? {},
    });
    return [
      ...configs.map((c) => toInfo('config', c)),
      ...(secrets as { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }[]).map((s) => toInfo('secret', s)),
    ].filter((o) => inScope(o.labels));
  };

  /** Creates the objects that do not exist yet (a name is a content: an existing one is the same); returns their ids by kind+name. */
  const ensureObjects = async (name: string, objects: PlannedObject[]): Promise<Map<string, string>> => {
    const labels: Record<string, string> = { [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: name };
    if (deps.scope) labels[LABEL_SCOPE] = deps.scope;
    if (deps.supervisorId) labels[LABEL_SUPERVISOR] = deps.supervisorId;
    const ids = new Map<string, string>();
    for (const o of objects) {
      const key = `${o.kind}:${o.name}`;
      if (ids.has(key)) continue;
      const body = { Name: o.name, Labels: labels, Data: o.data.toString('base64') };
      try {
        const created = (await call(`creating Swarm ${o.kind} ${o.name}`, (abortSignal) =>
          o.kind === 'config' ? docker.createConfig({ ...body, abortSignal }) : docker.createSecret({ ...body, abortSignal }),
        )) as { id?: string; ID?: string };
        ids.set(key, created.id ?? created.ID ?? '');
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        const found = await call(
          `looking up Swarm ${o.kind} ${o.name}`,
          (abortSignal): Promise<unknown> =>
            o.kind === 'config'
              ? docker.listConfigs({ filters: { name: [o.name] }, abortSignal })
              : docker.listSecrets({ filters: { name: [o.name] }, abortSignal }),
        );
        const same = (found as { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }[]).find((f) => f.Spec?.Name === o.name);
        if (!same) throw err;
        if (same.Spec?.Labels?.[LABEL_MANAGED] !== 'true') {
          throw new RemoteError(`a Swarm ${o.kind} named ${o.name} exists that campus-sync did not create: left alone (remove it)`, { status: 409 });
        }
        ids.set(key, same.ID);
      }
      if (!ids.get(key)) throw new RemoteError(`the engine gave no id for the Swarm ${o.kind} ${o.name}`);
    }
    return ids;
  };

  /**
   * Removes the objects of `name` its service no longer mounts (all of them once it is gone). Removal
   * can fail while Swarm still counts them in use: those are tried again on a later list().
   * Call under the instance's lock.
   */
  const collectGarbage = async (name: string, objects?: SwarmObjectInfo[]): Promise<void> => {
    const mine = (objects ?? (await listObjects({ label: [...scopeFilter(), `${LABEL_CONFIG}=${name}`] }))).filter((o) => o.labels[LABEL_CONFIG] === name);
    const svc = await inspectServiceOrNull(containerName(name));
    const keep = svc && svc.Spec?.Labels?.[LABEL_MANAGED] === 'true' && inScope(svc.Spec.Labels) ? referencedBy(svc.Spec) : new Set<string>();
    let left = 0;
    for (const o of mine) {
      if (keep.has(`${o.kind}:${o.name}`)) continue;
      try {
        await call(`removing Swarm ${o.kind} ${o.name}`, (abortSignal) =>
          (o.kind === 'config' ? docker.getConfig(o.id) : docker.getSecret(o.id)).remove({ abortSignal }),
        );
        deps.log.debug(`removed the Swarm ${o.kind} ${o.name}: no longer used`, { instance: name });
      } catch (err) {
        if (statusOf(err) === 404) continue;
        left++;
        deps.log.debug(`cannot remove the Swarm ${o.kind} ${o.name} yet (${describeError(err)}); trying again later`, { instance: name });
      }
    }
    if (left) gcPending.add(name);
    else gcPending.delete(name);
  };

  /** In the background of list(): a first sweep of leftovers (objects of configs removed while no supervisor ran), then retries. */
  const sweep = (): void => {
    if (sweeping || (sweptOnce && gcPending.size === 0)) return;
    const all = !sweptOnce;
    sweeping = (async () => {
      const objects = await listObjects({ label: scopeFilter() });
      const names = all ? new Set(objects.map((o) => o.labels[LABEL_CONFIG]).filter((n): n is string => !!n)) : new Set(gcPending);
      for (const name of names) await withLock(name, () => collectGarbage(name, objects));
      sweptOnce = true;
    })()
      .catch((err: unknown) => deps.log.debug(`Swarm objects garbage collection: ${describeError(err)}`))
      .finally(() => {
        sweeping = null;
      });
  };

  return {
    ensure: ensureObjects,
    collectGarbage: (name) => collectGarbage(name),
    markPending: (name) => void gcPending.add(name),
    sweep,
    settled: async () => {
      await sweeping;
    },
  };
}

/** The spec with the engine's ids of the objects it mounts. */
export const withIds = (spec: SwarmServiceSpec, ids: Map<string, string>): SwarmServiceSpec => {
  const c = spec.TaskTemplate.ContainerSpec;
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...c,
        Configs: c.Configs.map((r) => ({ ...r, ConfigID: ids.get(`config:${r.ConfigName}`)! })),
        Secrets: c.Secrets.map((r) => ({ ...r, SecretID: ids.get(`secret:${r.SecretName}`)! })),
      },
    },
  };
};

/** The object names a live service spec mounts. */
const referencedBy = (spec: Docker.ServiceSpec | undefined): Set<string> => {
  const c = (spec?.TaskTemplate as { ContainerSpec?: { Configs?: { ConfigName?: string }[]; Secrets?: { SecretName?: string }[] } } | undefined)?.ContainerSpec;
  return new Set([...(c?.Configs ?? []).map((r) => `config:${r.ConfigName}`), ...(c?.Secrets ?? []).map((r) => `secret:${r.SecretName}`)]);
};
