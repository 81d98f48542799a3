/** The `file_url` address rules as pure functions: every non-public range refused, public addresses allowed. */
import { describe, expect, it } from 'vitest';
import { forbiddenHostname, forbiddenRange, isPublicAddress } from '../../../bridge/media/addressRanges.js';

describe('forbiddenRange', () => {
  const refused: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.0.0.1', /private 10/],
    ['172.16.0.1', /private 172/],
    ['172.31.255.255', /private 172/],
    ['192.168.1.1', /private 192\.168/],
    ['169.254.169.254', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['255.255.255.255', /reserved|broadcast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.10', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['::1', /loopback/],
    ['[::1]', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['fc00::1', /unique local/],
    ['fd12:3456:789a::1', /unique local/],
    ['ff02::1', /multicast/],
    ['ff05::1:3', /multicast/],
    ['fec0::1', /site-local/],
    ['::ffff:127.0.0.1', /IPv4 inside IPv6: loopback/],
    ['::ffff:7f00:1', /IPv4 inside IPv6: loopback/],
    ['::FFFF:10.1.2.3', /private 10/],
    ['::ffff:169.254.169.254', /link-local/],
    ['::ffff:100.64.0.1', /carrier-grade NAT/],
    ['::127.0.0.1', /loopback/],
    ['::ffff:0:192.168.0.1', /IPv4-translated: private/],
    ['64:ff9b::a00:1', /NAT64: private 10/],
    ['64:ff9b::127.0.0.1', /NAT64: loopback/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::1', /6to4: loopback/],
    ['2002:c0a8:101::1', /6to4: private 192\.168/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001:db8::1', /documentation/],
    ['100::1', /discard/],
    ['not-an-ip', /not an IP/],
    ['1.2.3', /not an IP/],
  ];
  it.each(refused)('refuses %s', (address, range) => {
    const r = forbiddenRange(address);
    expect(r?.range).toMatch(range);
    expect(isPublicAddress(address)).toBe(false);
  });

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ];
  it.each(allowed)('allows public %s', (address) => {
    expect(forbiddenRange(address)).toBeNull();
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('forbiddenHostname', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'printer.local', 'metadata.google.internal', 'nas.home.arpa', 'router'])(
    'refuses %s before any DNS lookup',
    (name) => {
      expect(forbiddenHostname(name)).not.toBeNull();
    },
  );
  it.each(['example.com', 'cdn.telegram.org', 'files.example.co.uk'])('lets %s go on to the DNS check', (name) => {
    expect(forbiddenHostname(name)).toBeNull();
  });
});
