import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { describeWithBrowser, launchBrowser } from './browser.js';

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
});
