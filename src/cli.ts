#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// A worker is mostly idle and runs many to a Raspberry Pi: keeping the young generation at 1 MiB (V8 grows
// it to 16 MiB, three times over) trades a few more cheap scavenges for ~35 MB less resident memory at the
// peak of a sync. The heap is already set up here, so the cap alone does nothing: the growth factor of 1 is
// what holds it. Set before the rest of the program is loaded, hence the dynamic import below.
setFlagsFromString('--max-semi-space-size=1');
setFlagsFromString('--semi-space-growth-factor=1');

// The sync verbs and the supervisor also trade CPU for memory. Measured with `BENCH_PARTS=worker-memory npm run bench` (a first
// sync of 400 courses, then 12 s idle; private memory, 2 cores under load, 2026-12-06): without it 51.9–54.9 MB
// peak / 51.9–55.0 MB idle and 2.5 s of CPU to the first run; with --optimize-for-size 43.7–47.7 / 35.0–41.2 MB
// and 3.0–3.8 s (V8 reads it at run time: it grows the heap less and shrinks it once idle). Not for the API
// (`serve`, the supervisor's companion is a process of its own), whose latency it would cost. No heap cap: --max-old-space-size cannot be set here
// (the heap is sized by now), and measured on the command line it buys 2–5 MB at the peak, nothing idle, and
// 24 MB runs out of memory on 400 courses (README "Performance").
//
// They also run bytecode only (issue 20, same bench, 3 runs each side by side, 2026-12-06): no optimising
// compilers (TurboFan, and Maglev on Node 22), no baseline code, no eager compilation: 38.6–40.8 → 35.7–37.3 MB
// peak, 30.3–35.4 → 25.9–29.6 MB idle, and no more CPU (2.5–3.5 s to the first run against 2.8–3.8: no compiler threads). A
// worker spends its runs waiting on the network; a steady run is one request.
//
// The supervisor waits too (on Docker, its timers and its workers' pipes), so it runs the same way (issue 20,
// `BENCH_PARTS=swarm|supervisor npm run bench`, 2026-12-07, same machine, side by side): with 100 Swarm services
// its peak 83.1 MB → 67.3 MB (target ≤ 80), with 20 configs under the process runtime 68.6 → 58.3 MB and in a
// container 30.2 → 26.6 MB; a config edit still reaches its new worker in 0.83 s (0.82 s before) and the 100
// services their first sync in the same time (the workers' CPU: 147.0 s before, 142.6 s after).
const LEAN_VERBS = new Set(['worker', 'run-once', 'supervise']);
const LEAN_V8_FLAGS = ['--optimize-for-size', '--no-opt', '--no-maglev', '--no-sparkplug', '--max-lazy'];
if (LEAN_VERBS.has(process.argv[2] ?? '')) for (const flag of LEAN_V8_FLAGS) setFlagsFromString(flag);

const { main } = await import('./cli/index.js');
const code = await main(process.argv.slice(2));
// Exit once stdout is flushed: a lingering keep-alive socket or timer must not keep a finished verb alive.
process.stdout.write('', () => process.exit(code));
