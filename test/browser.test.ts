import { createServer } from 'node:http';
import { basename } from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { describeWithBrowser, launchBrowser, OMNIBOX_POPUP_FEATURES, TEST_BROWSER } from './browser.js';
import { processes } from './demo-helpers.js';

describeWithBrowser('the test browser', () => {
  it('is a real headless Chromium that loads a page from 127.0.0.1, runs its script and takes keyboard focus', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><button id="b">go</button><p id="out"></p><script>document.getElementById("b").onclick=()=>{document.getElementById("out").textContent="clicked"}</script>',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const session = await launchBrowser();
    try {
      const page = await (await session.context()).newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(session.browser.version()).toMatch(/^\d+\./);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('b');
      await page.keyboard.press('Enter');
      expect(await page.textContent('#out')).toBe('clicked');
    } finally {
      await session.close();
      server.close();
    }
  });

  it("keeps playwright-core's own disabled features, and makes no omnibox popup per context", async () => {
    const session = await launchBrowser();
    try {
      const pages = [];
      for (let i = 0; i < 2; i++) pages.push(await (await session.context()).newPage());
      // The browser's whole command line, from the process list: the browser is this process's child that speaks
      // Playwright's protocol on a pipe (the headless shell has no chrome://version page; the protocol gives the
      // command line only under --enable-automation, which Playwright does not pass).
      const commandLine = await browserCommandLine();
      // Debian's /usr/bin/chromium is a script that runs /usr/lib/chromium/chromium.
      expect(basename(commandLine[0] ?? '')).toBe(basename(TEST_BROWSER));
      const lists = commandLine.filter((a) => a.startsWith('--disable-features=')).map((a) => a.slice('--disable-features='.length).split(','));
      // Playwright's comes first, ours last, and Chromium keeps the last one.
      expect(lists.length).toBeGreaterThanOrEqual(2);
      const [playwrights, ours] = [lists[0]!, lists.at(-1)!];
      expect(playwrights.filter((f) => !f.startsWith('ms') && !ours.includes(f))).toEqual([]);
      expect(ours).toEqual(expect.arrayContaining([...OMNIBOX_POPUP_FEATURES]));
      // The browser's own pages: none (the full browser made two omnibox popups per window without the flags).
      await pages[0]!.goto('about:blank');
      const cdp = await session.browser.newBrowserCDPSession();
      const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { type: string; url: string }[] };
      expect(targetInfos.filter((t) => t.url.startsWith('chrome://')).map((t) => t.url)).toEqual([]);
      // Ours at least (the browser is the process's: a file before this one may have left a page open).
      expect(targetInfos.filter((t) => t.type === 'page').length).toBeGreaterThanOrEqual(2);
    } finally {
      await session.close();
    }
  });
});

/** The arguments of the browser Playwright launched from this process (its child with the protocol pipe). */
async function browserCommandLine(): Promise<string[]> {
  const browser = (await processes()).find((p) => p.ppid === process.pid && p.args.includes('--remote-debugging-pipe'));
  if (!browser) throw new Error(`no child of ${process.pid} with --remote-debugging-pipe`);
  // Our arguments hold no spaces.
  return browser.args.split(' ');
}
