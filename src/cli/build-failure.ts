/**
 * What went wrong when `docker build` failed, in words a person can act on. The engine's own text ("dial tcp:
 * lookup registry-1.docker.io … server misbehaving") says neither that the network is the cause nor what
 * to do; the raw output is still printed above this.
 */

/** Lines of `docker build` output that mean a download failed: the base image or an npm package. */
const OFFLINE = [
  /lookup [^\s]+(?: on [^\s]+)?: (?:no such host|server misbehaving|Temporary failure in name resolution|i\/o timeout)/i,
  /dial tcp [^\s]+: (?:i\/o timeout|connect: network is unreachable|connect: connection refused)/i,
  /failed to resolve source metadata/i,
  /TLS handshake timeout/i,
  /npm (?:ERR!|error) (?:code|errno) (?:EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET)/i,
  /getaddrinfo (?:EAI_AGAIN|ENOTFOUND)/i,
];

/** The first output line that shows a download failure, or null when the failure is something else. */
export function offlineCause(output: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    if (OFFLINE.some((re) => re.test(line))) return line.trim();
  }
  return null;
}

/** The message for a failed image build: the cause and what to do, or null when it was not the network. */
export function explainBuildFailure(output: string, image: string): string | null {
  const cause = offlineCause(output);
  if (!cause) return null;
  return [
    `the image ${image} could not be built: a download failed (no network, or DNS not answering).`,
    `  the engine said: ${cause}`,
    '  what to do: connect this machine to the internet and run `./campus-sync build` again (the base image',
    '  node:22-bookworm-slim and the npm packages are downloaded once, then cached); or build on another',
    `  machine and copy it: docker save ${image} | ssh pi docker load.`,
  ].join('\n');
}
