import fc from 'fast-check';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createVersioning,
  expressVersioning,
  fillScope,
  formatVersionList,
  memoryVersionStore,
  parseVersionList,
  ScopeError,
  webVersioning,
} from '../../src/server.js';

describe('scope templates', () => {
  it('fill from the URL parameters, the owner of the data', () => {
    expect(fillScope('calendar:{user}', { user: 'alice' })).toBe('calendar:alice');
    expect(fillScope('org:{org}:calendar:{user}', { org: 'acme', user: 'bob' })).toBe('org:acme:calendar:bob');
  });

  it('refuse a missing or empty parameter with a ScopeError instead of versioning "undefined"', () => {
    const error = (() => {
      try {
        fillScope('calendar:{user}', { id: '3' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ScopeError);
    expect(error).toMatchObject({ template: 'calendar:{user}', parameter: 'user' });
    expect(() => fillScope('calendar:{user}', { user: '' })).toThrow(ScopeError);
  });

  it('make a Web handler reject before touching the store or the data', async () => {
    let ran = false;
    const web = webVersioning(createVersioning({ store: memoryVersionStore(), build: 'b' }));
    const feed = web.feed('calendar:{user}', () => {
      ran = true;
      return new Response('[]');
    });
    await expect(feed(new Request('http://x/api/events'), {})).rejects.toBeInstanceOf(ScopeError);
    expect(ran).toBe(false);
  });
});

describe('the X-Cache-Versions list form', () => {
  it('round-trips any scopes, commas, equals signs and non-ASCII included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, unit: 'grapheme' }), fc.bigInt({ min: 0n, max: 2n ** 60n })), {
          selector: ([s]) => s,
          maxLength: 6,
        }),
        (pairs) => {
          const tokens = new Map(pairs.map(([scope, token]) => [scope, token.toString()]));
          expect(parseVersionList(formatVersionList(tokens))).toEqual(tokens);
        },
      ),
    );
  });

  it('leaves ordinary scopes readable', () => {
    expect(
      formatVersionList(
        new Map([
          ['calendar:alice', '12'],
          ['tasks:alice', '7'],
        ]),
      ),
    ).toBe('calendar:alice=12, tasks:alice=7');
  });
});

describe('the Express mutation middleware', () => {
  it('holds back an explicit writeHead and streamed writes until the token is on the response', async () => {
    const app = express();
    app.post(
      '/api/users/:user/events',
      expressVersioning(createVersioning({ store: memoryVersionStore(), build: 'b' })).mutation('calendar:{user}'),
      (_req, res) => {
        res.writeHead(201, { 'Content-Type': 'text/plain' });
        res.write('one,');
        res.write('two');
        res.end(',three');
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/users/alice/events`, { method: 'POST' });
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.get('x-cache-version')).toMatch(/^\d+$/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toBe('one,two,three');
    } finally {
      server.close();
    }
  });
});
