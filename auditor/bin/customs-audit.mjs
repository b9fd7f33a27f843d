#!/usr/bin/env node
// The `customs-audit` package bin. The CLI is TypeScript run as is (like the gateway, with tsx):
// register tsx's loader in this process, then run the entry point, which sets the exit code.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
