import { describe, expect, it } from 'vitest';
import { listenUrl } from '../../gateway/src/http/listen-url.js';

describe('the URL the start-up banner prints', () => {
  it.each([
    ['0.0.0.0', 'http://localhost:8080'],
    ['::', 'http://localhost:8080'],
    ['0:0:0:0:0:0:0:0', 'http://localhost:8080'],
    ['fe80::1%eth0', 'http://[fe80::1%25eth0]:8080'],
    ['127.0.0.1', 'http://127.0.0.1:8080'],
    ['10.0.0.5', 'http://10.0.0.5:8080'],
    ['::1', 'http://[::1]:8080'],
    ['gateway.customs.example', 'http://gateway.customs.example:8080'],
  ])('for HOST=%s is %s', (host, url) => {
    expect(listenUrl(host, 8080)).toBe(url);
  });
});
