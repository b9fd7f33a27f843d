/**
 * The API docs page (/docs, swagger-ui from local assets) in Debian's Chromium (playwright-core,
 * headless, no browser download), opened as a user on another machine opens it: over plain HTTP,
 * at a name that is not localhost (HOST defaults to 0.0.0.0). A policy that upgrades its requests
 * to https leaves such a page blank.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
/** A name that is not localhost, which Chromium resolves to the gateway's loopback address. */
const HOST = 'customs-gateway.test';

let t: TestGateway;
let browser: Browser;

describe.skipIf(!existsSync(CHROMIUM))('the API docs page in Chromium', () => {
  beforeAll(async () => {
    [t, browser] = await Promise.all([
      startTestGateway(),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
      }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the API over plain HTTP from an address that is not localhost', async () => {
    const page = await browser.newPage();
    // A request upgraded to https fails outright; one the policy refuses is reported as such.
    const failures: string[] = [];
    page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
    // Nothing it loads is refused or missing.
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()}: ${response.status()}`);
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) failures.push(message.text());
    });
    await page.goto(`http://${HOST}:${t.gateway.port}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Customs ledger gateway');
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    expect(failures).toEqual([]);
    await page.close();
  });

  it('is served with the console’s headers: its own origin only, no upgrade to https, no framing', async () => {
    const [docs, console] = await Promise.all(
      ['/docs', '/console/'].map((path) => fetch(`${t.gateway.url}${path}`)),
    );
    for (const name of [
      'content-security-policy',
      'x-frame-options',
      'referrer-policy',
      'strict-transport-security',
    ]) {
      expect(docs!.headers.get(name), name).toBe(console!.headers.get(name));
    }
    expect(docs!.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });
});
