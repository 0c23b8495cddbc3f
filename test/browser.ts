/**
 * Debian's Chromium driven by playwright-core for the page tests: headless, no sandbox (root in CI), and the
 * background-networking flags off so it never dials out. Screenshots go to test-artifacts/screenshots/.
 * Outside CI, a machine without /usr/bin/chromium skips the browser tests with one line; in CI they fail.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Debian's chromium-headless-shell (scripts/chromium-setup.sh installs it beside the full browser). */
export const HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell';
/**
 * The browser the page tests drive: the headless shell when the tests run in a network namespace of their own
 * (scripts/netns-run.mjs, as `npm test` runs them where it can: CAMPUS_SYNC_TEST_NETNS=isolated), where no address
 * of the host changes under it; the full browser everywhere else (see OMNIBOX_POPUP_FEATURES for why).
 */
export const TEST_BROWSER = process.env.CAMPUS_SYNC_TEST_NETNS === 'isolated' && existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : CHROMIUM;
export const SCREENSHOTS = resolve(import.meta.dirname, '../test-artifacts/screenshots');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export const chromiumAvailable = existsSync(CHROMIUM);

/**
 * The desktop browser's own pages it need not make: Chromium's full browser, headless, still builds each window's
 * toolbar, and each new context is a window whose omnibox popups (chrome://omnibox-popup.top-chrome/, as WebUI) get
 * renderers of their own, two per context. Measured on test/browser-booking + test/browser-self (2026-12-07, 2
 * cores, a /proc sampler over Chromium's processes): 28 renderers, ~27 CPU-s of renderers and ~46 CPU-s of
 * Chromium in all; without these popups 17 renderers, ~10 and ~26 CPU-s (issue 19, CI time). The pages under test
 * never use the omnibox. (Debian's chromium-headless-shell used ~15 CPU-s, but it drops every connection in flight
 * when an address of the host changes, net::ERR_NETWORK_CHANGED, which the engine tests' Docker networks do all
 * the time beside the page tests; the full browser does not: reproduced by adding and removing addresses on `lo`
 * while loading pages, 1-6 failed navigations in 20 s under the shell, none under the full browser, with or without
 * these flags: in a network namespace of its own, the shell is used, see TEST_BROWSER.)
 */
export const OMNIBOX_POPUP_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'] as const;
/**
 * A second --disable-features replaces the first, and playwright-core passes its own (its chromiumSwitches: features
 * that reach Google's hosts, change HTTP to HTTPS, or disturb its protocol): they are named again here, and
 * test/browser.test.ts checks from the browser's command line that none of Playwright's is lost on an upgrade.
 */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
] as const;
const DISABLED_FEATURES = [...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_POPUP_FEATURES];

/** `describe` when Chromium is there (or in CI, where its absence must fail); otherwise one skip line. */
export function describeWithBrowser(name: string, body: () => void): void {
  if (chromiumAvailable || process.env.CI) {
    describe(name, body);
    return;
  }
  console.log(`[browser] ${name}: skipped, ${CHROMIUM} is missing (bash scripts/chromium-setup.sh installs it)`);
  describe.skip(name, body);
}

export interface BrowserSession {
  browser: Browser;
  /** A fresh context (own cookies) at a viewport, in a browser language (Accept-Language; en-US unless given). */
  context(viewport?: { width: number; height: number }, opts?: { locale?: string }): Promise<BrowserContext>;
  /** Closes this session's contexts; the browser stays for the next file of this process. */
  close(): Promise<void>;
}

/**
 * One Chromium per test process, shared by the files it runs one after the other (vitest's workers keep this
 * module between files: isolate is off, vitest.config.ts). A launch is ~2 CPU-s of Chromium on this 2-core machine
 * (measured 2026-12-07: five launches 13.5 CPU-s, a context with its page 0.85), and a dozen files each launched
 * their own. Each file still gets contexts of its own and closes them; playwright-core kills the browser when the
 * process exits (its exit and SIGTERM handlers), and Chromium ends by itself when its protocol pipe closes.
 */
let shared: Promise<Browser> | null = null;

async function sharedBrowser(): Promise<Browser> {
  const current = shared && (await shared.catch(() => null));
  if (current?.isConnected()) return current;
  const { chromium } = await import('playwright-core');
  const launching = chromium.launch({
    executablePath: TEST_BROWSER,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--disable-features=${DISABLED_FEATURES.join(',')}`,
    ],
  });
  shared = launching;
  const browser = await launching.catch((err: unknown) => {
    if (shared === launching) shared = null;
    throw err;
  });
  browser.on('disconnected', () => {
    if (shared === launching) shared = null;
  });
  return browser;
}

export async function launchBrowser(): Promise<BrowserSession> {
  const browser = await sharedBrowser();
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async context(viewport = DESKTOP, opts = {}) {
      // Pages follow Accept-Language (French when it names no language we speak): a fixed one keeps tests stable.
      const c = await browser.newContext({ viewport, locale: opts.locale ?? 'en-US' });
      contexts.push(c);
      return c;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
    },
  };
}

/** Keeps a full-page screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
