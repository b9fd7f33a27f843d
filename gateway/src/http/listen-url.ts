import { isIPv4, isIPv6 } from 'node:net';

/**
 * The URL a person on this machine reaches the gateway at, listening on `host` (HOST) and `port`:
 * a wildcard address (every interface, however it is spelt) is reached at localhost; any other
 * address or name only at itself (a gateway bound to 10.0.0.5 does not answer at localhost).
 */
export function listenUrl(host: string, port: number): string {
  const wildcard = (isIPv4(host) || isIPv6(host)) && /^[0.:]+$/.test(host);
  // An IPv6 address is bracketed in a URL, and its zone's % written as %25 (RFC 6874).
  const name = wildcard ? 'localhost' : isIPv6(host) ? `[${host.replace('%', '%25')}]` : host;
  return `http://${name}:${port}`;
}
