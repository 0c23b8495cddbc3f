/**
 * The one writer of configs/ in the Docker deployment (issue 23 item 5), with the real engine and the project
 * image (CAMPUS_SYNC_TEST_IMAGE). compose.yml mounts ./configs WRITABLE in the supervisor's container, where the
 * API (`serve`, the supervisor's companion process) writes configs for the dashboard and the status pages.
 *
 * Shape: a `docker run` of the API process (`serve`) with the supervisor service's settings read from the
 * checked-in compose.yml (its user, read-only root, tmpfs, capabilities, no-new-privileges and its ./configs and
 * ./data mounts, unchanged), not a full `compose up`: the supervisor and its workers add a minute and nothing to
 * what is tested here (the docker socket and the template mount are left out: `serve` uses neither). Host
 * networking, so the status page's password check reaches the MonCampus simulator on 127.0.0.1, and the API
 * listens on 127.0.0.1 only.
 *
 * Checked: the dashboard's Save (the owner's guided form) creates configs/<name>.yml, given to uid 1000 with mode
 * 0600 as README's "One writer of configs/" says; the status page's password change replaces lea.yml by a rename
 * (a new inode, no temporary file left), keeping its owner, mode and comments; `campus-sync validate` run as the
 * workers' uid 1000 in the image accepts both files. With `./configs:/config:ro` (an older compose.yml), the
 * password change answers the documented refusal (`self.readOnly`) and the file is untouched.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createInstanceToken } from '../src/invite/index.js';
import { translator } from '../src/lib/index.js';
import { generateTimetable, startMonCampusSim, type MonCampusSim } from '../src/sim/index.js';
import { describeWithDocker, dockerAvailable, LABEL_TEST, removeContainersLabelled, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { REPO } from './docker-supervisor-helpers.js';
import { freePort } from './slots-helpers.js';

const availability = await dockerAvailable();
const en = translator('en');
/** The image's `node` user: workers run as it and read their config as it (compose.template.yml). */
const WORKER_UID = 1000;
const OWNER_KEY = 'configs-mount-key-3c8e1f0a47';
const PASSWORD = 'Ancien-Mot-de-passe-1';
const NEW_PASSWORD = 'Nouveau-Mot-de-passe-2';

/** The supervisor service of the checked-in compose.yml: the settings its API process runs with. */
interface SupervisorService {
  user: string;
  read_only: boolean;
  tmpfs: string[];
  cap_drop: string[];
  cap_add: string[];
  security_opt: string[];
  init: boolean;
  volumes: string[];
}

async function supervisorService(): Promise<SupervisorService> {
  const compose = parse(await readFile(join(REPO, 'compose.yml'), 'utf8')) as { services: { supervisor: SupervisorService } };
  return compose.services.supervisor;
}

describeWithDocker(availability, 'configs/ written by the API in its container, mounted as compose.yml mounts it', (docker: Docker) => {
  const runId = `cm${randomBytes(4).toString('hex')}`;
  let mc: MonCampusSim;
  let root: string;
  let configs: string;
  let data: string;
  let token: string;
  let service: SupervisorService;

  /** The API container, as compose.yml runs the supervisor's (`readOnly`: an older compose.yml's `:ro`). */
  async function startApiContainer(opts: { readOnly: boolean }): Promise<{ base: string; container: Docker.Container }> {
    const port = await freePort();
    const binds = service.volumes
      .map((v) => /^\.\/(configs|data):(\/\w+)$/.exec(v))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, dir, target]) => `${join(root, dir as string)}:${target}${opts.readOnly && dir === 'configs' ? ':ro' : ''}`);
    expect(binds).toEqual([`${configs}:/config${opts.readOnly ? ':ro' : ''}`, `${data}:/data`]);
    const container = await docker.createContainer({
      Image: TEST_IMAGE,
      name: `campus-sync-${runId}-api-${opts.readOnly ? 'ro' : 'rw'}`,
      Cmd: ['serve'],
      User: service.user,
      Labels: { [LABEL_TEST]: runId },
      Env: [
        'CAMPUS_SYNC_CONFIG_DIR=/config',
        'CAMPUS_SYNC_DATA_DIR=/data',
        `PORT=${port}`,
        'HOST=127.0.0.1',
        `API_KEY=${OWNER_KEY}`,
        'LOG_FORMAT=json',
        'LOG_LEVEL=warn',
      ],
      HostConfig: {
        NetworkMode: 'host',
        Binds: binds,
        ReadonlyRootfs: service.read_only,
        Tmpfs: Object.fromEntries(service.tmpfs.map((p) => [p, ''])),
        CapDrop: service.cap_drop,
        CapAdd: service.cap_add,
        SecurityOpt: service.security_opt,
        Init: service.init,
      },
    });
    await container.start();
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      'the API in its container',
      () =>
        fetch(`${base}/health`).then(
          (r) => r.status < 500,
          () => false,
        ),
      60_000,
    );
    return { base, container };
  }

  /** The status page's password form, posted as its page does (its CSRF field from the page just served). */
  async function changePassword(base: string, password: string): Promise<{ status: number; html: string }> {
    const page = await fetch(`${base}/me/${token}`, { headers: { 'accept-language': 'en' } });
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
    const res = await fetch(`${base}/me/${token}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', origin: base },
      body: new URLSearchParams({ csrf, password }).toString(),
    });
    return { status: res.status, html: await res.text() };
  }

  /** `campus-sync validate` in the image, as the workers' uid, over configs/ mounted read-only. */
  async function validateAsWorker(): Promise<{ code: number; out: string }> {
    const container = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['validate'],
      User: `${WORKER_UID}:${WORKER_UID}`,
      Labels: { [LABEL_TEST]: runId },
      Env: ['CAMPUS_SYNC_CONFIG_DIR=/config', 'CAMPUS_SYNC_DATA_DIR=/tmp/data', 'NO_COLOR=1'],
      HostConfig: { NetworkMode: 'none', Binds: [`${configs}:/config:ro`], ReadonlyRootfs: true, Tmpfs: { '/tmp': '' } },
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const out = (await container.logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
    await container.remove({ force: true });
    return { code: StatusCode, out };
  }

  beforeAll(async () => {
    service = await supervisorService();
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: generateTimetable({ count: 6, start: '2026-01-05', seed: 3 }) });
    root = await mkdtemp(join(tmpdir(), 'campus-sync-configs-mount-'));
    configs = join(root, 'configs');
    data = join(root, 'data');
    await mkdir(configs);
    await mkdir(data);
    // lea.yml as `add-config` run as root leaves it: uid 1000, mode 0600; with comments, which an edit keeps.
    await writeFile(
      join(configs, 'lea.yml'),
      ['# Léa, by hand', 'moncampus:', `  url: ${mc.url}`, `  casUrl: ${mc.casUrl}`, '  username: student # her login', `  password: "${PASSWORD}"`, ''].join(
        '\n',
      ),
      { mode: 0o600 },
    );
    await chown(join(configs, 'lea.yml'), WORKER_UID, WORKER_UID);
    token = await createInstanceToken({ dataDir: data }, 'lea');
  });

  afterAll(async () => {
    await removeContainersLabelled(docker, LABEL_TEST, runId);
    await mc?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("compose.yml's writable mount: the dashboard's Save and a password change write atomically, owned as documented; validate accepts them", async () => {
    expect(service.volumes).toContain('./configs:/config');
    const { base, container } = await startApiContainer({ readOnly: false });

    // The owner's Save in the dashboard's guided form: logged in, with the page's anti-CSRF token.
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: `key=${OWNER_KEY}`,
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const form = await (await fetch(`${base}/dashboard/configs/new`, { headers: { cookie } })).text();
    const csrf = (JSON.parse(/id="onboard-settings">([^<]*)</.exec(form)?.[1] ?? '{}') as { csrf: string }).csrf;
    const saved = await fetch(`${base}/onboard/save`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', cookie, 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'max', school: 'other', moncampusUrl: mc.url, username: 'max', password: 'Max-Mot-de-passe-3' }),
    });
    expect(saved.status, await saved.clone().text()).toBe(201);
    const max = await stat(join(configs, 'max.yml'));
    expect({ uid: max.uid, gid: max.gid, mode: max.mode & 0o777 }).toEqual({ uid: WORKER_UID, gid: WORKER_UID, mode: 0o600 });
    expect(await readFile(join(configs, 'max.yml'), 'utf8')).toContain(`url: ${mc.url}`);

    // The status page's password change: checked with MonCampus from the container, then lea.yml replaced.
    mc.setPassword('student', NEW_PASSWORD);
    const before = await stat(join(configs, 'lea.yml'));
    const changed = await changePassword(base, NEW_PASSWORD);
    expect(changed.status, changed.html).toBe(200);
    expect(changed.html).toContain(en('self.passwordSaved', { check: '' }).split('(')[0]);
    const after = await stat(join(configs, 'lea.yml'));
    // A rename of a complete temporary file: a new inode, and nothing left beside it.
    expect(after.ino).not.toBe(before.ino);
    expect((await readdir(configs)).sort()).toEqual(['lea.yml', 'max.yml']);
    expect({ uid: after.uid, gid: after.gid, mode: after.mode & 0o777 }).toEqual({ uid: WORKER_UID, gid: WORKER_UID, mode: 0o600 });
    const lea = await readFile(join(configs, 'lea.yml'), 'utf8');
    expect(lea).toContain('# Léa, by hand');
    expect(lea).toContain('username: student # her login');
    expect(lea).toContain(NEW_PASSWORD);
    expect(lea).not.toContain(PASSWORD);

    const validate = await validateAsWorker();
    expect(validate.code, validate.out).toBe(0);
    expect(validate.out).toMatch(/lea/);
    expect(validate.out).toMatch(/max/);
    await container.remove({ force: true });
  }, 180_000);

  it("an older compose.yml's read-only mount: the password change answers self.readOnly and writes nothing", async () => {
    const { base, container } = await startApiContainer({ readOnly: true });
    const text = await readFile(join(configs, 'lea.yml'), 'utf8');
    const ino = (await stat(join(configs, 'lea.yml'))).ino;
    mc.setPassword('student', PASSWORD);
    const refused = await changePassword(base, PASSWORD);
    expect(refused.status).toBe(500);
    // The message up to its quoted README section (the page escapes the quotes).
    expect(refused.html).toContain(en('self.readOnly').split('"')[0]);
    expect(await readFile(join(configs, 'lea.yml'), 'utf8')).toBe(text);
    expect((await stat(join(configs, 'lea.yml'))).ino).toBe(ino);
    expect((await readdir(configs)).sort()).toEqual(['lea.yml', 'max.yml']);
    await container.remove({ force: true });
  }, 120_000);
});
