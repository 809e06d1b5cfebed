// What the browser tests of the sessions page share: one seeded database, an
// admin's and a reader's `aidis serve`, one browser page (state), and the
// helpers that read the page as a person would.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { DB, READER, repo, seed, serve, launch, sql, psql } from './lib.js';

export const state = {};  // browser, admin, reader, page, cart (the display id of the seeded session)
export const shots = `${repo}docs/serve/`;
export const T = { timeout: 5000 };

export async function axe(label, { schemes = ['light'] } = {}) {
  for (const scheme of schemes) {
    await state.page.emulateMedia({ colorScheme: scheme });
    const r = await new AxeBuilder({ page: state.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], `axe violations in ${label} (${scheme})`);
  }
  await state.page.emulateMedia({ colorScheme: 'light' });
}

// Light and dark. `until`: the shot covers the page from its top (the
// heading) down to the bottom of that element, however far down it is.
export async function shoot(name, { until } = {}) {
  let clip;
  await state.page.evaluate(() => window.scrollTo(0, 0));
  if (until) {
    const box = await until.boundingBox();
    clip = { x: 0, y: 0, width: state.page.viewportSize().width, height: Math.ceil(box.y + box.height + 16) };
  }
  for (const scheme of ['light', 'dark']) {
    await state.page.emulateMedia({ colorScheme: scheme });
    await state.page.screenshot({ path: `${shots}${name}-${scheme}.png`, ...(clip ? { clip, fullPage: true } : {}) });
  }
  await state.page.emulateMedia({ colorScheme: 'light' });
}

// Polls fn() until it returns true (a live refresh or a fetch may be under way).
export async function until(fn, message, timeout = 5000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) assert.fail(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The terms and definitions (<dl>) inside a locator, as { term: text }.
export async function facts(where) {
  const pairs = await where.locator('dl.facts').evaluateAll((dls) => dls.flatMap((dl) =>
    [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  return Object.fromEntries(pairs);
}

export const statuses = async () => (await table().locator('tbody tr td:nth-child(5)').allTextContents());
export const titles = async () => (await table().locator('tbody tr td:nth-child(2)').allTextContents());
export const en = (n) => Number(n).toLocaleString('en-US');
export const detailsJson = (id) => JSON.parse(sql(`SELECT aidis.session_details('${id}')`));

export const table = () => state.page.getByRole('table', { name: 'Sessions' });
export const details = () => state.page.getByRole('region', { name: state.cart });

// The file a click downloads, as text.
export async function downloaded(button) {
  const [file] = await Promise.all([state.page.waitForEvent('download', T), button.click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

// Presses Tab (or Shift+Tab) until the locator has the focus.
export async function tabTo(p, locator, key = 'Tab') {
  for (let i = 0; i < 60; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await p.keyboard.press(key);
  }
  assert.fail(`${key} never reached ${locator}`);
}

export async function setUp() {
  mkdirSync(shots, { recursive: true });
  state.cart = seed();
  state.admin = await serve(`dbname=${DB}`);
  state.reader = await serve(`dbname=${DB} user=${READER}`);
  state.browser = await launch();
  const context = await state.browser.newContext({ viewport: { width: 1500, height: 1000 }, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: state.admin.url });
  state.page = await context.newPage();
}

export async function tearDown() {
  const { browser, admin, reader } = state;
  await browser?.close();
  admin?.child.kill();
  reader?.child.kill();
  await Promise.all([admin, reader].filter(Boolean).map((s) =>
    new Promise((r) => (s.child.exitCode !== null || s.child.signalCode ? r() : s.child.once('exit', r)))));
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
}
