import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint, publicSourceLabel, tcpSource, wsSource } from '../../src/sources/index.js';

test('endpoints: ws:// on its default port (80 / 443, which URL parsing drops) keeps that port', () => {
  assert.deepEqual(parseEndpoint('ws://camera:80/events'), { scheme: 'ws', host: 'camera', port: 80, path: '/events' });
  assert.deepEqual(parseEndpoint('wss://camera:443/events?x=1'), { scheme: 'wss', host: 'camera', port: 443, path: '/events?x=1' });
  assert.equal(parseEndpoint('ws://camera/events').port, 80);
  assert.equal(parseEndpoint('wss://camera/events').port, 443);
  assert.deepEqual(parseEndpoint('tcp://[::1]:7777'), { scheme: 'tcp', host: '::1', port: 7777, path: '/' });
});

test('endpoints: a missing or out-of-range port is an error naming the port', () => {
  assert.throws(() => parseEndpoint('tcp://127.0.0.1'), /needs a port/);
  assert.throws(() => parseEndpoint('udp://[::1]'), /needs a port/);
  assert.throws(() => parseEndpoint('tcp://127.0.0.1:70000'), /port 70000 .*0\.\.65535/);
  assert.throws(() => parseEndpoint('udp://[::1]:65536/'), /port 65536 .*0\.\.65535/);
  assert.throws(() => parseEndpoint('tcp://h:x1'), /not an endpoint URL/);
  assert.throws(() => parseEndpoint('http://h:1'), /unsupported scheme "http"/);
});

test('source labels (in /metrics, status messages, logs) carry no URL user info or query', () => {
  assert.equal(wsSource('ws://user:secret@127.0.0.1:9/events?token=abc#x').stats.source, 'ws://127.0.0.1:9/events');
  assert.equal(tcpSource('tcp://127.0.0.1:7777').stats.source, 'tcp://127.0.0.1:7777');
  assert.equal(publicSourceLabel('/data/user01 fluorescent.aedat'), '/data/user01 fluorescent.aedat');
  assert.equal(publicSourceLabel('nats:cam-1'), 'nats:cam-1');
});
