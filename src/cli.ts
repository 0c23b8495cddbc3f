#!/usr/bin/env node
import { main } from './cli/index.js';

const code = await main(process.argv.slice(2));
// Exit once stdout is flushed: a lingering keep-alive socket or timer must not keep a finished verb alive.
process.stdout.write('', () => process.exit(code));
