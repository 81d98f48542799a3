/**
 * `send_media`'s `file_url` source (issue 5 "Media safety"): off unless the person turned it on; then only
 * http/https to public addresses. A fetch on behalf of a remote AI must not become a way into the person's own
 * network (router admin pages, cloud metadata at 169.254.169.254, services on localhost), so for every hop:
 *
 * 1. the URL must be http(s) without credentials, and its host not `localhost` or a private-network name;
 * 2. the host is resolved once, and EVERY address it resolves to must be public ({@link forbiddenRange});
 * 3. the connection goes to the address that was checked (a pinned `lookup`, no second DNS answer to race),
 *    and the socket's remote address is checked again on connect;
 * 4. redirects are followed by hand, at most 3, each new URL going through 1–3 again;
 * 5. the body is counted while it streams and the download aborts past the size cap; the whole fetch has a
 *    deadline.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { MAX_MEDIA_BYTES, ToolErrorCode, ToolError } from '../protocol/index.js';
import { forbiddenHostname, forbiddenRange } from './addressRanges.js';

/** Default deadline of a whole `file_url` fetch (all hops and the body), in ms. */
export const URL_FETCH_TIMEOUT_MS = 20_000;
/** Most redirects followed (issue 5). */
export const MAX_REDIRECTS = 3;

/** Resolves a host name to every address it has (IPv4 and IPv6 literals). */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** Options of {@link fetchMediaUrl}. */
export interface UrlFetchOptions {
  /** Size cap in bytes (default 20 MiB). */
  maxBytes?: number;
  /** Deadline for the whole fetch, in ms (default {@link URL_FETCH_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Most redirects followed (default {@link MAX_REDIRECTS}). */
  maxRedirects?: number;
  /** Aborts the fetch (the tool call was cancelled). */
  signal?: AbortSignal;
  /** DNS resolver (default: the system resolver, every address). Tests inject names → addresses. */
  resolve?: HostResolver;
  /**
   * TEST HOOK ONLY: addresses let through despite the deny list (tests allow exactly `127.0.0.1` to reach a
   * local server). Never set in the product.
   */
  allowAddressForTests?: (address: string) => boolean;
}

/** A downloaded file: the bytes, the name the server or URL gives it, its Content-Type, and the final URL. */
export interface FetchedMedia {
  bytes: Buffer;
  fileName: string | null;
  mimeType: string | null;
  finalUrl: string;
}

/** The address a URL may connect to, after every check of steps 1–2. */
export interface CheckedTarget {
  url: URL;
  hostname: string;
  address: string;
  family: 4 | 6;
}

/**
 * Steps 1–2 for one URL: parses and checks it, resolves its host, and checks every address.
 * @throws ToolError `invalid_arguments` starting `file_url:` naming why the URL is refused.
 */
export async function checkMediaUrl(
  raw: string,
  opts: Pick<UrlFetchOptions, 'resolve' | 'allowAddressForTests'> = {},
): Promise<CheckedTarget> {
  const { url, hostname } = checkUrlShape(raw, opts);
  const allowed = opts.allowAddressForTests ?? (() => false);
  let addresses: string[];
  if (isIP(hostname)) {
    addresses = [hostname];
  } else {
    try {
      addresses = await (opts.resolve ?? systemResolve)(hostname);
    } catch {
      throw refused(`the host name ${hostname} could not be resolved`);
    }
    if (addresses.length === 0) throw refused(`the host name ${hostname} has no address`);
  }
  for (const address of addresses) {
    if (allowed(address)) continue;
    const range = forbiddenRange(address);
    if (range) {
      throw refused(
        `${hostname} leads to ${address}, in the ${range.range} range; only public internet addresses are fetched`,
      );
    }
  }
  const address = addresses[0]!;
  return { url, hostname, address, family: isIP(address) === 6 ? 6 : 4 };
}

/**
 * Step 1 for one URL, and step 2 for an address literal, without touching the network (no DNS, no
 * connection): http(s), no credentials, not a private host name, not a non-public address.
 * @throws ToolError `invalid_arguments` starting `file_url:` naming why the URL is refused.
 */
function checkUrlShape(
  raw: string,
  opts: Pick<UrlFetchOptions, 'allowAddressForTests'>,
): { url: URL; hostname: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused(`only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password) throw refused('URLs with a user name or password are not fetched');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname)) {
    const range = (opts.allowAddressForTests ?? (() => false))(hostname) ? null : forbiddenRange(hostname);
    if (range) throw refused(`${hostname} is in the ${range.range} range; only public internet addresses are fetched`);
  } else {
    const badName = forbiddenHostname(hostname);
    if (badName) throw refused(`${hostname} is refused: ${badName}`);
  }
  return { url, hostname };
}

/**
 * What a dry run of `send_media` may say about a `file_url` without fetching it (issue 8 §7: a dry run never
 * fetches): the URL passes the offline checks of step 1 (and step 2 for an address literal), and the file name
 * its path gives. No DNS lookup, no connection — a preview must not tell the URL's owner anything.
 * @throws ToolError `invalid_arguments` starting `file_url:` when the URL is refused.
 */
export function previewMediaUrl(
  raw: string,
  opts: Pick<UrlFetchOptions, 'allowAddressForTests'> = {},
): { fileName: string | null } {
  const { url } = checkUrlShape(raw, opts);
  return { fileName: fileNameOf(undefined, url) };
}

/**
 * Downloads a `file_url` under the rules in the module comment.
 * @throws ToolError `invalid_arguments` starting `file_url:` when a URL, address or redirect is refused, there
 *   are more than `maxRedirects` redirects, the server answers other than 200, the body exceeds `maxBytes`,
 *   the deadline passes, or the connection fails.
 */
export async function fetchMediaUrl(raw: string, opts: UrlFetchOptions = {}): Promise<FetchedMedia> {
  const maxBytes = opts.maxBytes ?? MAX_MEDIA_BYTES;
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? URL_FETCH_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let current = raw;
  for (let hop = 0; ; hop++) {
    const target = await checkMediaUrl(current, opts);
    if (signal.aborted) throw aborted(signal, deadline);
    const res = await request(target, signal, deadline, opts.allowAddressForTests);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw refused(`the server answered ${status} without saying where to`);
      if (hop >= maxRedirects) throw refused(`more than ${maxRedirects} redirects; not followed`);
      current = new URL(location, target.url).toString();
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw refused(`the server answered HTTP ${status}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      throw tooBig(declared, maxBytes);
    }
    const bytes = await readCapped(res, maxBytes, signal, deadline);
    return {
      bytes,
      fileName: fileNameOf(res.headers['content-disposition'], target.url),
      mimeType: mimeOf(res.headers['content-type']),
      finalUrl: target.url.toString(),
    };
  }
}

async function systemResolve(hostname: string): Promise<string[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** One GET to the checked address only (pinned lookup, no connection reuse), remote address re-checked. */
function request(
  target: CheckedTarget,
  signal: AbortSignal,
  deadline: AbortSignal,
  allowForTests: UrlFetchOptions['allowAddressForTests'],
): Promise<http.IncomingMessage> {
  const { url, address, family } = target;
  const pinned = (
    _host: string,
    options: { all?: boolean },
    cb: (err: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void,
  ) => (options.all ? cb(null, [{ address, family }]) : cb(null, address, family));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolvePromise, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        agent: false,
        lookup: pinned as unknown as http.RequestOptions['lookup'],
        signal,
        headers: { 'user-agent': 'tg-bridge', accept: '*/*' },
        ...(url.protocol === 'https:' && !isIP(target.hostname) ? { servername: target.hostname } : {}),
      },
      (res) => resolvePromise(res),
    );
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        const remote = socket.remoteAddress ?? '';
        const ok = normalise(remote) === normalise(address) && (allowForTests?.(remote) || !forbiddenRange(remote));
        if (!ok) req.destroy(refused(`the connection went to ${remote}, not the address that was checked`));
      });
    });
    req.on('error', (err) => {
      if (err instanceof ToolError) reject(err);
      else if (signal.aborted) reject(aborted(signal, deadline));
      else reject(refused(`the download failed (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    });
    req.end();
  });
}

function readCapped(
  res: http.IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  deadline: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        reject(tooBig(total, maxBytes)); // before destroy(), which emits 'aborted' synchronously
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolvePromise(Buffer.concat(chunks)));
    res.on('error', () => reject(signal.aborted ? aborted(signal, deadline) : refused('the download broke off')));
    res.on('aborted', () => reject(signal.aborted ? aborted(signal, deadline) : refused('the download broke off')));
  });
}

function normalise(address: string): string {
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

/** The file name from Content-Disposition, else the URL's last path segment; null when neither gives one. */
function fileNameOf(disposition: string | undefined, url: URL): string | null {
  const star = disposition && /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(disposition);
  const plain = disposition && /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  let name: string | undefined;
  try {
    name = star ? decodeURIComponent(star[1]!.trim().replace(/^"|"$/g, '')) : plain ? plain[1]!.trim() : undefined;
    name ??= decodeURIComponent(url.pathname.split('/').pop() ?? '');
  } catch {
    name = undefined;
  }
  const clean = (name ?? '').replace(/[\\/\p{Cc}]/gu, '').trim();
  return clean ? clean.slice(0, 255) : null;
}

function mimeOf(contentType: string | undefined): string | null {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t) ? t : null;
}

function refused(why: string): ToolError {
  return new ToolError(ToolErrorCode.invalidArguments, `file_url: ${why}; nothing was sent`);
}

function tooBig(size: number, max: number): ToolError {
  return refused(`the file is more than ${max} bytes (${Math.round(max / 1048576)} MiB limit; ${size}+ seen)`);
}

function aborted(signal: AbortSignal, deadline: AbortSignal): ToolError {
  return deadline.aborted || !signal.aborted
    ? refused('the download took too long')
    : refused('the download was cancelled');
}
