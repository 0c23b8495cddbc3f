import { describe, expect, it } from 'vitest';
import { openApiDocument, renderDocsHtml } from './openapi.js';

describe('openApiDocument', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, { security?: unknown; parameters?: { name: string }[] }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is OpenAPI 3 with every $ref resolvable', () => {
    expect(doc.openapi).toBe('3.0.3');
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.split('/').pop() as string);
  });

  it('asks for the key on /v1 paths only', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(Boolean(ops.get?.security), path).toBe(path.startsWith('/v1/'));
    }
  });

  it('documents the seed parameters of /v1/messages', () => {
    const names = doc.paths['/v1/messages']?.get?.parameters?.map((p) => p.name);
    expect(names).toEqual(['guild_id', 'channel_id', 'from', 'to', 'limit', 'cursor', 'include_deleted']);
  });
});

describe('renderDocsHtml', () => {
  it('renders every operation and schema, escaping text', () => {
    const html = renderDocsHtml({
      ...openApiDocument(),
      info: { title: 'A <b>title</b>', version: '1', description: 'uses `code` & more' },
    });
    expect(html).toContain('A &lt;b&gt;title&lt;/b&gt;');
    expect(html).toContain('uses <code>code</code> &amp; more');
    expect(html).toContain('<code>/v1/messages/{message_id}</code>');
    expect(html).toContain('id="schema-MessageDetail"');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
