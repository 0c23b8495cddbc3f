// Behaviour that needs no Docker engine; the engine itself is exercised in test/docker-runtime.test.ts.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { CampusSyncError, ConfigError, RemoteError, silentLogger, TransientError, type Logger } from '../lib/index.js';
import { createDockerRuntime, createLineSplitter, createLogDemuxer, describeEndpoint, toTypedError } from './docker-runtime.js';
import { byName } from './interface.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../../compose.template.yml');

/** One stdcopy frame: stream 1 = stdout, 2 = stderr. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('createLogDemuxer', () => {
  it('splits frames into lines, whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([frame(2, 'first line\nsecond '), frame(2, 'half\r\n'), frame(1, 'out é\n'), frame(2, 'no newline')]);
    // Every possible cut into two chunks gives the same lines.
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = createLogDemuxer();
      const lines = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.end()];
      expect(lines, `cut at ${cut}`).toEqual(['first line', 'second half', 'out é', 'no newline']);
    }
  });

  it('keeps stdout and stderr partial lines apart', () => {
    const d = createLogDemuxer();
    const lines = [...d.push(Buffer.concat([frame(1, 'out-'), frame(2, 'err-'), frame(1, 'end\n'), frame(2, 'end\n')])), ...d.end()];
    expect(lines).toEqual(['out-end', 'err-end']);
  });

  it('a TTY stream is plain text', () => {
    const s = createLineSplitter();
    const multibyte = Buffer.from('été\n');
    expect([...s.push(multibyte.subarray(0, 1)), ...s.push(multibyte.subarray(1)), ...s.end()]).toEqual(['été']);
  });
});

describe('engine failures', () => {
  const unreachable = (): Docker => new Docker({ socketPath: '/nonexistent/docker.sock' });

  it('an unreachable engine is a TransientError naming the socket; ping answers false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-docker-unit-'));
    const rt = createDockerRuntime({
      docker: unreachable(),
      templatePath: TEMPLATE_PATH,
      image: 'campus-sync:local',
      hostConfigDir: dir,
      hostDataDir: dir,
      localDataDir: dir,
      logger: silentLogger,
    });
    expect(await rt.ping()).toBe(false);
    const err = await rt.list().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/^Docker engine unreachable at \/nonexistent\/docker\.sock: .*ENOENT/);
    await expect(rt.remove(byName('alice'))).rejects.toBeInstanceOf(TransientError);
    await rt.close();
  });

  it('specHash works without an engine and matches the template rendering', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-docker-unit-'));
    const rt = createDockerRuntime({
      docker: unreachable(),
      templatePath: TEMPLATE_PATH,
      image: 'campus-sync:local',
      hostConfigDir: '/h/configs',
      hostDataDir: '/h/data',
      localDataDir: dir,
      logger: silentLogger,
    });
    const w = { name: 'alice', configFile: '/anywhere/alice.yml', configSha: 'a'.repeat(64) };
    expect(rt.specHash(w)).toMatch(/^[0-9a-f]{64}$/);
    expect(rt.specHash(w)).toBe(rt.specHash({ ...w }));
    expect(rt.specHash({ ...w, configSha: 'b'.repeat(64) })).not.toBe(rt.specHash(w));
  });

  it('reads the template again for every spec: an edit rolls out, a broken edit keeps the last good one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-docker-unit-'));
    const templatePath = join(dir, 'compose.template.yml');
    const shipped = await readFile(TEMPLATE_PATH, 'utf8');
    await writeFile(templatePath, shipped);
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (m) => void errors.push(m), child: () => logger };
    const rt = createDockerRuntime({
      docker: unreachable(),
      templatePath,
      image: 'campus-sync:local',
      hostConfigDir: '/h/configs',
      hostDataDir: '/h/data',
      localDataDir: dir,
      logger,
    });
    const w = { name: 'alice', configFile: '/anywhere/alice.yml', configSha: 'a'.repeat(64) };
    const original = rt.specHash(w);

    await writeFile(templatePath, shipped.replace('${MEM_LIMIT:-128m}', '${MEM_LIMIT:-96m}'));
    const edited = rt.specHash(w);
    expect(edited).not.toBe(original);

    await writeFile(templatePath, `${shipped}    ports: ["80:80"]\n`);
    expect(rt.specHash(w)).toBe(edited);
    expect(rt.specHash(w)).toBe(edited);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/worker template unusable, keeping the previous one: .*unsupported key "ports"/);

    const fresh = createDockerRuntime({
      docker: unreachable(),
      templatePath,
      image: 'campus-sync:local',
      hostConfigDir: '/h/configs',
      hostDataDir: '/h/data',
      localDataDir: dir,
      logger,
    });
    expect(() => fresh.specHash(w)).toThrow(ConfigError);
  });

  it('classifies engine answers: 5xx may pass later, 4xx will not, a timeout is transient', () => {
    const e500 = toTypedError(
      Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500, json: { message: 'driver failed' } }),
      '/s',
      'creating x',
      1000,
    );
    expect(e500).toBeInstanceOf(TransientError);
    expect(e500.message).toBe('Docker engine refused creating x: driver failed (HTTP 500)');
    const e400 = toTypedError(Object.assign(new Error('bad'), { statusCode: 400, json: { message: 'invalid mount' } }), '/s', 'creating x', 1000);
    expect(e400).toBeInstanceOf(RemoteError);
    expect(e400.retryable).toBe(false);
    const timeout = toTypedError(Object.assign(new Error('aborted'), { name: 'AbortError' }), '/s', 'listing workers', 30_000);
    expect(timeout).toBeInstanceOf(TransientError);
    expect(timeout.message).toMatch(/did not answer within 30 s while listing workers/);
    const denied = toTypedError(Object.assign(new Error('connect EACCES'), { code: 'EACCES' }), '/var/run/docker.sock', 'pinging', 1000);
    expect(denied).toBeInstanceOf(CampusSyncError);
    expect(denied.retryable).toBe(false);
    expect(denied.message).toMatch(/unreachable at \/var\/run\/docker\.sock: permission denied/);
  });

  it('names a TCP engine by its address', () => {
    expect(describeEndpoint(new Docker({ host: '127.0.0.1', port: 2375, protocol: 'http' }))).toBe('http://127.0.0.1:2375');
  });
});
