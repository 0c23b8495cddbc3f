import { describe, expect, it } from 'vitest';
import { createRouter, splitPath, type Handler } from './router.js';

const h = (tag: string): Handler => async () => ({ status: 200, json: tag });

describe('router', () => {
  it('matches literal and parameter segments, first route first', async () => {
    const r = createRouter();
    r.get('/v1/instances', h('list'));
    r.get('/v1/instances/:name', h('one'));
    r.get('/v1/instances/:name/runs', h('runs'));
    expect(r.match('/v1/instances')?.params).toEqual({});
    expect(r.match('/v1/instances/alice')?.params).toEqual({ name: 'alice' });
    expect(r.match('/v1/instances/alice/runs')?.params).toEqual({ name: 'alice' });
    expect(await r.match('/v1/instances/alice/runs')?.handler({} as never)).toEqual({ status: 200, json: 'runs' });
    expect(r.match('/v1/instances/')).toBeNull();
    expect(r.match('/v1/instances/alice/other')).toBeNull();
    expect(r.match('/v2/instances')).toBeNull();
  });

  it('decodes segments and refuses broken encodings', () => {
    const r = createRouter();
    r.get('/x/:id', h('x'));
    expect(r.match('/x/a%20b')?.params).toEqual({ id: 'a b' });
    expect(r.match('/x/%E0%A4%A')).toBeNull();
    expect(splitPath('/a/%2F')).toEqual(['a', '/']);
  });
});

describe('methods', () => {
  it('dispatches GET (and HEAD) and POST separately, and tells which methods a path answers', async () => {
    const r = createRouter();
    r.get('/book/:type', async () => ({ status: 200, json: 'page' }));
    r.post('/book/:type', async (req) => ({ status: 201, json: req.params.type }));
    r.get('/only-get', async () => ({ status: 200, json: 'x' }));
    const post = r.lookup('POST', '/book/visio');
    expect(post && 'handler' in post && (await post.handler({ params: post.params } as never))).toEqual({ status: 201, json: 'visio' });
    const head = r.lookup('HEAD', '/book/visio');
    expect(head && 'handler' in head && (await head.handler({} as never))).toEqual({ status: 200, json: 'page' });
    expect(r.lookup('POST', '/only-get')).toEqual({ allow: ['GET', 'HEAD'] });
    expect(r.lookup('DELETE', '/book/visio')).toEqual({ allow: ['GET', 'HEAD', 'POST'] });
    expect(r.lookup('GET', '/nothing')).toBeNull();
    expect(r.match('/book/visio')).not.toBeNull();
  });
});
