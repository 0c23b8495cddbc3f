import type { Locale } from '../lib/index.js';
import { type AssetName, assetPath } from './assets.js';
import { esc } from './dashboard/html.js';

/**
 * The HTML around the pages that load one stylesheet and maybe one script of ours (booking tunnel, guided form):
 * same head everywhere (phone viewport, light and dark), only the asset names differ.
 */

/** JSON safe inside a `<script type="application/json">`: no `</script>` or `<!--` can end it early. */
export function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface PageShellOptions {
  title: string;
  /** Markup inside `<body>`, already escaped. */
  body: string;
  locale: Locale;
  /** The stylesheet's asset name (`booking/tunnel.css`). */
  css: AssetName;
  /** The script's asset name, loaded deferred; none for a page without script. */
  js?: AssetName;
}

export function pageShell(o: PageShellOptions): string {
  return `<!doctype html>
<html lang="${o.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(o.title)}</title>
<link rel="stylesheet" href="${assetPath(o.css)}">
${o.js ? `<script src="${assetPath(o.js)}" defer></script>\n` : ''}</head>
<body>
${o.body}
</body>
</html>
`;
}
