/**
 * The tunnel's stylesheet: system fonts, one accent colour, large touch targets (44 px, WCAG 2.5.5) and a
 * focus ring that cannot be missed (3 px outline + halo, contrast ≥ 3:1 on white and on the accent).
 */
export const TUNNEL_CSS = `
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
:root {
  --ink: #1b2330;
  --muted: #5a6678;
  --line: #d6dce5;
  --bg: #f4f6f9;
  --card: #ffffff;
  --accent: #1d4ed8;
  --accent-ink: #ffffff;
  --accent-soft: #e8efff;
  --danger: #b42318;
  --danger-soft: #fdecea;
  --ok: #067647;
  --ok-soft: #e7f6ee;
  --focus: #0b3fb3;
  --radius: 12px;
}
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.tunnel {
  max-width: 40rem;
  margin: 0 auto;
  padding: 1.25rem 1rem 3rem;
}
@media (min-width: 48rem) {
  .tunnel {
    margin: 2.5rem auto;
    padding: 2rem 2.5rem 2.5rem;
    background: var(--card);
    border: 1px solid var(--line);
    border-radius: 16px;
    box-shadow: 0 1px 2px rgba(16, 24, 40, .05), 0 8px 24px rgba(16, 24, 40, .06);
  }
}
.intro h1 { font-size: 1.6rem; line-height: 1.25; margin: .15rem 0 .5rem; }
.eyebrow { margin: 0; color: var(--accent); font-weight: 600; font-size: .85rem; letter-spacing: .06em; text-transform: uppercase; }
.lead { margin: 0 0 .5rem; color: var(--muted); }
.zone { margin: 0; color: var(--muted); font-size: .95rem; }
h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
h2:focus { outline: none; }
h2:focus-visible { outline: 3px solid var(--focus); outline-offset: 4px; border-radius: 4px; }

.progress { display: flex; gap: .5rem; list-style: none; padding: 0; margin: 1.25rem 0 1rem; counter-reset: step; }
.progress li {
  flex: 1;
  counter-increment: step;
  font-size: .85rem;
  color: var(--muted);
  padding-top: .5rem;
  border-top: 4px solid var(--line);
}
.progress li::before { content: counter(step) ". "; }
.progress li[aria-current="step"] { color: var(--ink); font-weight: 600; border-top-color: var(--accent); }
.progress li.done { border-top-color: var(--accent); }

.status { margin: 0 0 1rem; color: var(--muted); min-height: 1.5em; }
.status.error { color: var(--danger); background: var(--danger-soft); padding: .75rem 1rem; border-radius: var(--radius); }
.status:empty { display: none; }
.step { margin-top: .5rem; }
/* Off the three steps (the availability form) there is no progress bar to keep the step from the intro. */
.progress[hidden] ~ .step { margin-top: 1.5rem; }
.week { margin: 0 0 1rem; color: var(--muted); }
.empty { margin: 0 0 1rem; padding: 1rem; border: 1px dashed var(--line); border-radius: var(--radius); color: var(--muted); background: var(--card); }

.choices { display: grid; gap: .75rem; margin: 0 0 1.25rem; }
.choices.dates { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.choices.times { grid-template-columns: repeat(2, minmax(0, 1fr)); }
@media (min-width: 36rem) {
  .choices.dates { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .choices.times { grid-template-columns: repeat(4, minmax(0, 1fr)); }
}

button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
.choice {
  display: flex;
  flex-direction: column;
  align-items: center;
  justify-content: center;
  gap: .1rem;
  min-height: 44px;
  padding: .85rem .5rem;
  background: var(--card);
  border: 2px solid var(--line);
  border-radius: var(--radius);
  transition: border-color .12s, background-color .12s;
}
.choice:hover { border-color: var(--accent); background: var(--accent-soft); }
.choice[aria-pressed="true"] { border-color: var(--accent); background: var(--accent-soft); }
.choice .dow { font-size: .8rem; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.choice .day { font-size: 1.6rem; font-weight: 700; line-height: 1.1; }
.choice .mon { font-size: .9rem; color: var(--muted); }
.choice.time { font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; }

.alt, .actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
.actions { margin-top: 1.25rem; }
.fallback { margin: 1rem 0 0; padding-top: 1rem; border-top: 1px solid var(--line); }
.primary, .secondary, .ghost {
  min-height: 44px;
  padding: .6rem 1.1rem;
  border-radius: 999px;
  border: 2px solid transparent;
  font-weight: 600;
}
.primary { background: var(--accent); color: var(--accent-ink); }
.primary:hover { background: #1a44bd; }
.primary[disabled] { opacity: .65; cursor: progress; }
.secondary { background: var(--card); border-color: var(--accent); color: var(--accent); }
.secondary:hover { background: var(--accent-soft); }
.ghost { background: transparent; color: var(--accent); text-decoration: underline; text-underline-offset: 3px; padding-left: 0; padding-right: 0; text-align: left; }
.fallback .secondary { text-decoration: none; padding-left: 1.1rem; padding-right: 1.1rem; }
@media (max-width: 35.99rem) {
  .actions > .primary, .actions > .secondary, .alt > .secondary, .fallback > .secondary { width: 100%; }
  .alt > .secondary { flex: 1 1 0; width: auto; white-space: nowrap; }
}

/* One focus style for everything that takes focus from the keyboard: outline plus a halo, so it shows
   on white, on the light blue of a pressed choice and on the blue of a primary button. */
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
  box-shadow: 0 0 0 6px rgba(29, 78, 216, .25);
}

form { margin: 0; }
.field { margin: 0 0 1rem; }
label, legend { display: block; font-weight: 600; margin-bottom: .3rem; padding: 0; }
.hint { margin: -.15rem 0 .35rem; color: var(--muted); font-size: .9rem; font-weight: 400; }
legend .hint { display: inline; margin: 0; }
input, textarea {
  display: block;
  width: 100%;
  min-height: 44px;
  padding: .55rem .75rem;
  background: var(--card);
  border: 1.5px solid #98a2b3;
  border-radius: 10px;
}
textarea { resize: vertical; }
input[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--danger); background: #fffafa; }
.field-error { margin: .3rem 0 0; color: var(--danger); font-size: .92rem; font-weight: 600; }
.field-error::before { content: "⚠ "; }
.form-error { margin: 0 0 1rem; padding: .75rem 1rem; color: var(--danger); background: var(--danger-soft); border-radius: var(--radius); font-weight: 600; }

fieldset.ranges { border: 0; padding: 0; margin: 0 0 1rem; min-width: 0; }
.range {
  display: grid;
  grid-template-columns: 1fr 1fr;
  gap: .5rem .75rem;
  padding: .75rem;
  margin-bottom: .75rem;
  border: 1px solid var(--line);
  border-radius: var(--radius);
  background: var(--card);
}
.range .cell-date { grid-column: 1 / -1; }
.range label { font-size: .9rem; }
@media (min-width: 36rem) {
  .range { grid-template-columns: 2fr 1fr 1fr; }
  .range .cell-date { grid-column: auto; }
}

.summary {
  margin: 0 0 1.25rem;
  padding: .9rem 1rem;
  background: var(--accent-soft);
  border-left: 4px solid var(--accent);
  border-radius: 8px;
  font-weight: 600;
}
.done h2 { color: var(--ok); }
.done p { padding: 1rem; background: var(--ok-soft); border-radius: var(--radius); }
.type-list { list-style: none; padding: 0; margin: 1rem 0 0; display: grid; gap: .75rem; }
.type-list li { padding: 1rem; border: 1px solid var(--line); border-radius: var(--radius); background: var(--card); }
.type-list a { font-weight: 600; color: var(--accent); }
.type-list p { margin: .25rem 0 0; color: var(--muted); }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; } }
`;
