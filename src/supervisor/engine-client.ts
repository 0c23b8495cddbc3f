/**
 * The one place dockerode is loaded and its client made (the docker and swarm runtimes call `newEngineClient`).
 *
 * dockerode loads, with itself, two parts we never use: its BuildKit session (`@grpc/grpc-js` and
 * `@grpc/proto-loader`, for `docker build` with BuildKit) and docker-modem's SSH transport (`ssh2`, for
 * `DOCKER_HOST=ssh://…`). They cost the supervisor ~11 MB of resident memory (issue 20, `/usr/bin/time` max RSS
 * of a ping, 2026-12-07: 63.5 MB with them, 52.2 MB without), on a Pi and with a Swarm of 100 services whose
 * supervisor should stay under 80 MB. So while dockerode loads (a synchronous `require`: nothing else runs
 * meanwhile), those requests get stand-ins that load the real module the first time they are used: an SSH
 * `DOCKER_HOST` still works, it just pays for ssh2 then. The hook is removed before this returns.
 */
import Module, { createRequire } from 'node:module';
import { sep } from 'node:path';
import type Docker from 'dockerode';

/** Required only inside dockerode's BuildKit session functions: a stand-in object that loads them on first use. */
const LAZY_OBJECTS = new Set(['@grpc/grpc-js', '@grpc/proto-loader']);
/** docker-modem's `./ssh` exports one function (opts → http.Agent) and reads `require('ssh2').Client` at load. */
const LAZY_SSH = './ssh';

type LoadFn = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: LoadFn };

let loaded: typeof Docker | undefined;

/** dockerode's constructor, loaded once with the stand-ins above. */
export function loadDockerode(): typeof Docker {
  if (loaded) return loaded;
  const original = moduleInternals._load;
  moduleInternals._load = function lazyParts(this: unknown, request, parent, isMain) {
    const real = () => original.call(this, request, parent, isMain);
    if (LAZY_OBJECTS.has(request)) return lazyObject(real);
    if (request === LAZY_SSH && parent?.filename?.includes(`${sep}docker-modem${sep}`)) return lazyFunction(real);
    return real();
  };
  try {
    loaded = createRequire(import.meta.url)('dockerode') as typeof Docker;
  } finally {
    moduleInternals._load = original;
  }
  return loaded;
}

/** A client of the Docker engine: options as dockerode takes them (none: DOCKER_HOST or the local socket). */
export function newEngineClient(options?: Docker.DockerOptions): Docker {
  const Dockerode = loadDockerode();
  return new Dockerode(options);
}

function lazyObject(load: () => unknown): object {
  let real: object | undefined;
  const target = (): object => (real ??= load() as object);
  return new Proxy(
    {},
    {
      get: (_, key) => Reflect.get(target(), key),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

function lazyFunction(load: () => unknown): (...args: unknown[]) => unknown {
  let real: ((...args: unknown[]) => unknown) | undefined;
  return (...args) => (real ??= load() as (...args: unknown[]) => unknown)(...args);
}
