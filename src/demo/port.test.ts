import { createServer, type Server } from 'node:net';
import { afterAll, describe, it, expect } from 'vitest';
import { choosePort, portFree } from './port.js';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('choosePort', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("keeps the caller's PORT, 0 included", async () => {
    expect(await choosePort(' 9123 ')).toBe('9123');
    expect(await choosePort('0')).toBe('0');
  });

  it('takes the preferred port when it is free, 0 (any) when it is taken', async () => {
    const busy = await listen(0);
    servers.push(busy);
    const taken = (busy.address() as { port: number }).port;
    expect(await portFree(taken)).toBe(false);
    expect(await choosePort(undefined, taken)).toBe('0');
    expect(await choosePort('', taken)).toBe('0');
    // A port that was just free (taken from the OS, then released).
    const probe = await listen(0);
    const free = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    expect(await choosePort(undefined, free)).toBe(String(free));
  });
});
