/**
 * `file_url` fetching. No test sends traffic beyond 127.0.0.1: refusals are asserted to happen before any
 * connection (the resolver and the local server record what reached them), and the local server is reachable
 * only through the injected test hook that allows exactly 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkMediaUrl, fetchMediaUrl } from '../../../bridge/media/mediaUrl.js';

let server: Server;
let port: number;
let base: string;
const hits: string[] = [];
const onlyLoopbackForTests = (address: string) => address === '127.0.0.1';

function handle(req: IncomingMessage, res: ServerResponse): void {
  hits.push(req.url ?? '');
  const url = new URL(req.url ?? '/', 'http://x');
  const go = (location: string): void => void res.writeHead(302, { location }).end();
  switch (url.pathname) {
    case '/file':
      res.writeHead(200, {
        'content-type': 'image/png; charset=binary',
        'content-disposition': 'attachment; filename="kitten.png"',
      });
      res.end(Buffer.from('PNG-BYTES'));
      return;
    case '/host':
      res.writeHead(200, { 'content-type': 'text/plain' }).end(req.headers.host ?? '');
      return;
    case '/r1':
      return go('/r2');
    case '/r2':
      return go(`${base}/r3`);
    case '/r3':
      return go('/file');
    case '/loop':
      return go(`/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}`);
    case '/to-metadata':
      return go('http://169.254.169.254/latest/meta-data/');
    case '/to-localhost':
      return go(`http://localhost:${port}/file`);
    case '/to-ipv6-loopback':
      return go(`http://[::1]:${port}/file`);
    case '/to-private-name':
      return go(`http://intranet.example.com:${port}/file`);
    case '/to-file-scheme':
      return go('file:///etc/passwd');
    case '/big-declared':
      res.writeHead(200, { 'content-length': '101' }).end(Buffer.alloc(101));
      return;
    case '/big-chunked':
      res.writeHead(200);
      for (let i = 0; i < 5; i++) res.write(Buffer.alloc(30));
      res.end();
      return;
    case '/missing':
      res.writeHead(404).end();
      return;
    case '/hang':
      return; // never answers
    default:
      res.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  hits.length = 0;
});

describe('checkMediaUrl refuses before any connection', () => {
  it.each([
    ['http://127.0.0.1/', /loopback/],
    ['http://10.0.0.1/x.jpg', /private 10/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://100.64.1.1/', /carrier-grade NAT/],
    ['http://224.0.0.251/', /multicast/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[::1]/', /loopback/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00::1]/', /unique local/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:a00:1]/', /private 10/],
    ['http://2130706433/', /loopback/], // 127.0.0.1 as one number
    ['http://0x7f.1/', /loopback/],
    ['http://localhost/', /localhost/],
    ['http://LOCALHOST.:8080/', /localhost/],
    ['http://media.localhost/', /localhost/],
    ['https://router.local/', /private network/],
    ['file:///etc/passwd', /only http and https/],
    ['ftp://example.com/x', /only http and https/],
    ['gopher://example.com/', /only http and https/],
    ['http://user:pass@example.com/', /user name or password/],
    ['not a url', /not a valid URL/],
  ])('%s', async (url, why) => {
    const resolve = vi.fn(async () => ['93.184.216.34']);
    await expect(checkMediaUrl(url, { resolve })).rejects.toMatchObject({
      code: 'invalid_arguments',
      message: expect.stringMatching(new RegExp(`^file_url: .*${why.source}`)),
    });
    expect(resolve).not.toHaveBeenCalled();
  });

  it('checks every address a name resolves to: one private address is enough to refuse', async () => {
    const resolve = vi.fn(async () => ['93.184.216.34', '10.0.0.7']);
    await expect(checkMediaUrl('https://cdn.example.com/a.jpg', { resolve })).rejects.toMatchObject({
      message: expect.stringMatching(/cdn\.example\.com leads to 10\.0\.0\.7, in the private 10/),
    });
    expect(resolve).toHaveBeenCalledWith('cdn.example.com');
    for (const address of ['127.0.0.53', '::1', 'fe80::1', '::ffff:192.168.1.1', '100.100.100.100']) {
      await expect(
        checkMediaUrl('https://cdn.example.com/a.jpg', { resolve: async () => [address] }),
      ).rejects.toMatchObject({ code: 'invalid_arguments' });
    }
  });

  it('accepts a public name and pins the checked address', async () => {
    const target = await checkMediaUrl('https://cdn.example.com/a.jpg', {
      resolve: async () => ['2606:4700::6810:84e5', '104.16.132.229'],
    });
    expect(target).toMatchObject({ hostname: 'cdn.example.com', address: '2606:4700::6810:84e5', family: 6 });
  });
});

describe('fetchMediaUrl', () => {
  it('without the test hook, even the local test server is refused and never reached', async () => {
    await expect(fetchMediaUrl(`${base}/file`)).rejects.toMatchObject({
      message: expect.stringMatching(/loopback/),
    });
    expect(hits).toEqual([]);
  });

  it('downloads from an allowed address, with the name and type the server gives', async () => {
    const got = await fetchMediaUrl(`${base}/file`, { allowAddressForTests: onlyLoopbackForTests });
    expect(got.bytes.toString()).toBe('PNG-BYTES');
    expect(got).toMatchObject({ fileName: 'kitten.png', mimeType: 'image/png' });
  });

  it('connects to the address that was checked, not to whatever a second lookup says', async () => {
    const resolve = vi.fn(async () => ['127.0.0.1']);
    const got = await fetchMediaUrl(`http://media.example.com:${port}/host`, {
      resolve,
      allowAddressForTests: onlyLoopbackForTests,
    });
    expect(got.bytes.toString()).toBe(`media.example.com:${port}`);
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('follows up to 3 redirects, checking each hop', async () => {
    const got = await fetchMediaUrl(`${base}/r1`, { allowAddressForTests: onlyLoopbackForTests });
    expect(got.bytes.toString()).toBe('PNG-BYTES');
    expect(hits).toEqual(['/r1', '/r2', '/r3', '/file']);
  });

  it('refuses a 4th redirect', async () => {
    await expect(
      fetchMediaUrl(`${base}/loop`, { allowAddressForTests: onlyLoopbackForTests }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/more than 3 redirects/) });
    expect(hits).toHaveLength(4);
  });

  it.each([
    ['/to-metadata', /169\.254\.169\.254.*link-local/],
    ['/to-localhost', /localhost/],
    ['/to-ipv6-loopback', /loopback/],
    ['/to-private-name', /intranet\.example\.com leads to 192\.168\.0\.10/],
    ['/to-file-scheme', /only http and https/],
  ])('refuses a redirect %s before connecting to it', async (path, why) => {
    const resolve = vi.fn(async (host: string) => (host === 'intranet.example.com' ? ['192.168.0.10'] : []));
    await expect(
      fetchMediaUrl(`${base}${path}`, { resolve, allowAddressForTests: onlyLoopbackForTests }),
    ).rejects.toMatchObject({ message: expect.stringMatching(why) });
    expect(hits).toEqual([path]);
  });

  it('refuses a body over the cap, declared or streamed', async () => {
    const opts = { allowAddressForTests: onlyLoopbackForTests, maxBytes: 100 };
    await expect(fetchMediaUrl(`${base}/big-declared`, opts)).rejects.toMatchObject({
      message: expect.stringMatching(/more than 100 bytes/),
    });
    await expect(fetchMediaUrl(`${base}/big-chunked`, opts)).rejects.toMatchObject({
      message: expect.stringMatching(/more than 100 bytes/),
    });
  });

  it('refuses non-200 answers and gives up at the deadline', async () => {
    await expect(
      fetchMediaUrl(`${base}/missing`, { allowAddressForTests: onlyLoopbackForTests }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/HTTP 404/) });
    const started = Date.now();
    await expect(
      fetchMediaUrl(`${base}/hang`, { allowAddressForTests: onlyLoopbackForTests, timeoutMs: 300 }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/took too long/) });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops when the call is cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancel')), 100);
    await expect(
      fetchMediaUrl(`${base}/hang`, { allowAddressForTests: onlyLoopbackForTests, signal: ac.signal }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/cancelled/) });
  });
});
