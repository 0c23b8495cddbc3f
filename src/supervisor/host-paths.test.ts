import { describe, expect, it } from 'vitest';
import { hostPathThroughMounts, resolveHostPaths } from './host-paths.js';

const ID = 'ab87942bb039f708eeb74bb03e747418265524934ccdc3517d8c6600bf39f28c';
const mounts = [
  { Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' },
  { Type: 'bind', Source: '/home/pi/campus-sync/configs', Destination: '/config' },
  { Type: 'bind', Source: '/home/pi/campus-sync/data', Destination: '/data' },
  { Type: 'volume', Source: '/var/lib/docker/volumes/x/_data', Destination: '/cache' },
];

describe('host paths', () => {
  it('reads a folder through the deepest bind mount that holds it', () => {
    expect(hostPathThroughMounts('/config', mounts)).toBe('/home/pi/campus-sync/configs');
    expect(hostPathThroughMounts('/data/alice/', mounts)).toBe('/home/pi/campus-sync/data/alice');
    expect(hostPathThroughMounts('/configuration', mounts)).toBeNull();
    expect(hostPathThroughMounts('/cache', mounts)).toBeNull();
    const nested = [
      { Source: '/srv/cs', Destination: '/cs' },
      { Source: '/mnt/usb/data', Destination: '/cs/data' },
    ];
    expect(hostPathThroughMounts('/cs/data/bob', nested)).toBe('/mnt/usb/data/bob');
    expect(hostPathThroughMounts('/cs/configs', nested)).toBe('/srv/cs/configs');
  });

  it('in a container, takes the mounts; on a host, the paths it sees', () => {
    expect(resolveHostPaths({ configDir: '/config', dataDir: '/data', container: { id: ID, mounts } })).toEqual({
      hostConfigDir: '/home/pi/campus-sync/configs',
      hostDataDir: '/home/pi/campus-sync/data',
    });
    expect(resolveHostPaths({ configDir: '/home/pi/cs/configs', dataDir: '/home/pi/cs/data' })).toEqual({
      hostConfigDir: '/home/pi/cs/configs',
      hostDataDir: '/home/pi/cs/data',
    });
  });

  it('refuses loudly a folder not mounted from the host, and a given path the mounts contradict', () => {
    const unmounted = resolveHostPaths({ configDir: '/configs', dataDir: '/data', container: { id: ID, mounts } });
    expect(unmounted).toEqual({
      error: expect.stringMatching(/^\/configs \(the config folder\) is not mounted from the host in this container \(ab87942bb039\)/) as unknown,
    });
    // What `sudo docker compose up` did with ${PWD}/configs: /configs from the root of the disk.
    const wrong = resolveHostPaths({ configDir: '/config', dataDir: '/data', givenConfigDir: '/configs', container: { id: ID, mounts } });
    expect(wrong).toEqual({
      error: expect.stringMatching(/^CAMPUS_SYNC_HOST_CONFIG_DIR=\/configs but \/config is mounted from \/home\/pi\/campus-sync\/configs/) as unknown,
    });
    // A given path for a folder that is not a mount (a named volume…) is trusted: the user said where it is.
    expect(resolveHostPaths({ configDir: '/cache', dataDir: '/data', givenConfigDir: '/srv/configs', container: { id: ID, mounts } })).toEqual({
      hostConfigDir: '/srv/configs',
      hostDataDir: '/home/pi/campus-sync/data',
    });
  });
});
