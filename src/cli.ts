#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// A worker is mostly idle and runs many to a Raspberry Pi: keeping the young generation at 1 MiB (V8 grows
// it to 16 MiB, three times over) trades a few more cheap scavenges for ~35 MB less resident memory at the
// peak of a sync. The heap is already set up here, so the cap alone does nothing: the growth factor of 1 is
// what holds it. Set before the rest of the program is loaded, hence the dynamic import below.
setFlagsFromString('--max-semi-space-size=1');
setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('./cli/index.js');
const code = await main(process.argv.slice(2));
// Exit once stdout is flushed: a lingering keep-alive socket or timer must not keep a finished verb alive.
process.stdout.write('', () => process.exit(code));
