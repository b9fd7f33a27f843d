/**
 * The web console end to end: a real gateway on the embedded ledger serving the built console at
 * /console, driven in Debian's Chromium (playwright-core, headless, no browser download). Each
 * role's journey from the issue, an accessibility check (axe-core) on each page, a tablet-sized
 * run, and a screenshot of every page in test-output/console/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET } from '@customs-ledger/chaincode';
import {
  collectionsBeforeCarrierInstructions,
  startTestGateway,
  type TestGateway,
} from '../support/gateway.js';
import { parcelToFrance, purchaseToChina, tariffsWithoutCnyRate } from '../support/parcel.js';
import { hs256, now, TEST_JWT_SECRET } from '../support/jwt.js';
import {
  createPayload,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from '../support/payloads.js';
import { openingFrame } from '../support/sse.js';

const CHROMIUM = '/usr/bin/chromium';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = join(root, 'test-output', 'console');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`console browser tests skipped: ${CHROMIUM} is missing (.ci/run installs it with apt)`);

const OFFICER = 'customs-officer';
const PLATFORM_A = 'platforma-operator';
const PLATFORM_B = 'platformb-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const RED = `UI-RED-${RUN}`;
const REFERRED = `UI-REF-${RUN}`;
/** To China, 1,400 EUR of goods: over its 5,000 CNY a purchase. */
const DEAR = `UI-CN-${RUN}`;

let t: TestGateway;
let browser: Browser;
let axeSource: string;

/** Builds console/dist when it is missing or older than a source file (npm install builds it too). */
function buildConsole(): void {
  const index = join(root, 'console', 'dist', 'index.html');
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(root, 'console', 'src'))) return;
  execFileSync('npm', ['run', 'build', '--workspace', 'console'], { cwd: root, stdio: 'inherit' });
}

/**
 * A consignment of platform A with all four records: two T-shirts worth `goodsValue` EUR to
 * `destination`; `paid` other than the order's amount fails the three-way match.
 */
async function parcel(id: string, paid: number, destination = 'FR', goodsValue = 40): Promise<void> {
  const orderNumber = `ORD-${id}`;
  const document = { type: 'passport', number: `P-${id}`, country: 'FR' };
  const base = orderPayload(orderNumber);
  const lines = base.lines.map((l) => ({ ...l, unitPrice: goodsValue / 2, lineValue: goodsValue }));
  const amountPaid = base.amountPaid - base.goodsValue + goodsValue;
  const buyer = { id: randomBytes(32).toString('hex'), name: base.buyer.name, document };
  const declaration = declarationPayload();
  const payment = {
    ...paymentPayload(orderNumber, `PAY-${id}`),
    payer: { name: buyer.name, document },
    amountPaid: paid,
  };
  const steps: [string, string, unknown][] = [
    [PLATFORM_A, '', createPayload(id, destination)],
    [PLATFORM_A, '/order', { ...base, buyer, lines, goodsValue, amountPaid }],
    ['payment-operator', '/payment', payment],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, testKeys(id).trackingNumber)],
    [
      PLATFORM_A,
      '/declaration',
      {
        ...declaration,
        destinationCountry: destination,
        lines: declaration.lines.map((l) => ({ ...l, value: goodsValue })),
      },
    ],
  ];
  for (const [user, path, body] of steps) {
    const res = await t
      .as(user)
      .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
}

/** Customs assesses on its own, following the ledger's events: wait until it has seen all four records. */
async function assessed(id: string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await t
      .as(OFFICER)
      .get<{ basis?: { declaration?: number } }>(`/v1/customs/assessments/${id}`);
    if (res.body.basis?.declaration === 1) return;
    if (Date.now() > until) throw new Error(`${id} was not assessed: ${res.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const apiKey = (user: string, on = t): string => on.gateway.credentials.find((c) => c.user === user)!.apiKey;

/**
 * A fresh browser context (its own session storage), signed in through the sign-in form as a demo
 * user, or as the user of another credential (a JWT), on the suite's gateway unless `on` names another.
 */
async function signIn(
  user: string,
  options: BrowserContextOptions & { credential?: string; on?: TestGateway } = {},
): Promise<Page> {
  const { on = t, credential = apiKey(user, on), ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(`${on.gateway.url}/console/`);
  await page.getByLabel('API key or JWT').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByTestId('who').textContent()).toContain(user);
  return page;
}

/** Answers the page's requests to `url` as a gateway whose ledger is not ready (503) until the returned function is called. */
async function unavailable(page: Page, url: string): Promise<() => void> {
  let down = true;
  await page.route(url, (route) =>
    down
      ? route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            title: 'Service Unavailable',
            status: 503,
            detail: 'the ledger is not ready',
          }),
        })
      : route.continue(),
  );
  return () => {
    down = false;
  };
}

/** No script error and no Content-Security-Policy violation on the page so far (401/404 answers are expected). */
function expectNoScriptErrors(page: Page): void {
  const problems = (page as Page & { problems: string[] }).problems;
  expect(problems.filter((p) => !/status of (401|403|404)/.test(p))).toEqual([]);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page (evaluated, not injected as a script tag, so the console's CSP stays on). */
async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
  expect(violations).toEqual([]);
}

/** Two consignments released, one by customs' service and one by an officer: made once, for the tests that need them. */
let releasedOnce: Promise<{ readonly automatic: string; readonly byOfficer: string }> | undefined;
const releasedParcels = () => (releasedOnce ??= releaseTwo());

async function releaseTwo(): Promise<{ automatic: string; byOfficer: string }> {
  type Status = { consignment: { status: string } };
  const rules = async (version: string, thresholds: { amber: number; red: number }) => {
    const res = await t.as(OFFICER).post('/v1/customs/rule-set', {
      ...DEFAULT_RULE_SET,
      version,
      randomSelectionRate: 0,
      thresholds,
    });
    expect(res.status, res.text).toBe(201);
  };
  // Every parcel green for a while: one that matches is released by the service, one that does not waits for an officer.
  await rules(`console-green-${RUN}`, { amber: 100, red: 200 });
  const automatic = `UI-AUTO-${RUN}`;
  const byOfficer = `UI-MAN-${RUN}`;
  try {
    await Promise.all([parcel(automatic, 52.8), parcel(byOfficer, 40)]);
    await assessed(byOfficer);
    await expect
      .poll(
        async () =>
          (await t.as(OFFICER).get<Status>(`/v1/consignments/${automatic}`)).body.consignment.status,
        {
          timeout: 20_000,
        },
      )
      .toBe('released');
  } finally {
    await rules(`console-test-1-${RUN}`, { amber: 10, red: 40 });
  }
  const release = await t.as(OFFICER).post(`/v1/consignments/${byOfficer}/decision`, {
    decision: 'release',
    reasonCodes: [],
  });
  expect(release.status, release.text).toBe(201);
  return { automatic, byOfficer };
}

describe.skipIf(!hasChromium)('web console in Chromium', () => {
  beforeAll(async () => {
    buildConsole();
    await mkdir(SHOTS, { recursive: true });
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    [t, browser] = await Promise.all([
      // Anchors its audit log often, so that the auditor's page has one to check the tree head against.
      startTestGateway({ JWT_SECRET: TEST_JWT_SECRET, AUDIT_ANCHOR_EVERY: '25' }),
      chromium.launch({ executablePath: CHROMIUM, headless: true }),
    ]);
    // Lanes that follow from the data alone: a failed match (30) with a new seller (15) is red.
    const put = await t.as(OFFICER).post('/v1/customs/rule-set', {
      ...DEFAULT_RULE_SET,
      version: 'console-test-1',
      randomSelectionRate: 0,
      thresholds: { amber: 10, red: 40 },
    });
    expect(put.status, put.text).toBe(201);
    await Promise.all([parcel(RED, 40), parcel(REFERRED, 41), parcel(DEAR, 1412.8, 'CN', 1400)]);
    await Promise.all([assessed(RED), assessed(REFERRED), assessed(DEAR)]);
    const refer = await t.as(OFFICER).post(`/v1/consignments/${REFERRED}/decision`, {
      decision: 'refer',
      reasonCodes: ['REQUEST_INFORMATION', 'VALUE_QUERY'],
    });
    expect(refer.status, refer.text).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the console at /console with a self-only Content-Security-Policy, and client routes on reload', async () => {
    const page = await fetch(`${t.gateway.url}/console/consignments/ANY`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect((await fetch(`${t.gateway.url}/console/assets/missing.js`)).status).toBe(404);
    // A file the build does not have is missing, not the page; a consignment id may hold dots.
    for (const path of ['/console/nope.js', '/console/favicon.ico', '/console/queue/app.css']) {
      const missing = await fetch(`${t.gateway.url}${path}`);
      expect(missing.status, path).toBe(404);
      expect(await missing.text(), path).not.toContain('<div id="root">');
    }
    for (const path of ['/console/queue', '/console/consignments/CN.2026.07']) {
      const route = await fetch(`${t.gateway.url}${path}`);
      expect(route.status, path).toBe(200);
      expect(await route.text(), path).toContain('<div id="root">');
    }
    const escape = await fetch(`${t.gateway.url}/console/assets/%2e%2e/%2e%2e/%2e%2e/package.json`);
    expect(await escape.text()).not.toContain('"workspaces"');
  });

  it('an officer signs in, finds the red-lane parcel, reads its reasons and holds it; the queue updates live', async () => {
    const page = await signIn(OFFICER);
    await expect.poll(() => page.url()).toContain('/console/queue');
    await expect.poll(() => page.getByText(/Live: \d+ new/).textContent()).toContain('Live: 0 new');
    await screenshot(page, 'signed-in-queue');
    await expectAccessible(page);

    await page.getByLabel('Lane').selectOption('red');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.url()).toContain('lane=red');
    const row = page.locator('tr', { has: page.getByRole('link', { name: RED }) });
    await row.waitFor();
    expect(
      await page
        .locator('tbody tr[data-lane]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lane'))),
    ).toEqual(expect.arrayContaining(['red']));
    expect(
      new Set(
        await page
          .locator('tbody tr[data-lane]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lane'))),
      ),
    ).toEqual(new Set(['red']));
    await screenshot(page, 'queue-red-lane');

    // A consignment created now reaches the open queue through the event stream.
    const created = await t.as(PLATFORM_A).post('/v1/consignments', {
      consignmentId: `UI-LIVE-${RUN}`,
      orderNumber: `ORD-LIVE-${RUN}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status, created.text).toBe(201);
    await expect
      .poll(() => page.getByText(/Live: \d+ new consignment/).textContent(), { timeout: 10_000 })
      .toMatch(/Live: [1-9]/);

    await row.getByRole('link', { name: RED }).click();
    await page.getByTestId('risk-reasons').waitFor();
    const reasons = await page.getByTestId('risk-reasons').innerText();
    expect(reasons).toContain('MATCH_PAYMENT_AMOUNT');
    expect(reasons).toContain('three-way match: PAYMENT_AMOUNT');
    expect(await page.getByRole('heading', { name: 'Duty and VAT' }).isVisible()).toBe(true);
    expect(await page.getByTestId('collection-model').textContent()).not.toBe('');
    const { duty } = (
      await t.as(OFFICER).get<{
        revenue: { duty: { toCollect: number; currency: string; collectionModel: string } };
      }>(`/v1/customs/assessments/${RED}`)
    ).body.revenue;
    expect(duty.collectionModel).toBe('carrier');
    expect(await page.getByTestId('due-at-import').textContent()).toBe(
      `${duty.toCollect.toFixed(2)} ${duty.currency} (collected by the carrier from the buyer at delivery)`,
    );
    // The timeline loads on its own request.
    await expect.poll(() => page.getByTestId('timeline').locator('li').count()).toBeGreaterThanOrEqual(5);
    await screenshot(page, 'officer-consignment');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Hold consignment ${RED}?` });
    expect(await dialog.isVisible()).toBe(true);
    // The decision is recorded for good: Enter on opening cancels, and the dialog says what the parcel is.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    expect(await dialog.innerText()).toMatch(/Lane red; not released automatically: .*MATCH_FAILED/);
    await screenshot(page, 'officer-confirm-hold');
    await dialog.getByRole('button', { name: 'Confirm: Hold' }).click();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('held');
    const view = await t
      .as(OFFICER)
      .get<{ consignment: { status: string }; decisions: { decision: string; reasonCodes: string[] }[] }>(
        `/v1/consignments/${RED}`,
      );
    expect(view.body.consignment.status).toBe('held');
    expect(view.body.decisions.at(-1)).toMatchObject({
      decision: 'hold',
      reasonCodes: expect.arrayContaining(['OFFICER_HOLD', 'MATCH_PAYMENT_AMOUNT']),
    });
    // The timeline says what happened in words and times as the page shows them, not JSON and ISO.
    const hold = page.getByTestId('timeline').locator('li', { hasText: 'decision hold by CustomsMSP' });
    await hold.waitFor();
    expect(await hold.innerText()).toMatch(/automatic: no · reason codes: OFFICER_HOLD, /);
    const timeline = await page.getByTestId('timeline').innerText();
    expect(timeline).not.toMatch(/[{["]|\d{4}-\d{2}-\d{2}T/);
    // Only indicators carry a weight: a hard rule or a random selection says so, not an empty cell.
    const weights = await page.getByTestId('risk-reasons').locator('td:first-of-type').allInnerTexts();
    expect(weights.filter((w) => w.trim() === '')).toEqual([]);

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('Automatic-release rate').waitFor();
    expect(await page.locator('canvas[role="img"]').count()).toBe(2);
    await screenshot(page, 'dashboard');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('a trader sees its open referral and answers it; customs receives the answer', async () => {
    const page = await signIn(PLATFORM_A);
    await expect.poll(() => page.url()).toContain('/console/mine');
    const referrals = page.getByTestId('referrals');
    await expect.poll(() => referrals.textContent(), { timeout: 10_000 }).toContain(REFERRED);
    expect(await referrals.textContent()).toContain('VALUE_QUERY');
    await expect.poll(() => page.getByTestId('my-consignments').textContent()).toContain(RED);
    await screenshot(page, 'trader-home');
    await expectAccessible(page);

    await referrals.getByRole('link', { name: REFERRED }).click();
    await page
      .getByLabel('Your answer')
      .fill('The buyer paid 41 EUR after a voucher; invoice INV-77 attached.');
    await page.getByLabel('Document reference (optional)').fill('INV-77');
    await screenshot(page, 'trader-referral');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Answer recorded').waitFor();
    // The form does not invite a second answer; more information is one click away.
    await page.getByRole('button', { name: 'Send further information' }).waitFor();
    expect(await page.getByLabel('Your answer').count()).toBe(0);
    expect(await page.getByTestId('referral-answers').textContent()).toMatch(/^Answered by PlatformAMSP on /);
    const answered = await t
      .as(OFFICER)
      .get<{ referralAnswers?: unknown[] }>(`/v1/customs/assessments/${REFERRED}`);
    expect(answered.body.referralAnswers?.length ?? 0).toBeGreaterThanOrEqual(1);
    expectNoScriptErrors(page);
    await page.context().close();
    // Answered by the platform: no longer waiting for the payment provider's answer either.
    const payment = await signIn('payment-operator');
    await expect
      .poll(() => payment.getByTestId('my-consignments').textContent(), { timeout: 10_000 })
      .toContain(REFERRED);
    await payment.getByText(/^Up to date/).waitFor();
    expect(await payment.getByRole('heading', { name: /Open referrals/ }).textContent()).toBe(
      'Open referrals (0)',
    );
    // On the consignment's page it sees who answered, and may still add to it.
    await payment.goto(`${t.gateway.url}/console/consignments/${REFERRED}`);
    await payment.getByRole('button', { name: 'Send further information' }).click();
    await payment.getByLabel('Your answer').waitFor();
    expect(await payment.getByTestId('referral-answers').textContent()).toMatch(
      /^Answered by PlatformAMSP on /,
    );
    await payment.context().close();
    // The officer reads the answer for a purpose, on the consignment's access log.
    const officer = await signIn(OFFICER);
    await officer.goto(`${t.gateway.url}/console/consignments/${REFERRED}`);
    const list = officer.getByTestId('referral-answer-list');
    await list.getByRole('button', { name: 'Read answer for risk assessment' }).first().click();
    await list.getByTestId('referral-answer-text').first().waitFor();
    expect(await list.getByTestId('referral-answer-text').first().textContent()).toBe(
      'The buyer paid 41 EUR after a voucher; invoice INV-77 attached.',
    );
    expect(await list.innerText()).toMatch(/Documents: \w+ INV-77/);
    const log = await t
      .as(OFFICER)
      .get<{ entries: { recordKind: string; purpose: string; userId: string }[] }>(
        `/v1/consignments/${REFERRED}/access-log`,
      );
    const reads = log.body.entries.filter((e) => e.recordKind === 'referral_answer');
    expect(reads).toEqual([
      expect.objectContaining({
        purpose: 'risk_assessment',
        userId: expect.stringMatching(/CN=customs-officer@/),
      }),
    ]);
    await expectAccessible(officer);
    expectNoScriptErrors(officer);
    await officer.context().close();
  });

  it('an auditor verifies a disclosure package, sees a tampered one fail, and checks the audit log in the browser', async () => {
    const disclosure = await t.as(PLATFORM_A).post(`/v1/consignments/${RED}/disclosures`, {
      record: 'order',
      fields: ['/currency', '/goodsValue'],
      purpose: 'audit',
    });
    expect(disclosure.status, disclosure.text).toBe(201);
    const page = await signIn('auditor');
    await expect.poll(() => page.url()).toContain('/console/audit');

    await page.getByLabel('Disclosure package (JSON)').fill(JSON.stringify(disclosure.body, null, 2));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('Verified.');
    await screenshot(page, 'auditor-verified');

    const tampered = structuredClone(disclosure.body) as {
      disclosure: { fields: { path: string; value: unknown }[] };
    };
    tampered.disclosure.fields.find((f) => f.path === '/currency')!.value = 'USD';
    await page.getByLabel('Disclosure package (JSON)').fill(JSON.stringify(tampered, null, 2));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('Verification failed');
    expect(await page.getByTestId('verdict').textContent()).toContain('/currency');
    await expect.poll(() => page.getByTestId('inclusion').textContent()).toContain('verified');
    // The ledger's latest anchor, checked in the browser against the gateway's signed tree head.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Check again' }).click();
          return page.getByTestId('anchor').textContent();
        },
        { timeout: 15_000 },
      )
      .toMatch(/^verified \d+ entries, .* the signed tree head extends it/);
    // The tree head's signature, checked in the browser with the key of the certificate it names.
    expect(await page.getByTestId('head-signature').textContent()).toMatch(
      /^verified root .* the signature verifies/,
    );
    // A head whose signed time was changed on the way to the browser fails that check.
    await page.route('**/v1/audit/tree-head', async (route) => {
      const response = await route.fetch();
      const head = (await response.json()) as { timestamp: string };
      await route.fulfill({ response, json: { ...head, timestamp: new Date(0).toISOString() } });
    });
    await page.getByRole('button', { name: 'Check again' }).click();
    await expect
      .poll(() => page.getByTestId('head-signature').textContent())
      .toMatch(/^failed root .* the signature does not verify/);
    await page.unroute('**/v1/audit/tree-head');
    await page.getByRole('button', { name: 'Check again' }).click();
    await expect.poll(() => page.getByTestId('head-signature').textContent()).toMatch(/^verified/);
    await screenshot(page, 'auditor-tampered');
    await expectAccessible(page);

    await page.getByLabel('Consignment id').fill(RED);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('timeline').waitFor();
    const timeline = await page.getByTestId('timeline').innerText();
    expect(timeline).toMatch(/decision hold by CustomsMSP/);
    expect(timeline).toMatch(/personal data read by PlatformAMSP/);
    expect(await page.getByRole('heading', { name: 'Risk' }).count()).toBe(0); // customs' explanation is not the auditor's
    await screenshot(page, 'auditor-provenance');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('an officer sees a purchase over China’s per-buyer limit, with the amounts', async () => {
    const page = await signIn(OFFICER);
    await page.goto(`${t.gateway.url}/console/consignments/${DEAR}`);
    await page.getByTestId('buyer-limits').waitFor();
    const limits = await page.getByTestId('buyer-limits').innerText();
    expect(limits).toContain(
      'this purchase 10966.80 CNY (limit 5000.00 CNY); already this year 0.00 CNY (limit 26000.00 CNY)',
    );
    expect(limits).toContain('exceeded: BUYER_PURCHASE_LIMIT');
    // China's VAT rate is 9.1 %: shown whole as 9 %, it did not give the amount beside it.
    expect(await page.getByRole('region', { name: 'Duty and VAT per line' }).innerText()).toMatch(
      /\(9\.1 %\)/,
    );
    expect(await page.getByTestId('risk-reasons').innerText()).toContain('MATCH_BUYER_PURCHASE_LIMIT');
    await screenshot(page, 'officer-buyer-limit');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('the carrier sees on the consignment page the duty and tax to collect at delivery; its platform does not', async () => {
    const assessment = await t
      .as(OFFICER)
      .get<{ revenue: { duty: { toCollect: number; currency: string } } }>(`/v1/customs/assessments/${RED}`);
    const { toCollect, currency } = assessment.body.revenue.duty;
    expect(toCollect).toBeGreaterThan(0);
    const page = await signIn('post-operator');
    await page.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await expect
      .poll(() => page.getByTestId('to-collect').textContent())
      .toBe(`${toCollect.toFixed(2)} ${currency}`);
    await screenshot(page, 'carrier-collection');
    await expectAccessible(page);
    expectNoScriptErrors(page);
    await page.context().close();

    const platform = await signIn(PLATFORM_A);
    await platform.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await platform.getByTestId('timeline').waitFor();
    expect(await platform.getByTestId('to-collect').count()).toBe(0);
    await platform.context().close();

    // Once delivered, the amount was the handover's: the page no longer asks for it.
    const delivered = `UI-DLV-${RUN}`;
    await parcel(delivered, 40);
    await assessed(delivered);
    const release = await t
      .as(OFFICER)
      .post(`/v1/consignments/${delivered}/decision`, { decision: 'release', reasonCodes: [] });
    expect(release.status, release.text).toBe(201);
    for (const [type, location] of [
      ['dispatched', 'CNSHA'],
      ['arrived', 'FRCDG'],
      ['delivered', 'FRPAR'],
    ]) {
      const scan = await t
        .as('post-operator')
        .post(`/v1/consignments/${delivered}/movements`, { type, location });
      expect(scan.status, scan.text).toBe(201);
    }
    const carrier = await signIn('post-operator');
    await carrier.goto(`${t.gateway.url}/console/consignments/${delivered}`);
    await carrier.getByTestId('to-collect').waitFor();
    expect(await carrier.getByText(/was to be collected from the buyer at the handover/).count()).toBe(1);
    expect(await carrier.getByText(/before handing the parcel over/).count()).toBe(0);
    await carrier.context().close();
  });

  it('a platform records a remittance; customs sees it in the reconciliation, set against what was declared', async () => {
    const period = '2026-11';
    const reference = `IM3720001234/${period}/UI-${RUN}`;
    const platform = await signIn(PLATFORM_A);
    await platform.getByRole('link', { name: 'Remittances' }).click();
    await platform.getByRole('heading', { name: 'Remittances', level: 1 }).waitFor();
    const form = platform.getByRole('form', { name: 'Record a remittance' });
    await form.getByLabel('Month of the sales').fill(period);
    await form.getByLabel('Amount').fill('12.34');
    await form.getByLabel('Reference').fill(reference);
    await form.getByRole('button', { name: 'Record' }).click();
    await expect
      .poll(() => platform.getByRole('status').filter({ hasText: 'Recorded' }).textContent())
      .toBe(`Recorded 12.34 EUR for ${period} under ${reference}.`);
    await platform.getByRole('cell', { name: reference }).waitFor();
    await expectAccessible(platform);
    expectNoScriptErrors(platform);
    // What the gateway refuses, the page says: the same reference again, an amount in tenths of cents.
    await form.getByLabel('Month of the sales').fill(period);
    await form.getByLabel('Amount').fill('1');
    await form.getByLabel('Reference').fill(reference);
    await form.getByRole('button', { name: 'Record' }).click();
    await expect
      .poll(() => platform.getByRole('alert').textContent())
      .toBe(`409 Conflict: remittance ${reference} of PlatformAMSP already exists`);
    await form.getByLabel('Amount').fill('12.345');
    await form.getByLabel('Reference').fill(`${reference}-2`);
    await form.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => platform.getByRole('alert').textContent()).toMatch(/^400 Bad Request: .*amount/);
    await platform.context().close();

    const { rows } = (
      await t
        .as(OFFICER)
        .get<{ rows: { remitted: number; unremitted: number }[] }>(
          `/v1/customs/reconciliation?platformMspId=PlatformAMSP&period=${period}`,
        )
    ).body;
    const officer = await signIn(OFFICER);
    await officer.getByRole('link', { name: 'Reconciliation' }).click();
    const filters = officer.getByRole('form', { name: 'Reconciliation filters' });
    await filters.getByLabel('Platform (MSP id)').fill('PlatformAMSP');
    await filters.getByLabel('Month').fill(period);
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(() => new URL(officer.url()).search)
      .toBe(`?platformMspId=PlatformAMSP&period=${period}`);
    const row = officer.getByRole('region', { name: 'Reconciliation' }).getByRole('row').nth(1);
    await expect
      .poll(() => row.getByRole('cell').nth(6).textContent())
      .toMatch(new RegExp(`^${rows[0]!.remitted.toFixed(2)} EUR \\(\\d+ remittances?\\)$`));
    expect(await row.getByRole('cell').nth(7).textContent()).toBe(`${rows[0]!.unremitted.toFixed(2)} EUR`);
    await officer.getByRole('cell', { name: reference }).waitFor();
    await screenshot(officer, 'reconciliation');
    await expectAccessible(officer);
    expectNoScriptErrors(officer);
    await officer.context().close();
  });

  it('an officer recognises a carrier as a trusted operator and withdraws it, each confirmed', async () => {
    const officer = await signIn(OFFICER);
    await officer.getByRole('link', { name: 'Trusted operators' }).click();
    await officer.getByRole('heading', { name: 'Trusted operators', level: 1 }).waitFor();
    await expect.poll(() => officer.getByTestId('trusted-ExpressMSP').textContent()).toBe('no');
    // Neither a payment provider nor customs is offered: the status is for platforms and carriers.
    const offered = await officer.getByLabel('Organisation').locator('option').allTextContents();
    expect(offered.some((o) => o.includes('ExpressMSP'))).toBe(true);
    expect(offered.some((o) => /PaymentMSP|CustomsMSP|AuditorMSP/.test(o))).toBe(false);
    await officer.getByLabel('Organisation').selectOption('ExpressMSP');
    await officer.getByLabel('Reference (AEO certificate)').fill(`AEOF-UI-${RUN}`);
    await officer.getByRole('button', { name: 'Record status' }).click();
    await officer
      .getByRole('heading', { name: `Recognise ExpressMSP as a trusted operator under AEOF-UI-${RUN}?` })
      .waitFor();
    await officer.getByRole('button', { name: 'Confirm: Record status' }).click();
    await expect
      .poll(() => officer.getByTestId('trusted-ExpressMSP').textContent())
      .toBe(`yes (AEOF-UI-${RUN})`);
    expect(await officer.getByRole('status').filter({ hasText: 'Status of' }).textContent()).toMatch(
      /^Status of ExpressMSP recorded in transaction [0-9a-f]{12}…$/,
    );
    // The reference is not carried over to the next status.
    expect(await officer.getByLabel('Reference (AEO certificate)').inputValue()).toBe('');
    await expectAccessible(officer);
    expectNoScriptErrors(officer);
    await screenshot(officer, 'trusted-operators');
    await officer.getByRole('checkbox', { name: 'Trusted operator' }).uncheck();
    await officer.getByLabel('Reference (AEO certificate)').fill(`AEOF-UI-${RUN}`);
    await officer.getByRole('button', { name: 'Record status' }).click();
    await officer.getByRole('button', { name: 'Confirm: Record status' }).click();
    await expect
      .poll(() => officer.getByTestId('trusted-ExpressMSP').textContent())
      .toBe(`no (AEOF-UI-${RUN})`);
    const { body } = await t
      .as(OFFICER)
      .get<{ trustedOperators: { mspId: string; trusted: boolean }[] }>(
        '/v1/organisations/trusted-operators',
      );
    expect(body.trustedOperators.find((o) => o.mspId === 'ExpressMSP')).toMatchObject({ trusted: false });
    await officer.context().close();
    // A trader has no such page, in the menu or by its address.
    const platform = await signIn(PLATFORM_A);
    expect(await platform.getByRole('link', { name: 'Trusted operators' }).count()).toBe(0);
    await platform.goto(`${t.gateway.url}/console/trusted-operators`);
    await platform.getByText('There is no page /trusted-operators for your role.').waitFor();
    await platform.context().close();
  });

  it("a trader cannot open another trader's consignment page", async () => {
    const page = await signIn(PLATFORM_B);
    await page.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await page.getByTestId('not-visible').waitFor();
    expect(await page.getByTestId('timeline').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain('MATCH_PAYMENT_AMOUNT');
    await screenshot(page, 'trader-forbidden');
    await page.context().close();
  });

  it('signs out when the JWT expires: the event stream ends, and the sign-in page says why', async () => {
    // The gateway allows 30 s of clock skew: a token whose exp was 24 s ago is good for 6 to 7 s more.
    const jwt = hs256({
      sub: 'jwt-trader',
      org: 'PlatformAMSP',
      role: 'operator',
      aud: 'customs-ledger',
      exp: now() - 24,
    });
    const page = await signIn('jwt-trader', { credential: jwt });
    await expect.poll(() => page.url()).toContain('/console/mine');
    // The trader's page only follows the event stream: nothing but the stream's end can sign it out.
    await page.getByLabel('API key or JWT').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').textContent()).toBe('401 Unauthorized: JWT has expired');
    expect(await page.evaluate(() => sessionStorage.getItem('customs-console-token'))).toBeNull();
    await screenshot(page, 'session-expired');
    await expectAccessible(page);
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('does not call a trader up to date once its event stream is refused, and says why', async () => {
    const page = await signIn(PLATFORM_B);
    await page.route('**/v1/events*', (route) =>
      route.fulfill({
        status: 429,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          title: 'Too Many Requests',
          status: 429,
          detail: 'too many requests; retry later',
        }),
      }),
    );
    await page.reload();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(
      '429 Too Many Requests: too many requests; retry later',
    );
    // Past the second in which the page would otherwise have settled on "up to date".
    await page.waitForTimeout(2000);
    const status = await page.getByText(/consignments? of PlatformBMSP/).textContent();
    expect(status).toContain('Live updates have stopped');
    expect(status).not.toContain('Up to date');
    await page.context().close();
  });

  it('says a trader’s event stream is reconnecting while the gateway answers 503, and up to date once it is back', async () => {
    const page = await signIn(PLATFORM_B);
    const back = await unavailable(page, '**/v1/events*');
    await page.reload();
    const status = page.getByText(/consignments? of PlatformBMSP/);
    await expect
      .poll(() => status.textContent())
      .toContain(
        'Reconnecting to the ledger’s events (the ledger is not ready); what is shown may be out of date.',
      );
    // Past the second in which the page would otherwise have settled on "up to date".
    await page.waitForTimeout(2000);
    expect(await status.textContent()).not.toContain('Up to date');
    back();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Up to date');
    await page.context().close();
  });

  it('keeps the session when the gateway cannot say who the user is on a reload, and tries again', async () => {
    const page = await signIn(PLATFORM_B);
    const back = await unavailable(page, '**/v1/me');
    await page.reload();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(
      '503 Service Unavailable: the ledger is not ready',
    );
    back();
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => page.getByTestId('who').textContent()).toContain(PLATFORM_B);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await page.context().close();
  });

  it('opens, after signing in, the page a link asked for; a trailing slash is the same page; each page has its title', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${t.gateway.url}/console/consignments/${REFERRED}`);
    await page.getByLabel('API key or JWT').fill(apiKey(OFFICER));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: new RegExp(REFERRED) }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/consignments/${REFERRED}`);
    expect(await page.title()).toBe(`Consignment ${REFERRED} · Customs ledger console`);
    await page.goto(`${t.gateway.url}/console/dashboard/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.title()).toBe('Dashboard · Customs ledger console');
    // On a page opened anew, the first Tab stop is the link past the navigation: also where the
    // console's own address leads on to the start page.
    for (const path of ['/console/dashboard/', '/console/']) {
      await page.goto(`${t.gateway.url}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent), path).toBe('Skip to content');
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.title()).toBe('Customs ledger console');
    // A page the user does not have (a trader signing in on an officer's queue): the start page instead.
    await page.goto(`${t.gateway.url}/console/queue`);
    await page.getByLabel('API key or JWT').fill(apiKey(PLATFORM_B));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/console/mine');
    await context.close();
  });

  it('misses no consignment created while its event stream was down before its first event', async () => {
    const page = await signIn(OFFICER);
    let dropped = false;
    await page.route('**/v1/events*', async (route) => {
      if (dropped) return route.continue();
      dropped = true;
      // The stream's opening, then the connection ends; a consignment is created meanwhile.
      const opening = await openingFrame(t, OFFICER);
      const created = await t.as(PLATFORM_A).post('/v1/consignments', {
        consignmentId: `UI-AWAY-${RUN}`,
        orderNumber: `ORD-AWAY-${RUN}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
      });
      expect(created.status, created.text).toBe(201);
      await route.fulfill({ status: 200, contentType: 'text/event-stream', body: opening });
    });
    await page.reload();
    await expect
      .poll(() => page.getByText(/Live: \d+ new consignment/).textContent(), { timeout: 10_000 })
      .toContain('Live: 1 new consignment');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('a trader makes a disclosure package; the page then shows the read it recorded, with the field it revealed', async () => {
    const page = await signIn(PLATFORM_A);
    await page.goto(`${t.gateway.url}/console/consignments/${DEAR}`);
    const reads = page
      .getByRole('table', { name: 'Personal-data reads of this consignment' })
      .locator('tbody tr');
    // Loaded when it shows either the reads or that there are none.
    await page
      .getByRole('table', { name: 'Personal-data reads of this consignment' })
      .or(page.getByText('No one has read this personal data.'))
      .waitFor();
    const before = await reads.count();
    // The records Platform A submitted, in its collection; not the payment provider's or the carrier's.
    expect(await page.getByLabel('Record').locator('option').allTextContents()).toEqual(
      expect.arrayContaining(['order', 'declaration']),
    );
    expect(await page.getByLabel('Record').locator('option').count()).toBe(2);
    await page.getByRole('button', { name: 'Make disclosure package' }).click();
    await expect.poll(() => page.locator('#disclosure-package').inputValue()).toContain('"disclosure"');
    await expect.poll(() => reads.count(), { timeout: 10_000 }).toBe(before + 1);
    expect(await reads.filter({ hasText: 'disclosed /currency' }).count()).toBe(1);
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('an officer looks a party up, reads its identity data and watch-list note for a purpose, records a note and a trusted-trader status; each read is on its log', async () => {
    const person = {
      name: `Vera Vendeuse ${RUN}`,
      document: { type: 'passport', number: `VV${RUN}`, country: 'FR' },
      address: { line1: '9 quai des Ventes', city: 'Nantes', postcode: '44000', country: 'FR' },
    };
    const registered = await t.as(PLATFORM_A).post<{ partyId: string }>('/v1/parties', {
      kind: 'seller',
      verificationLevel: 'verified',
      party: person,
    });
    expect(registered.status, registered.text).toBe(201);
    const { partyId } = registered.body;

    const page = await signIn(OFFICER);
    await page.getByRole('link', { name: 'Parties' }).click();
    await page.getByLabel('Party id (64 hex characters)').fill(partyId);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByLabel('Purpose of your reads').selectOption('revenue_assessment');
    await page.getByRole('button', { name: /^Read identity data for revenue assessment from / }).click();
    const identity = page.getByTestId('identity');
    await expect.poll(() => identity.textContent()).toContain(person.name);
    expect(await identity.textContent()).toContain('9 quai des Ventes, 44000 Nantes, FR');
    // Revenue assessment needs no identity document.
    expect(await identity.textContent()).not.toContain(person.document.number);
    // Read for one purpose, not shown under another.
    await page.getByLabel('Purpose of your reads').selectOption('risk_assessment');
    await expect.poll(() => identity.count()).toBe(0);
    await page.getByLabel('Purpose of your reads').selectOption('revenue_assessment');

    await page.getByRole('button', { name: 'Read the note for revenue assessment' }).click();
    await expect
      .poll(() => page.getByTestId('watch-list-note').textContent())
      .toBe('Customs has no note on this party.');
    await page.getByLabel('Reason code').fill('REPEAT_UNDERVALUATION');
    await page.getByRole('button', { name: 'Record note' }).click();
    await page.getByRole('button', { name: 'Confirm: Record note' }).click();
    await expect.poll(() => page.getByText(/Note recorded in transaction/).count()).toBe(1);
    await page.getByRole('button', { name: 'Read the note for revenue assessment' }).click();
    await expect
      .poll(() => page.getByTestId('watch-list-note').textContent())
      .toMatch(/^Watch-listed \(REPEAT_UNDERVALUATION\), by CustomsMSP/);

    const trusted = page.getByTestId('trusted-trader');
    expect(await trusted.textContent()).toBe('Customs has set no trusted-trader status for this party.');
    const reference = page.getByLabel('Reference (AEO certificate)');
    // The browser applies the chaincode's pattern (it ignores one it cannot compile), and the button waits.
    await reference.fill('-AEO/1');
    expect(await reference.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(true);
    expect(await page.getByRole('button', { name: 'Record status' }).isDisabled()).toBe(true);
    await reference.fill('AEO/1-a');
    expect(await reference.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(false);
    await reference.fill(`AEO-UI-${RUN}`);
    await page.getByRole('button', { name: 'Record status' }).click();
    await page
      .getByRole('heading', { name: `Recognise this party as a trusted trader under AEO-UI-${RUN}?` })
      .waitFor();
    await page.getByRole('button', { name: 'Confirm: Record status' }).click();
    await expect
      .poll(() => trusted.textContent())
      .toMatch(new RegExp(`^Trusted trader \\(AEO-UI-${RUN}\\), set by CustomsMSP on `));
    const statuses = await t
      .as(OFFICER)
      .get<{ trustedTraders: { partyId: string; trusted: boolean }[] }>('/v1/parties/trusted-traders');
    expect(statuses.body.trustedTraders).toContainEqual(expect.objectContaining({ partyId, trusted: true }));

    const reads = page.getByRole('table', { name: "Reads of the party's data" }).locator('tbody tr');
    await expect.poll(() => reads.count(), { timeout: 10_000 }).toBe(3);
    expect(await reads.filter({ hasText: 'revenue assessment' }).count()).toBe(3);
    expect(await reads.filter({ hasText: 'watch-list note' }).count()).toBe(2);
    expect(await reads.filter({ hasText: 'registration' }).count()).toBe(1);
    await screenshot(page, 'party');
    await expectAccessible(page);
    // A purpose that needs none of it: said so, where an empty box was shown.
    await page.getByLabel('Purpose of your reads').selectOption('audit');
    await page.getByRole('button', { name: /^Read identity data for audit from / }).click();
    await expect
      .poll(() => page.getByTestId('identity').textContent())
      .toBe("This purpose needs none of the party's identity data.");
    expectNoScriptErrors(page);
    await page.context().close();

    // The note went on the ledger: customs' risk rules read it.
    const note = await t
      .as(OFFICER)
      .get<{ note: { watchlisted: boolean; reasonCode: string } }>(
        `/v1/parties/${partyId}/watch-list?purpose=risk_assessment`,
      );
    expect(note.body.note).toMatchObject({ watchlisted: true, reasonCode: 'REPEAT_UNDERVALUATION' });

    // The registering platform reads its own registration for its purposes; another platform has none.
    const platform = await signIn(PLATFORM_A);
    await platform.goto(`${t.gateway.url}/console/parties/${partyId}`);
    // Customs read it three times; a registrant is shown its own reads only, and told so.
    await platform
      .getByText(/^PlatformAMSP has not read this party's data\. Other organisations' reads/)
      .waitFor();
    await platform.getByLabel('Purpose of your reads').selectOption('dispute_resolution');
    await platform.getByRole('button', { name: /^Read identity data for dispute resolution from / }).click();
    await expect.poll(() => platform.getByTestId('identity').textContent()).toContain(person.name);
    expect(await platform.getByTestId('identity').textContent()).not.toContain(person.address.city);
    expect(await platform.getByText('Watch-listed', { exact: false }).count()).toBe(0);
    // The status is customs' to read: the platform's page says nothing of it.
    expect(await platform.getByText(/trusted trader/i).count()).toBe(0);
    expectNoScriptErrors(platform);
    await platform.context().close();
    const other = await signIn(PLATFORM_B);
    await other.goto(`${t.gateway.url}/console/parties/${partyId}`);
    await expect
      .poll(() => other.getByTestId('unregistered').textContent())
      .toBe('Your organisation has not registered this party.');
    expect(await other.getByRole('button', { name: /Read identity data/ }).count()).toBe(0);
    await other.context().close();
  });

  it('counts consignments per hour of the browser’s time zone on the dashboard', async () => {
    const page = await signIn(OFFICER, { timezoneId: 'Asia/Tokyo' });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const chart = page.getByRole('img', { name: /Consignments first assessed per hour/ });
    await chart.waitFor();
    const queue = await t
      .as(OFFICER)
      .get<{ items: { firstAssessedAt: string }[] }>('/v1/customs/queue?includeClosed=true&limit=200');
    const perHour = new Map<string, number>();
    for (const { firstAssessedAt } of queue.body.items) {
      // Tokyo is UTC+9 all year.
      const hour = new Date(Date.parse(firstAssessedAt) + 9 * 3600_000).toISOString().slice(0, 13);
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    const expected = [...perHour.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([hour, n]) => `${hour.slice(11)}h ${n}`)
      .join(', ');
    expect(await chart.getAttribute('aria-label')).toBe(`Consignments first assessed per hour: ${expected}`);
    await page.context().close();
  });

  it('shows on the dashboard how the newest releases were made: by customs’ service or by an officer', async () => {
    await releasedParcels();
    const page = await signIn(OFFICER);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const rate = page.getByRole('listitem').filter({ hasText: 'Automatic-release rate' });
    await rate.waitFor();
    // Among the released assessed last, these two: one each way (the page counts each one's release decision).
    const shown =
      /^(\d+\.\d) %Automatic-release rateof the (\d+) released assessed last: (\d+) released by customs' service on a green-lane assessment, (\d+) by an officer$/.exec(
        (await rate.textContent()) ?? '',
      );
    expect(shown, (await rate.textContent()) ?? '').not.toBeNull();
    const [percent, sampled, automatic, manual] = shown!.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(automatic).toBeGreaterThanOrEqual(1);
    expect(manual).toBeGreaterThanOrEqual(1);
    expect(automatic + manual).toBe(sampled);
    expect(percent.toFixed(1)).toBe(((100 * automatic) / sampled).toFixed(1));
    await page.context().close();
  });

  it('shows a long history a page at a time, the next on Show more', async () => {
    const id = `UI-LONG-${RUN}`;
    const created = await t.as(PLATFORM_A).post('/v1/consignments', createPayload(id));
    expect(created.status, created.text).toBe(201);
    // The creation and a hundred versions of the order: one entry more than a page.
    for (let v = 1; v <= 100; v++) {
      const res = await t
        .as(PLATFORM_A)
        .post(`/v1/consignments/${id}/order`, orderPayload(testKeys(id).orderNumber, { goodsValue: v }));
      expect(res.status, res.text).toBe(201);
    }
    const page = await signIn('auditor');
    await page.goto(`${t.gateway.url}/console/consignments/${id}`);
    const entries = page.getByTestId('timeline').locator('li');
    await expect.poll(() => entries.count()).toBe(100);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => entries.count()).toBe(101);
    expect(await entries.last().innerText()).toMatch(/order submitted by PlatformAMSP/);
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    // Focus stays where the button was, not back at the page's top.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('End of the list.');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it("shows a long access log a page at a time: an auditor's reads of a party, the next on Show more", async () => {
    const partyId = randomBytes(32).toString('hex');
    // A hundred and one reads of customs' note on the party: one entry more than a page.
    for (let i = 0; i <= 100; i++) {
      const res = await t.as(OFFICER).get(`/v1/parties/${partyId}/watch-list?purpose=risk_assessment`);
      expect(res.status, res.text).toBe(200);
    }
    const page = await signIn('auditor');
    await expect.poll(() => page.url()).toContain('/console/audit');
    const reads = page.getByRole('region', {
      name: "Who read a party's registrations and watch-list note, and why",
    });
    await reads.getByLabel('Party id (64 hex characters)').fill(partyId);
    await reads.getByRole('button', { name: 'Show reads' }).click();
    const rows = reads.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    await reads.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => rows.count()).toBe(101);
    expect(await rows.last().innerText()).toMatch(/CustomsMSP/);
    expect(await reads.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('an officer sees a buyer’s annual limit that a missing rate left unchecked, and why', async () => {
    // One buyer's purchase to China in CNY, then a parcel of theirs to France under tariffs whose
    // France limits each buyer's year with no CNY rate to add up the Chinese purchase.
    const document = { type: 'national_id', number: `3101151981${RUN}`, country: 'CN' };
    const [china, france] = ['UI-CNY', 'UI-LIMIT'].map((p) => `${p}-${RUN}`) as [string, string];
    await purchaseToChina(t, china, document);
    // The Chinese purchase has no declaration: assessed is enough (it is filed in the buyer's year).
    await expect
      .poll(async () => (await t.as(OFFICER).get(`/v1/customs/assessments/${china}`)).status, {
        timeout: 20_000,
      })
      .toBe(200);
    const gap = await t.as(OFFICER).post('/v1/customs/tariffs', tariffsWithoutCnyRate(`console-gap-${RUN}`));
    expect(gap.status, gap.text).toBe(201);
    try {
      await parcelToFrance(t, france, 52.8, document);
      await assessed(france);
    } finally {
      const restored = await t.as(OFFICER).post('/v1/customs/tariffs', DEFAULT_TARIFF_SET);
      expect(restored.status, restored.text).toBe(201);
    }

    const page = await signIn(OFFICER);
    await page.goto(`${t.gateway.url}/console/consignments/${france}`);
    await page.getByTestId('buyer-limits').waitFor();
    expect(await page.getByTestId('buyer-limits').innerText()).toMatch(
      /^this purchase 46\.00 EUR; already this year not known \(limit 10000\.00 EUR\) — buyer's annual limit not checked: no CNY rate against EUR valid on \d{4}-\d{2}-\d{2}, for an officer$/,
    );
    expect(await page.getByTestId('risk-reasons').innerText()).toMatch(
      /RATE_MISSING\s+not weighted\s+buyer's annual limit not checked: no CNY rate against EUR/,
    );
    expect(await page.getByText(/^Not released automatically: .*RISK_INCOMPLETE/).count()).toBe(1);
    await screenshot(page, 'officer-buyer-limit-not-checked');
    expectNoScriptErrors(page);
    await page.context().close();
  });

  it('an officer sees why automatic assessments failed, in the queue and on the pages, until the network is fixed', async () => {
    // A gateway on a network whose chaincode definition lacks the collections from customs to the
    // carriers, so that customs cannot assess a parcel the post is to collect VAT on. BEFORE was
    // assessed while its declaration carried a collection number (the platform collected the VAT),
    // and fails once the declaration is corrected without it; NEVER fails from the start.
    const dataDir = await mkdtemp(join(tmpdir(), 'console-failure-'));
    const withoutCarrierCollections = {
      COLLECTIONS_CONFIG: await collectionsBeforeCarrierInstructions(dataDir),
    };
    let g = await startTestGateway(withoutCarrierCollections, dataDir);
    try {
      const [before, never] = ['UI-FAIL-1', 'UI-FAIL-2'].map((p) => `${p}-${RUN}`) as [string, string];
      // Paid short, so that the match fails and nothing is released before the correction.
      const withCollectionNumber = { ...declarationPayload(), vatCollectionNumber: 'IM2500000042' };
      await parcelToFrance(g, before, 40, undefined, withCollectionNumber);
      await expect
        .poll(
          async () =>
            (
              await g
                .as(OFFICER)
                .get<{ basis?: { declaration?: number } }>(`/v1/customs/assessments/${before}`)
            ).body.basis?.declaration,
          { timeout: 20_000 },
        )
        .toBe(1);
      await parcelToFrance(g, never);
      const corrected = await g
        .as(PLATFORM_A)
        .post(`/v1/consignments/${before}/declaration`, declarationPayload());
      expect(corrected.status, corrected.text).toBe(201);
      const failedIds = async () => {
        const res = await g
          .as(OFFICER)
          .get<{ items: { consignmentId: string }[] }>(
            '/v1/customs/queue?reason=ASSESSMENT_FAILED&limit=200',
          );
        return res.body.items.map((i) => i.consignmentId);
      };
      await expect.poll(failedIds, { timeout: 20_000 }).toEqual(expect.arrayContaining([before, never]));

      const page = await signIn(OFFICER, { on: g });
      await page.goto(`${g.gateway.url}/console/queue`);
      const row = page.getByRole('row').filter({ hasText: never });
      await expect
        .poll(() => row.innerText())
        .toMatch(
          /assessment failed\s+collection customs\/customs\/CustomsMSP-to-PostMSP could not be found/i,
        );

      await page.goto(`${g.gateway.url}/console/consignments/${never}`);
      const notice = page.getByTestId('assessment-failed');
      const match = page.getByTestId('match');
      await expect
        .poll(() => notice.innerText())
        .toMatch(
          /^Not assessed: its automatic assessment failed \(ASSESSMENT_ERROR, \d+ time\(s\), last at .+\): collection customs\/customs\/CustomsMSP-to-PostMSP could not be found\. Nothing is released automatically/,
        );
      // The three-way match says it too, instead of waiting for data that are all there.
      await expect
        .poll(() => match.innerText())
        .toMatch(
          /^Not assessed: customs' automatic assessment failed \(ASSESSMENT_ERROR, .+\); nothing is released automatically until an assessment succeeds: an officer decides\.$/,
        );
      await page.goto(`${g.gateway.url}/console/consignments/${before}`);
      await expect
        .poll(() => notice.innerText())
        .toMatch(
          /^The latest automatic assessment failed \(ASSESSMENT_ERROR, .+\): collection customs\/customs\/CustomsMSP-to-PostMSP could not be found\. Shown below: assessment #\d+, the last that succeeded/,
        );
      await expect
        .poll(() => match.innerText())
        .toMatch(
          /Assessment #\d+, but customs' automatic assessment since failed \(ASSESSMENT_ERROR, .+\); nothing/,
        );
      await page.getByTestId('risk-reasons').waitFor();
      await screenshot(page, 'officer-assessment-failed');
      await expectAccessible(page);
      expectNoScriptErrors(page);
      await page.context().close();
      // Its platform sees in the match that customs could not assess it, though not why.
      const platform = await signIn(PLATFORM_A, { on: g });
      await platform.goto(`${g.gateway.url}/console/consignments/${never}`);
      await expect
        .poll(() => platform.getByTestId('match').innerText())
        .toMatch(/^Not assessed: customs' automatic assessment failed \(ASSESSMENT_ERROR, /);
      expect(await platform.getByTestId('match').innerText()).not.toContain('could not be found');
      await platform.context().close();

      // The definition committed with its collections (the gateway restarted on the network's own),
      // then a change of customs' configuration: the pipeline assesses both again by itself.
      await g.close();
      g = await startTestGateway({}, dataDir);
      const rules = await g
        .as(OFFICER)
        .post('/v1/customs/rule-set', { ...DEFAULT_RULE_SET, version: `console-fix-${RUN}` });
      expect(rules.status, rules.text).toBe(201);
      await expect.poll(failedIds, { timeout: 20_000 }).not.toEqual(expect.arrayContaining([before]));
      await expect.poll(failedIds, { timeout: 20_000 }).not.toEqual(expect.arrayContaining([never]));
      const fixed = await signIn(OFFICER, { on: g });
      await fixed.goto(`${g.gateway.url}/console/consignments/${never}`);
      await fixed.getByTestId('risk-reasons').waitFor();
      expect(await fixed.getByTestId('assessment-failed').count()).toBe(0);
      expect(await fixed.getByTestId('match').innerText()).toMatch(
        /^Order, payment and logistics data: .+ Assessment #\d+, (not )?releasable\.$/,
      );
      expectNoScriptErrors(fixed);
      await fixed.context().close();
    } finally {
      await g.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('offers each user only the actions its role and the consignment’s status allow', async () => {
    const { automatic: released } = await releasedParcels();
    const service = await signIn('customs-service');
    await service.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await service.getByTestId('status').waitFor();
    expect(await service.getByRole('heading', { name: 'Officer actions' }).count()).toBe(0);
    await service.context().close();

    const officer = await signIn(OFFICER);
    await officer.goto(`${t.gateway.url}/console/consignments/${released}`);
    await officer.getByRole('heading', { name: 'Officer actions' }).waitFor();
    expect(await officer.getByText('No decision can be taken in this status.').count()).toBe(1);
    for (const name of ['Release', 'Hold', 'Inspect', 'Refer']) {
      expect(await officer.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await officer.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await officer.getByRole('button', { name: 'Refer', exact: true }).waitFor();
    await officer.context().close();

    const platform = await signIn(PLATFORM_A);
    await platform.goto(`${t.gateway.url}/console/consignments/${REFERRED}`);
    await platform.getByTestId('status').waitFor();
    expect(await platform.getByText('Start a return').count()).toBe(0);
    await platform.goto(`${t.gateway.url}/console/consignments/${released}`);
    await platform.getByText('Start a return').click();
    // A part that is no line:quantity is said, and nothing is requested: it was dropped silently.
    await platform.getByLabel(/^Order lines/).fill('1:1, 2:x');
    await platform.getByText('1 part(s) are not line:quantity, e.g. 1:2').waitFor();
    expect(await platform.getByRole('button', { name: 'Request return' }).isDisabled()).toBe(true);
    await platform.getByLabel(/^Order lines/).fill('1:1');
    expect(await platform.getByRole('button', { name: 'Request return' }).isDisabled()).toBe(false);
    await platform.context().close();
  });

  it('shows a consignment as it is now when a decision is refused because it moved on meanwhile', async () => {
    const stale = `UI-STALE-${RUN}`;
    await parcel(stale, 40);
    await assessed(stale);
    const page = await signIn(OFFICER);
    await page.goto(`${t.gateway.url}/console/consignments/${stale}`);
    await page.getByRole('button', { name: 'Hold', exact: true }).waitFor();
    const before = await page.getByTestId('status').textContent();
    // Another officer releases it while this page still shows it as it was.
    const released = await t
      .as(OFFICER)
      .post(`/v1/consignments/${stale}/decision`, { decision: 'release', reasonCodes: [] });
    expect(released.status, released.text).toBe(201);
    expect(await page.getByTestId('status').textContent()).toBe(before);
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await page
      .getByRole('dialog', { name: `Hold consignment ${stale}?` })
      .getByRole('button', { name: 'Confirm: Hold' })
      .click();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('released');
    await page.getByText(/^Not recorded: .*The page now shows the consignment as it is\.$/).waitFor();
    expect(await page.getByRole('button', { name: 'Hold', exact: true }).count()).toBe(0);
    await page.context().close();
  });

  it('says a queue page past the end is empty, and goes back from it to the last page', async () => {
    const page = await signIn(OFFICER);
    await page.goto(`${t.gateway.url}/console/queue?offset=10000`);
    const pager = page.getByRole('navigation', { name: 'Queue pages' });
    await expect.poll(() => pager.textContent()).toMatch(/none from 10001: \d+ in all/);
    const total = Number(/: (\d+) in all/.exec((await pager.textContent())!)![1]);
    await page.getByRole('button', { name: 'Previous page' }).click();
    const first = Math.floor((total - 1) / 25) * 25 + 1;
    await expect.poll(() => pager.textContent()).toContain(`${first}–${total} of ${total}`);
    await page.context().close();
  });

  it('filters the queue by every status, and shows a filter the gateway refuses as the address gives it', async () => {
    const page = await signIn(OFFICER);
    await page.goto(`${t.gateway.url}/console/queue?lane=purple`);
    await page.getByText(/lane/).first().waitFor();
    expect(await page.getByLabel('Lane').inputValue()).toBe('purple');
    await expect.poll(() => page.locator('.error').first().textContent()).toMatch(/400/);
    const options = await page.getByLabel('Status').locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['delivered', 'seized', 'returned_to_sender', 'exited']));
    await page.goto(`${t.gateway.url}/console/queue?includeClosed=true`);
    await page.getByText('Consignments, those released and closed too, oldest first.').waitFor();
    await page.context().close();
  });

  it('takes codes and party ids as typed or pasted, and asks the gateway nothing for an id that is none', async () => {
    const page = await signIn(OFFICER);
    await page.getByLabel('Reason code').fill(' split_shipment ');
    await page.getByLabel('Destination').fill('fr');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?reason=SPLIT_SHIPMENT&destinationCountry=FR');
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(`${t.gateway.url}/console/parties/xyz`);
    await page.getByText('A party id is 64 lower-case hex characters.').waitFor();
    expect(asked.filter((path) => path.startsWith('/v1/parties'))).toEqual([]);
    const id = 'AB'.repeat(32);
    await page.goto(`${t.gateway.url}/console/parties`);
    await page.getByLabel('Party id (64 hex characters)').fill(`${id.slice(0, 30)} \n${id.slice(30)}`);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/console/parties/${id.toLowerCase()}`);
    await page.context().close();
  });

  it('fits a 375 px phone: the consignment page and the auditor’s page do not scroll sideways', async () => {
    const phone = { viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true };
    for (const [user, path] of [
      [OFFICER, `/consignments/${RED}`],
      ['auditor', '/audit'],
    ] as const) {
      const page = await signIn(user, phone);
      await page.goto(`${t.gateway.url}/console${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      // Against the phone's width: a mobile browser would zoom out to fit wider content instead.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(375);
      await page.context().close();
    }
  });

  it('works on a tablet: the consignment page fits a 820×1180 touch screen', async () => {
    const page = await signIn(OFFICER, {
      viewport: { width: 820, height: 1180 },
      hasTouch: true,
      isMobile: true,
    });
    await page.goto(`${t.gateway.url}/console/consignments/${RED}`);
    await page.getByTestId('risk-reasons').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'tablet-consignment');
    await expectAccessible(page);
    await page.context().close();
  });
});
