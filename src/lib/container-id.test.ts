import { describe, expect, it } from 'vitest';
import { containerFromMountinfo } from './container-id.js';

const CONTAINER = 'ab87942bb039f708eeb74bb03e747418265524934ccdc3517d8c6600bf39f28c';

describe('containerFromMountinfo', () => {
  it("finds the container id on the /etc/hostname mount only (a host's table lists containers' shm mounts too)", () => {
    const shm = `200 30 0:50 / /var/lib/docker/containers/${'e'.repeat(64)}/mounts/shm rw - tmpfs shm rw`;
    expect(containerFromMountinfo(shm)).toBeNull();
    const docker = `101 83 254:0 /var/lib/docker/containers/${CONTAINER}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`;
    expect(containerFromMountinfo(`${shm}\n${docker}`)).toBe(CONTAINER);
    const podman = `90 80 0:40 /containers/storage/overlay-containers/${'a'.repeat(64)}/userdata/hostname /etc/hostname rw - tmpfs tmpfs rw`;
    expect(containerFromMountinfo(podman)).toBe('a'.repeat(64));
  });
});
