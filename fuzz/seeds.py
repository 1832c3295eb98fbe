#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz corpus (fuzz/corpus/TARGET/seed-*).
The rest of each corpus is what long fuzzing runs found and `cargo fuzz
cmin` kept. Run from anywhere: python3 fuzz/seeds.py"""
import os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))

def frame(b0, payload, key=None):
    out = bytes([b0])
    bit = 0x80 if key else 0
    n = len(payload)
    if n < 126: out += bytes([bit | n])
    elif n < 65536: out += bytes([bit | 126]) + struct.pack('>H', n)
    else: out += bytes([bit | 127]) + struct.pack('>Q', n)
    if key:
        out += key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    else:
        out += payload
    return out

K = b'\x37\xfa\x21\x3d'
REQUEST = (b'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n'
           b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
           b'Sec-WebSocket-Version: 13\r\n\r\n')

def streams(key):
    yield frame(0x81, b'Hello', key)
    yield frame(0x82, bytes(range(200)), key)
    yield frame(0x01, b'Hel', key) + frame(0x89, b'ping', key) + frame(0x80, b'lo \xe2\x82\xac', key)
    yield frame(0x89, b'', key) + frame(0x8a, b'pong', key) + frame(0x88, b'\x03\xe8bye', key)
    yield frame(0x81, b'\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5', key) + frame(0x88, b'', key)
    yield frame(0x81, b'\xed\xa0\x80', key)
    yield frame(0xc1, b'x', key) + frame(0x8b, b'', key)
    yield frame(0x02, b'a' * 600, key) + frame(0x80, b'b' * 600, key)
    yield frame(0x82, b'z' * 1001, key)
    yield frame(0x88, b'\x03', key)

def write(target, name, data):
    folder = os.path.join(HERE, 'corpus', target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'seed-' + name), 'wb') as f:
        f.write(data)

for i, s in enumerate(streams(K)):
    # server_stream: even mode byte, then the cut count and sizes, then frames.
    write('server_stream', f'frames-{i}', b'\x00\x03\x01\x07\x00' + s)
    write('server_stream', f'whole-{i}', b'\x00\x00' + s)
    write('server_stream', f'raw-{i}', b'\x01\x02\x10\x00' + REQUEST + s)
for i, s in enumerate(streams(None)):
    write('client_stream', f'frames-{i}', b'\x00\x02\x03\x00' + s)
write('client_stream', 'raw-101', b'\x01\x00HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
      b'Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
write('client_stream', 'raw-403', b'\x01\x00HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno')
write('server_stream', 'raw-hixie76', b'\x01\x00'
      + b'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n'
      b'Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nUpgrade: WebSocket\r\n'
      b'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n^n:ds[4U'
      b'\x00hello\xff')
for i, s in enumerate([b'\x00hello\xff', b'\x00\xe2\x82\xac\xff\x00', b'\x80\x05hello\x00x\xff',
                       b'\xff\x00', b'\x00' + b'a' * 1100 + b'\xff']):
    write('hixie', f'76-{i}', b'\x00\x02\x03\x00' + s)
    write('hixie', f'75-{i}', b'\x01\x00' + s)
for i, s in enumerate([b'data: hello\n\n', b'\xef\xbb\xbfevent: add\r\ndata: 1\r\ndata: 2\r\nid: 7\r\n\r\n',
                       b': comment\nretry: 1500\ndata\n\ndata:x\r', b'data: ' + b'y' * 400 + b'\n\n',
                       b'id: a\x00b\ndata: z\n\n']):
    write('eventsource_decoder', f'{i}', b'\x03\x05\x01\x09' + s)
for i, s in enumerate([b'HTTP/1.1 200 Connection established\r\n\r\n\x81\x02hi',
                       b'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n',
                       b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', b'SSH-2.0-OpenSSH\r\n\r\n']):
    write('proxy_response', f'{i}', b'\x02\x04\x0b' + s)
for i, s in enumerate([b'permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo',
                       b'permessage-deflate; server_no_context_takeover',
                       b'x; a="b\\"c"; d=e, y', b'a;b=,c']):
    write('extensions_header', f'{i}', s)
