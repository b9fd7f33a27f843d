import { isIPv6 } from 'node:net';

/**
 * The URL a person on this machine reaches the gateway at, listening on `host` (HOST) and `port`:
 * a wildcard address (every interface) is reached at localhost; any other address or name only at
 * itself (a gateway bound to 10.0.0.5 does not answer at localhost).
 */
export function listenUrl(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = wildcard ? 'localhost' : isIPv6(host) ? `[${host}]` : host;
  return `http://${name}:${port}`;
}
