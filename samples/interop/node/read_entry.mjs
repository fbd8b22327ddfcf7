#!/usr/bin/env node
// Reads one CacheSerial entry from Redis and prints its JSON value, after validating the whole envelope.
//
// Reference reader for docs/wire-format.md (envelope versions 1 and 2), Node 20 with no npm packages. It speaks RESP
// over a plain socket and reads both layouts: TYPE <key>, then GET <key> for a string (the native Redis store,
// CacheSerial.StackExchangeRedis) or HGET <key> data for a hash (RedisCache keeps the envelope in the hash field "data").
// It checks magic, version, CRC-32, flags, codec name, key check, the version 2 fields (compression, original length,
// tags), payload length and the logical expiry, plus the type fingerprint and schema version when asked; then the tag
// markers (the clear marker and one per tag, read in one round trip from the same layout) unless --no-markers, and
// decompresses a GZip or Brotli payload into exactly its declared length after checking that length against
// --max-payload-bytes. zstd and LZ4 payloads are refused (not in Node 20's zlib). Any mismatch is an error on stderr and
// a non-zero exit. See samples/interop/README.md.
//
// Exit codes: 0 printed; 1 entry rejected (corrupt, mismatch, expired, too large, invalidated by a tag removal or a
// clear, compressed with an algorithm this reader cannot decode); 2 usage; 3 no such entry; 4 connection or protocol
// error.

import { createHash } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const MAGIC = Buffer.from([0x89, 0x43, 0x53, 0x45]);
const FORMAT_VERSION_1 = 1;
const FORMAT_VERSION_2 = 2;
const FLAG_NULL = 0x01;
const FLAG_NEGATIVE = 0x02; // the factory marked the value a negative result ("not found"); the value is still printed
const FLAG_COMPRESSED = 0x04; // version 2 only: the payload is compressed with the header's algorithm
const KNOWN_FLAGS = {
    [FORMAT_VERSION_1]: FLAG_NULL | FLAG_NEGATIVE,
    [FORMAT_VERSION_2]: FLAG_NULL | FLAG_NEGATIVE | FLAG_COMPRESSED,
};
const FIXED_OVERHEAD = 59; // version 1's header without the codec name, plus the CRC-32 (docs/wire-format.md)
const FIXED_OVERHEAD_V2 = FIXED_OVERHEAD + 1 + 4 + 1; // plus compression, originalLength and tagCount
// CacheCompressionAlgorithm: the id stored in a version 2 header. Node's zlib has GZip and Brotli.
const COMPRESSION_NAMES = ['none', 'gzip', 'brotli', 'zstd', 'lz4'];
const COMPRESSION_GZIP = 1;
const COMPRESSION_BROTLI = 2;
const DEFAULT_MAXIMUM_PAYLOAD_BYTES = 1024 * 1024; // CacheSerialOptions.DefaultMaximumPayloadBytes
const MARKER_MAGIC = Buffer.from([0x89, 0x43, 0x53, 0x54]);
const MARKER_LENGTH = 17; // magic(4) version(1) removedAtMs(8) crc32(4)
const TAG_MARKER_HEAD = '\u001dtag:'; // after the prefix: a tag's marker key (KeyBuilder.Marker)
const CLEAR_MARKER = '\u001dclear';
const PREFIX_SEPARATOR = '\u001f';
const HASH_SEPARATOR = '\u001e';
const HASHED_KEY_HEAD_LENGTH = 64;
const DEFAULT_MAXIMUM_KEY_LENGTH = 1024; // CacheSerialOptions.DefaultMaximumKeyLength

const EXIT_REJECTED = 1;
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 3;
const EXIT_CONNECTION = 4;

class ReaderError extends Error {
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}

const rejected = (message) => new ReaderError(EXIT_REJECTED, `entry rejected: ${message}`);

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();

// zlib.crc32 exists from Node 20.15; the table below is the same CRC-32 (IEEE, reflected, 0xEDB88320) for older 20.x.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});
function crc32(bytes) {
    if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes) >>> 0;
    let c = 0xffffffff;
    for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function validateKey(text, what) {
    // CacheSerial refuses these keys, so no entry can exist under them (KeyBuilder.Validate).
    if (what === 'key' && text.trim() === '') throw new ReaderError(EXIT_USAGE, 'the key must not be empty or white space');
    const control = /\p{Cc}/u.exec(text);
    if (control) {
        const code = control[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        throw new ReaderError(EXIT_USAGE, `the ${what} contains a control character (U+${code} at index ${control.index})`);
    }
    if (!text.isWellFormed()) throw new ReaderError(EXIT_USAGE, `the ${what} contains a lone surrogate`);
}

const logicalKey = (prefix, key) => (prefix === '' ? key : prefix + PREFIX_SEPARATOR + key);

// The key the store sees: the logical key, or prefix + head of the key + U+001E + SHA-256 hex when too long.
// JavaScript strings are UTF-16, so lengths and slices count what .NET counts.
function storeKey(prefix, key, maximumKeyLength) {
    const logical = logicalKey(prefix, key);
    if (logical.length <= maximumKeyLength) return logical;
    const split = key.length > HASHED_KEY_HEAD_LENGTH && /[\uD800-\uDBFF]/.test(key[HASHED_KEY_HEAD_LENGTH - 1]);
    const head = key.slice(0, split ? HASHED_KEY_HEAD_LENGTH - 1 : HASHED_KEY_HEAD_LENGTH);
    const prefixPart = prefix === '' ? '' : prefix + PREFIX_SEPARATOR;
    return prefixPart + head + HASH_SEPARATOR + sha256(key).toString('hex');
}

// An error reply, kept as a value where one command's failure must not end the others (marker reads).
class RespError {
    constructor(message) {
        this.message = message;
    }
}

// Parses one RESP reply at offset: { value, next } when complete, null when more bytes are needed.
function parseReply(buffer, offset) {
    const end = buffer.indexOf('\r\n', offset);
    if (end < 0) return null;
    const kind = String.fromCharCode(buffer[offset]);
    const rest = buffer.subarray(offset + 1, end).toString('utf8');
    const next = end + 2;
    switch (kind) {
        case '-':
            return { value: new RespError(rest), next };
        case '_': // RESP3 null
            return { value: null, next };
        case ':':
            return { value: Number(rest), next };
        case '+':
            return { value: rest, next };
        case '$': {
            const length = Number(rest);
            if (length < 0) return { value: null, next };
            if (buffer.length < next + length + 2) return null;
            return { value: buffer.subarray(next, next + length), next: next + length + 2 };
        }
        case '*': { // MGET: one reply per key
            const count = Number(rest);
            if (count < 0) return { value: null, next };
            const items = [];
            let at = next;
            for (let i = 0; i < count; i++) {
                const item = parseReply(buffer, at);
                if (!item) return null;
                items.push(item.value);
                at = item.next;
            }
            return { value: items, next: at };
        }
        default:
            throw new ReaderError(EXIT_CONNECTION, `unexpected reply type '${kind}'`);
    }
}

// Sends the commands in one write on one connection and resolves with their replies, in order (error replies as
// RespError values).
function respPipeline(host, port, timeoutMs, commands) {
    const parts = [];
    for (const args of commands) {
        parts.push(Buffer.from(`*${args.length}\r\n`));
        for (const arg of args) {
            const data = Buffer.isBuffer(arg) ? arg : Buffer.from(arg, 'utf8');
            parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
        }
    }
    return new Promise((resolve, reject) => {
        let received = Buffer.alloc(0);
        let settled = false;
        const socket = net.createConnection({ host, port });
        const finish = (error, value) => {
            if (settled) return;
            settled = true;
            socket.destroy();
            if (error) reject(error);
            else resolve(value);
        };
        const failed = (message) => finish(new ReaderError(EXIT_CONNECTION, message));
        socket.setTimeout(timeoutMs, () => failed(`no reply from ${host}:${port} within ${timeoutMs} ms`));
        socket.on('connect', () => socket.write(Buffer.concat(parts)));
        socket.on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            try {
                const replies = [];
                let at = 0;
                while (replies.length < commands.length) {
                    const reply = parseReply(received, at);
                    if (!reply) return; // wait for more bytes
                    replies.push(reply.value);
                    at = reply.next;
                }
                finish(null, replies);
            } catch (error) {
                finish(error);
            }
        });
        socket.on('error', (error) => failed(`cannot talk to ${host}:${port}: ${error.message}`));
        socket.on('end', () => failed('the server closed the connection without a reply'));
    });
}

async function respCommand(host, port, timeoutMs, ...args) {
    const [reply] = await respPipeline(host, port, timeoutMs, [args]);
    if (reply instanceof RespError) throw new ReaderError(EXIT_CONNECTION, `the server answered an error: ${reply.message}`);
    return reply;
}

// The stored envelope's bytes and the layout they came from: a string (native store) or a hash's field "data"
// (RedisCache). One connection per call keeps the client simple; a key removed between the two reads just reads as
// absent.
async function fetchEnvelope(host, port, timeoutMs, redisKey) {
    const kind = await respCommand(host, port, timeoutMs, 'TYPE', redisKey);
    let data;
    if (kind === 'none') {
        data = null;
    } else if (kind === 'string') {
        data = await respCommand(host, port, timeoutMs, 'GET', redisKey);
    } else if (kind === 'hash') {
        data = await respCommand(host, port, timeoutMs, 'HGET', redisKey, 'data');
        if (data === null) {
            throw new ReaderError(EXIT_NOT_FOUND, `no entry: the hash ${JSON.stringify(redisKey)} has no field 'data'`);
        }
    } else {
        throw rejected(`the key ${JSON.stringify(redisKey)} holds a Redis ${kind}, not a CacheSerial entry `
            + '(a string from the native store, or a hash from RedisCache)');
    }
    if (data === null) throw new ReaderError(EXIT_NOT_FOUND, `no entry: the key ${JSON.stringify(redisKey)} does not exist`);
    if (!Buffer.isBuffer(data)) throw new ReaderError(EXIT_CONNECTION, `unexpected reply to the read of a ${kind}: ${data}`);
    return { kind, data };
}

const toUtcIso = (milliseconds) => new Date(Number(milliseconds)).toISOString();

const compressionName = (algorithm) => COMPRESSION_NAMES[algorithm] ?? `unknown (${algorithm})`;

// Strict UTF-8, as .NET's UTF8Encoding(throwOnInvalidBytes: true): no replacement characters, and a BOM is kept.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// A version 2 header's tags (each u16 LE length + strict UTF-8, never empty) and the offset after them.
function readTags(data, at, end, count) {
    const tags = [];
    for (let i = 0; i < count; i++) {
        if (at + 2 > end) throw rejected('length mismatch: the tag list runs past the header');
        const length = data.readUInt16LE(at);
        if (length === 0 || at + 2 + length > end) throw rejected('malformed tags: a tag is empty or runs past the header');
        try {
            tags.push(strictUtf8.decode(data.subarray(at + 2, at + 2 + length)));
        } catch (error) {
            throw rejected(`malformed tags: a tag is not UTF-8 (${error.message})`);
        }
        at += 2 + length;
    }
    return { tags, at };
}

// Validates an envelope (version 1 or 2) in the order of docs/wire-format.md and returns its fields; the payload is
// returned as stored (still compressed: see decodePayload).
function parseEnvelope(data, logical, codec, typeIdentity, schemaVersion, maximumPayloadBytes, nowMs = Date.now()) {
    if (data.length < FIXED_OVERHEAD + 1 || !data.subarray(0, 4).equals(MAGIC)) {
        throw rejected('not a CacheSerial envelope (too short or wrong magic)');
    }
    const version = data[4];
    if (version !== FORMAT_VERSION_1 && version !== FORMAT_VERSION_2) {
        throw rejected(`unsupported format version ${version} (this reader knows ${FORMAT_VERSION_1} and ${FORMAT_VERSION_2})`);
    }
    const storedCrc = data.readUInt32LE(data.length - 4);
    const computedCrc = crc32(data.subarray(0, data.length - 4));
    if (storedCrc !== computedCrc) {
        const hex = (n) => n.toString(16).padStart(8, '0');
        throw rejected(`checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(computedCrc)}): the entry is corrupt`);
    }
    const flags = data[5];
    const unknownFlags = flags & ~KNOWN_FLAGS[version];
    if (unknownFlags) {
        throw rejected(`unknown flag bits 0x${unknownFlags.toString(16).padStart(2, '0')} for format version ${version}`);
    }
    const nameLength = data[6];
    if (nameLength < 1 || nameLength > 64) throw rejected(`codec name length ${nameLength} is outside 1..64`);
    const bodyLength = data.length - 4;
    const p = 7 + nameLength;
    if (bodyLength < (version === FORMAT_VERSION_1 ? FIXED_OVERHEAD : FIXED_OVERHEAD_V2) - 4 + nameLength) {
        throw rejected('the header is truncated');
    }
    const name = data.subarray(7, p).toString('latin1');
    if (name !== codec) throw rejected(`codec mismatch: the entry was written by '${name}', this reader expects '${codec}'`);
    const fingerprint = data.subarray(p, p + 8);
    if (typeIdentity !== undefined && !fingerprint.equals(sha256(typeIdentity).subarray(0, 8))) {
        throw rejected(`type mismatch: the entry's type fingerprint is not the one of '${typeIdentity}'`);
    }
    const schema = data.readInt32LE(p + 8);
    if (schemaVersion !== undefined && schema !== schemaVersion) {
        throw rejected(`schema mismatch: the entry has schema version ${schema}, expected ${schemaVersion}`);
    }
    if (!data.subarray(p + 12, p + 28).equals(sha256(logical).subarray(0, 16))) {
        throw rejected('key check mismatch: the entry was written for another key');
    }
    const created = data.readBigInt64LE(p + 28);
    const expires = data.readBigInt64LE(p + 36);
    let at = p + 44;
    let compression = 0;
    let originalLength = null;
    let tags = [];
    if (version === FORMAT_VERSION_2) {
        compression = data[at];
        originalLength = data.readUInt32LE(at + 1);
        ({ tags, at } = readTags(data, at + 6, bodyLength, data[at + 5]));
    }
    if (at + 4 > bodyLength) throw rejected('length mismatch: the header is truncated before the payload length');
    const length = data.readUInt32LE(at);
    const payloadOffset = at + 4;
    const isNull = (flags & FLAG_NULL) !== 0;
    if (length !== bodyLength - payloadOffset || (isNull && length !== 0)) {
        const present = bodyLength - payloadOffset;
        throw rejected(`length mismatch: the header says ${length} payload bytes, ${present} are present`);
    }
    if (version === FORMAT_VERSION_2) {
        const compressed = (flags & FLAG_COMPRESSED) !== 0;
        if (compressed !== (compression !== 0) || (compressed && isNull)) {
            throw rejected(`the compression fields disagree (flag ${compressed ? 'set' : 'clear'}, algorithm `
                + `${compressionName(compression)}, ${isNull ? 'null' : 'non-null'} value)`);
        }
        if (compressed && compression >= COMPRESSION_NAMES.length) throw rejected(`unknown compression algorithm ${compression}`);
        if ((!compressed && originalLength !== length) || (compressed && (originalLength === 0 || originalLength > 0x7fffffff))) {
            throw rejected(`length mismatch: original length ${originalLength} with ${length} payload bytes `
                + `(${compressionName(compression)})`);
        }
    } else {
        originalLength = length;
    }
    // Before anything is decompressed: no payload over the limit is ever produced (no decompression bomb).
    if (length > maximumPayloadBytes || originalLength > maximumPayloadBytes) {
        throw rejected(`payload too large: ${originalLength} bytes (before compression) is over --max-payload-bytes `
            + `${maximumPayloadBytes}; not decompressed`);
    }
    if (expires !== 0n && BigInt(nowMs) >= expires) {
        throw rejected(`expired at ${toUtcIso(expires)} (now ${toUtcIso(nowMs)})`);
    }
    return {
        version,
        codec: name,
        flags,
        typeFingerprint: fingerprint.readBigUInt64LE(0),
        schemaVersion: schema,
        createdAtMs: created,
        expiresAtMs: expires,
        compression,
        originalLength,
        tags,
        payload: isNull ? null : data.subarray(payloadOffset, payloadOffset + length),
    };
}

// The codec's payload bytes: as stored, or decompressed (GZip, Brotli) into exactly the declared original length. The
// decoder stops past that length (maxOutputLength), so a payload that claims less than it holds cannot blow up.
function decodePayload(entry) {
    const { payload, compression, originalLength } = entry;
    if (payload === null || compression === 0) return payload;
    let decompress;
    if (compression === COMPRESSION_GZIP) decompress = zlib.gunzipSync;
    else if (compression === COMPRESSION_BROTLI) decompress = zlib.brotliDecompressSync;
    else {
        throw rejected(`compression ${compressionName(compression)} not supported by this reader `
            + "(Node's zlib decodes only gzip and brotli)");
    }
    const name = compressionName(compression);
    let output;
    try {
        output = decompress(payload, { maxOutputLength: originalLength });
    } catch (error) {
        if (error.code === 'ERR_BUFFER_TOO_LARGE') {
            throw rejected(`compression error: the ${name} payload holds more than the ${originalLength} bytes its header declares`);
        }
        throw rejected(`compression error: the ${name} payload is corrupt (${error.message})`);
    }
    if (output.length !== originalLength) {
        throw rejected(`compression error: the ${name} payload holds ${output.length} bytes, its header declares ${originalLength}`);
    }
    return output;
}

// The clear marker and each tag's marker (KeyBuilder.Marker): the store key of "\u001dclear" or "\u001dtag:" + tag
// behind the prefix, hashed like any key when too long.
function markerKeys(instanceName, prefix, tags, maximumKeyLength) {
    const keys = [{ tag: null, key: instanceName + storeKey(prefix, CLEAR_MARKER, maximumKeyLength) }];
    for (const tag of new Set(tags)) {
        keys.push({ tag, key: instanceName + storeKey(prefix, TAG_MARKER_HEAD + tag, maximumKeyLength) });
    }
    return keys;
}

// A marker's removal time (unix ms, bigint), or null for bytes that are not a marker.
function readMarker(data) {
    if (!Buffer.isBuffer(data) || data.length !== MARKER_LENGTH || !data.subarray(0, 4).equals(MARKER_MAGIC) || data[4] !== 1
        || data.readUInt32LE(13) !== crc32(data.subarray(0, 13))) {
        return null;
    }
    return data.readBigInt64LE(5);
}

// Refuses an entry that a ClearAsync or a RemoveByTagAsync of one of its tags invalidated: a marker whose removal time is
// at or after the entry's creation. The markers live where the entries do: strings (native store, one MGET) or hashes
// with the field "data" (RedisCache, one pipelined HGET each).
async function checkMarkers(host, port, timeoutMs, kind, keys, createdMs) {
    let replies;
    if (kind === 'string') {
        replies = await respCommand(host, port, timeoutMs, 'MGET', ...keys.map((k) => k.key));
        if (!Array.isArray(replies) || replies.length !== keys.length) {
            throw new ReaderError(EXIT_CONNECTION, `unexpected reply to MGET: ${replies}`);
        }
    } else {
        replies = await respPipeline(host, port, timeoutMs, keys.map((k) => ['HGET', k.key, 'data']));
    }
    keys.forEach(({ tag, key }, i) => {
        const value = replies[i];
        const subject = tag === null ? 'the clear marker' : `the marker of tag ${JSON.stringify(tag)}`;
        if (value === null) return;
        if (value instanceof RespError) {
            // CacheSerial cannot read it either: the entry is unverified, a miss.
            throw rejected(`${subject} (${JSON.stringify(key)}) cannot be read (${value.message}); the entry cannot be verified`);
        }
        const removedMs = readMarker(value);
        if (removedMs === null) {
            // CacheSerial treats a marker it did not write as a removal just now.
            throw rejected(`${tag === null ? 'cleared' : `invalidated by tag ${JSON.stringify(tag)}`}: ${subject} is malformed, `
                + 'which counts as a removal now');
        }
        if (createdMs <= removedMs) {
            if (tag === null) {
                throw rejected(`cleared: the cache was cleared at ${toUtcIso(removedMs)}, the entry was created at ${toUtcIso(createdMs)}`);
            }
            throw rejected(`invalidated by tag ${JSON.stringify(tag)}: removed at ${toUtcIso(removedMs)}, `
                + `the entry was created at ${toUtcIso(createdMs)}`);
        }
    });
}

const USAGE = `usage: read_entry.mjs HOST PORT KEY [--prefix P] [--instance-name I] [--codec stj] [--type T]
                     [--schema-version N] [--max-key-length N] [--max-payload-bytes N] [--no-markers]
                     [--metadata] [--timeout SECONDS]`;

function parseInteger(text, option) {
    if (!/^-?\d+$/.test(text)) throw new ReaderError(EXIT_USAGE, `${option} must be an integer, not '${text}'\n${USAGE}`);
    return Number(text);
}

async function main(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                prefix: { type: 'string', default: '' },
                'instance-name': { type: 'string', default: '' },
                codec: { type: 'string', default: 'stj' },
                type: { type: 'string' },
                'schema-version': { type: 'string' },
                'max-key-length': { type: 'string', default: String(DEFAULT_MAXIMUM_KEY_LENGTH) },
                'max-payload-bytes': { type: 'string', default: String(DEFAULT_MAXIMUM_PAYLOAD_BYTES) },
                'no-markers': { type: 'boolean', default: false },
                metadata: { type: 'boolean', default: false },
                timeout: { type: 'string', default: '10' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    } catch (error) {
        throw new ReaderError(EXIT_USAGE, `${error.message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (positionals.length !== 3) throw new ReaderError(EXIT_USAGE, `expected HOST PORT KEY\n${USAGE}`);
    const [host, portText, key] = positionals;
    const port = parseInteger(portText, 'PORT');
    const schemaText = values['schema-version'];
    const schemaVersion = schemaText === undefined ? undefined : parseInteger(schemaText, '--schema-version');
    const maximumKeyLength = parseInteger(values['max-key-length'], '--max-key-length');
    const maximumPayloadBytes = parseInteger(values['max-payload-bytes'], '--max-payload-bytes');
    if (maximumPayloadBytes < 1) throw new ReaderError(EXIT_USAGE, `--max-payload-bytes must be at least 1\n${USAGE}`);
    const timeoutMs = Number(values.timeout) * 1000;

    validateKey(key, 'key');
    validateKey(values.prefix, 'prefix');
    const instanceName = values['instance-name'];
    const logical = logicalKey(values.prefix, key);
    const redisKey = instanceName + storeKey(values.prefix, key, maximumKeyLength);
    const { kind, data } = await fetchEnvelope(host, port, timeoutMs, redisKey);
    const entry = parseEnvelope(data, logical, values.codec, values.type, schemaVersion, maximumPayloadBytes);
    if (!values['no-markers']) {
        const keys = markerKeys(instanceName, values.prefix, entry.tags, maximumKeyLength);
        await checkMarkers(host, port, timeoutMs, kind, keys, entry.createdAtMs);
    }
    const payload = decodePayload(entry);

    let value = null;
    if (payload !== null) {
        try {
            value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
        } catch (error) {
            throw rejected(`the payload is not UTF-8 JSON (${error.message})`);
        }
    }
    if (values.metadata) {
        value = {
            redisKey,
            logicalKey: logical,
            version: entry.version,
            codec: entry.codec,
            isNull: payload === null,
            isNegative: (entry.flags & FLAG_NEGATIVE) !== 0,
            typeFingerprint: entry.typeFingerprint.toString(16).padStart(16, '0'),
            schemaVersion: entry.schemaVersion,
            createdAt: toUtcIso(entry.createdAtMs),
            expiresAt: entry.expiresAtMs === 0n ? null : toUtcIso(entry.expiresAtMs),
            tags: entry.tags,
            compression: compressionName(entry.compression),
            payloadBytes: entry.payload === null ? 0 : entry.payload.length,
            originalLength: entry.originalLength,
            value,
        };
    }
    process.stdout.write(`${JSON.stringify(value)}\n`);
}

try {
    await main(process.argv.slice(2));
} catch (error) {
    if (!(error instanceof ReaderError)) throw error;
    process.stderr.write(`read_entry.mjs: ${error.message}\n`);
    process.exitCode = error.code;
}
