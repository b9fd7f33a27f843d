import type { GatewayConfig } from './config.js';
import { isLockedStore, lockedStoreMessage } from './storage/store-lock.js';

/** Where HOST may point: said whenever it cannot be listened on. */
const HOST_HINT =
  'set HOST to an address of this machine (0.0.0.0: all of them, 127.0.0.1: this machine only)';

/**
 * What the operator can act on, in one line, for the start-up failures a configuration or another
 * process causes: a data directory another gateway holds, a port in use or not allowed, a HOST
 * that is no address here. Undefined for anything else (a bug, whose stack is the useful part).
 */
export function explainStartupFailure(error: unknown, config: GatewayConfig): string | undefined {
  if (isLockedStore(error)) {
    return lockedStoreMessage(config.dataDir, 'stop that gateway, or start this one with another DATA_DIR');
  }
  const { code, syscall } = (error ?? {}) as { code?: string; syscall?: string };
  const where = `${config.host} port ${config.port}`;
  if (syscall === 'listen' && code === 'EADDRINUSE') {
    return `${where} is already in use (another gateway, or another program): stop it, or set PORT to a free port`;
  }
  if (syscall === 'listen' && code === 'EACCES') {
    return `not allowed to listen on ${where} (ports below 1024 need privileges): set PORT to 1024 or above`;
  }
  if (syscall === 'listen' && code === 'EADDRNOTAVAIL') {
    return `HOST ${config.host} is not an address of this machine: ${HOST_HINT}`;
  }
  if (syscall === 'getaddrinfo') {
    return `HOST ${config.host} does not resolve to an address (${code ?? 'lookup failed'}): ${HOST_HINT}`;
  }
  return undefined;
}

/** A start-up failure already explained: printed as its message alone. */
export class StartupFailure extends Error {
  override readonly name = 'StartupFailure';
}
