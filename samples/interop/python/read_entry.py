#!/usr/bin/env python3
"""Reads one CacheSerial entry from Redis and prints its JSON value, after validating the whole envelope.

Reference reader for docs/wire-format.md (envelope versions 1 and 2), python3 standard library only. It speaks RESP
over a plain socket and reads both layouts: TYPE <key>, then GET <key> for a string (the native Redis store,
CacheSerial.StackExchangeRedis) or HGET <key> data for a hash (RedisCache keeps the envelope in the hash field "data").
It checks magic, version, CRC-32, flags, codec name, key check, the version 2 fields (compression, original length,
tags), payload length and the logical expiry, plus the type fingerprint and schema version when asked; then the tag
markers (the clear marker and one per tag, read in one round trip from the same layout) unless --no-markers, and
decompresses a GZip payload into exactly its declared length after checking that length against --max-payload-bytes.
Brotli, zstd and LZ4 payloads are refused (not in the standard library). Any mismatch is an error on stderr and a
non-zero exit. See samples/interop/README.md.

Exit codes: 0 printed; 1 entry rejected (corrupt, mismatch, expired, too large, invalidated by a tag removal or a
clear, compressed with an algorithm this reader cannot decode); 2 usage; 3 no such entry; 4 connection or protocol
error.
"""

import argparse
import datetime
import hashlib
import json
import socket
import struct
import sys
import time
import unicodedata
import zlib

MAGIC = b"\x89CSE"
FORMAT_VERSION_1, FORMAT_VERSION_2 = 1, 2
FLAG_NULL = 0x01
FLAG_NEGATIVE = 0x02  # the factory marked the value a negative result ("not found"); the value is still printed
FLAG_COMPRESSED = 0x04  # version 2 only: the payload is compressed with the header's algorithm
KNOWN_FLAGS = {FORMAT_VERSION_1: FLAG_NULL | FLAG_NEGATIVE, FORMAT_VERSION_2: FLAG_NULL | FLAG_NEGATIVE | FLAG_COMPRESSED}
FIXED_OVERHEAD = 59  # version 1's header without the codec name, plus the CRC-32 (docs/wire-format.md)
FIXED_OVERHEAD_V2 = FIXED_OVERHEAD + 1 + 4 + 1  # plus compression, originalLength and tagCount
# CacheCompressionAlgorithm: the id stored in a version 2 header. Only GZip is in python's standard library.
COMPRESSION_NAMES = {0: "none", 1: "gzip", 2: "brotli", 3: "zstd", 4: "lz4"}
COMPRESSION_GZIP = 1
DEFAULT_MAXIMUM_PAYLOAD_BYTES = 1024 * 1024  # CacheSerialOptions.DefaultMaximumPayloadBytes
MARKER_MAGIC = b"\x89CST"
MARKER_LENGTH = 17  # magic(4) version(1) removedAtMs(8) crc32(4)
TAG_MARKER_HEAD = "\u001dtag:"  # after the prefix: a tag's marker key (KeyBuilder.Marker)
CLEAR_MARKER = "\u001dclear"
PREFIX_SEPARATOR = "\u001f"
HASH_SEPARATOR = "\u001e"
HASHED_KEY_HEAD_LENGTH = 64
DEFAULT_MAXIMUM_KEY_LENGTH = 1024  # CacheSerialOptions.DefaultMaximumKeyLength

EXIT_REJECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONNECTION = 1, 2, 3, 4


class ReaderError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def rejected(message):
    return ReaderError(EXIT_REJECTED, "entry rejected: " + message)


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def validate_key(text, what):
    # CacheSerial refuses these keys, so no entry can exist under them (KeyBuilder.Validate).
    if not text.strip() and what == "key":
        raise ReaderError(EXIT_USAGE, "the key must not be empty or white space")
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc":
            raise ReaderError(EXIT_USAGE, f"the {what} contains a control character (U+{ord(char):04X} at index {index})")
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ReaderError(EXIT_USAGE, f"the {what} contains a lone surrogate at index {index}")


def logical_key(prefix, key):
    return key if prefix == "" else prefix + PREFIX_SEPARATOR + key


def store_key(prefix, key, maximum_key_length):
    """The key the store sees: the logical key, or prefix + head of the key + U+001E + SHA-256 hex when too long."""
    logical = logical_key(prefix, key)
    if utf16_length(logical) <= maximum_key_length:
        return logical
    head, units = [], 0
    for char in key:  # the first 64 UTF-16 units, never splitting a surrogate pair
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > HASHED_KEY_HEAD_LENGTH:
            break
        head.append(char)
        units += width
    prefix_part = "" if prefix == "" else prefix + PREFIX_SEPARATOR
    return prefix_part + "".join(head) + HASH_SEPARATOR + hashlib.sha256(key.encode("utf-8")).hexdigest()


class RespError:
    """An error reply, kept as a value where one command's failure must not end the others (marker reads)."""

    def __init__(self, message):
        self.message = message


class RespConnection:
    """One plain RESP2 connection: commands are sent (one, or several pipelined) and their replies read in order."""

    def __init__(self, host, port, timeout):
        self.endpoint = f"{host}:{port}"
        try:
            self.connection = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise ReaderError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error
        self.reader = self.connection.makefile("rb")

    def close(self):
        self.reader.close()
        self.connection.close()

    def command(self, *arguments):
        """Sends one command and returns the reply: bytes, None (nil), an int, a status string or a list."""
        (reply,) = self.pipeline([arguments])
        if isinstance(reply, RespError):
            raise ReaderError(EXIT_CONNECTION, "the server answered an error: " + reply.message)
        return reply

    def pipeline(self, commands):
        """Sends the commands in one write and returns their replies; an error reply is returned as a RespError."""
        request = bytearray()
        for arguments in commands:
            request += b"*%d\r\n" % len(arguments)
            for argument in arguments:
                data = argument if isinstance(argument, bytes) else argument.encode("utf-8")
                request += b"$%d\r\n%s\r\n" % (len(data), data)
        try:
            self.connection.sendall(request)
            return [self._reply() for _ in commands]
        except OSError as error:
            raise ReaderError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error

    def _reply(self):
        line = self.reader.readline()
        if not line.endswith(b"\r\n"):
            raise ReaderError(EXIT_CONNECTION, "the server closed the connection without a reply")
        kind, rest = line[:1], line[1:-2]
        if kind == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        if kind == b"_":  # RESP3 null
            return None
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = self.reader.read(length + 2)
            if len(data) != length + 2 or data[-2:] != b"\r\n":
                raise ReaderError(EXIT_CONNECTION, "truncated bulk reply")
            return data[:-2]
        if kind == b"*":  # MGET: one reply per key
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        raise ReaderError(EXIT_CONNECTION, f"unexpected reply type {kind!r}")


def fetch_envelope(resp, redis_key):
    """The stored envelope's bytes and the layout they came from: a string (native store) or a hash's field "data"
    (RedisCache)."""
    kind = resp.command("TYPE", redis_key)
    if kind == "none":
        raise ReaderError(EXIT_NOT_FOUND, f"no entry: the key {redis_key!r} does not exist")
    if kind == "string":
        data = resp.command("GET", redis_key)
    elif kind == "hash":
        data = resp.command("HGET", redis_key, "data")
        if data is None:
            raise ReaderError(EXIT_NOT_FOUND, f"no entry: the hash {redis_key!r} has no field 'data'")
    else:
        raise rejected(f"the key {redis_key!r} holds a Redis {kind}, not a CacheSerial entry "
                       "(a string from the native store, or a hash from RedisCache)")
    if data is None:  # removed between TYPE and the read
        raise ReaderError(EXIT_NOT_FOUND, f"no entry: the key {redis_key!r} does not exist")
    if not isinstance(data, bytes):
        raise ReaderError(EXIT_CONNECTION, f"unexpected reply to the read of a {kind}: {data!r}")
    return kind, data


def to_utc_iso(milliseconds):
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def compression_name(algorithm):
    return COMPRESSION_NAMES.get(algorithm, f"unknown ({algorithm})")


def read_tags(data, at, end, count):
    """A version 2 header's tags (each u16 LE length + strict UTF-8, never empty) and the offset after them."""
    tags = []
    for _ in range(count):
        if at + 2 > end:
            raise rejected("length mismatch: the tag list runs past the header")
        (length,) = struct.unpack_from("<H", data, at)
        if length == 0 or at + 2 + length > end:
            raise rejected("malformed tags: a tag is empty or runs past the header")
        try:
            tags.append(data[at + 2:at + 2 + length].decode("utf-8", "strict"))
        except UnicodeDecodeError as error:
            raise rejected(f"malformed tags: a tag is not UTF-8 ({error})") from error
        at += 2 + length
    return tags, at


def parse_envelope(data, logical, codec, type_identity=None, schema_version=None, now_ms=None,
                   maximum_payload_bytes=DEFAULT_MAXIMUM_PAYLOAD_BYTES):
    """Validates an envelope (version 1 or 2) in the order of docs/wire-format.md and returns its fields; the payload
    is returned as stored (still compressed: see decode_payload)."""
    if len(data) < FIXED_OVERHEAD + 1 or data[:4] != MAGIC:
        raise rejected("not a CacheSerial envelope (too short or wrong magic)")
    version = data[4]
    if version not in KNOWN_FLAGS:
        raise rejected(f"unsupported format version {version} (this reader knows {FORMAT_VERSION_1} and {FORMAT_VERSION_2})")
    stored_crc = struct.unpack_from("<I", data, len(data) - 4)[0]
    computed_crc = zlib.crc32(data[:-4])
    if stored_crc != computed_crc:
        raise rejected(f"checksum mismatch (stored {stored_crc:08x}, computed {computed_crc:08x}): the entry is corrupt")
    flags = data[5]
    if flags & ~KNOWN_FLAGS[version]:
        raise rejected(f"unknown flag bits 0x{flags & ~KNOWN_FLAGS[version]:02x} for format version {version}")
    name_length = data[6]
    if not 1 <= name_length <= 64:
        raise rejected(f"codec name length {name_length} is outside 1..64")
    body_length = len(data) - 4
    p = 7 + name_length
    if body_length < (FIXED_OVERHEAD if version == FORMAT_VERSION_1 else FIXED_OVERHEAD_V2) - 4 + name_length:
        raise rejected("the header is truncated")
    name = data[7:p].decode("ascii", "replace")
    if name != codec:
        raise rejected(f"codec mismatch: the entry was written by '{name}', this reader expects '{codec}'")
    fingerprint = data[p:p + 8]
    if type_identity is not None:
        expected = hashlib.sha256(type_identity.encode("utf-8")).digest()[:8]
        if fingerprint != expected:
            raise rejected(f"type mismatch: the entry's type fingerprint is not the one of '{type_identity}'")
    (schema,) = struct.unpack_from("<i", data, p + 8)
    if schema_version is not None and schema != schema_version:
        raise rejected(f"schema mismatch: the entry has schema version {schema}, expected {schema_version}")
    key_check = data[p + 12:p + 28]
    if key_check != hashlib.sha256(logical.encode("utf-8")).digest()[:16]:
        raise rejected("key check mismatch: the entry was written for another key")
    created, expires = struct.unpack_from("<qq", data, p + 28)
    at = p + 44
    compression, original_length, tags = 0, None, []
    if version == FORMAT_VERSION_2:
        compression, original_length, tag_count = struct.unpack_from("<BIB", data, at)
        tags, at = read_tags(data, at + 6, body_length, tag_count)
    if at + 4 > body_length:
        raise rejected("length mismatch: the header is truncated before the payload length")
    (length,) = struct.unpack_from("<I", data, at)
    payload_offset = at + 4
    is_null = bool(flags & FLAG_NULL)
    if length != body_length - payload_offset or (is_null and length != 0):
        present = body_length - payload_offset
        raise rejected(f"length mismatch: the header says {length} payload bytes, {present} are present")
    if version == FORMAT_VERSION_2:
        compressed = bool(flags & FLAG_COMPRESSED)
        if compressed != (compression != 0) or (compressed and is_null):
            raise rejected(f"the compression fields disagree (flag {'set' if compressed else 'clear'}, "
                           f"algorithm {compression_name(compression)}, {'null' if is_null else 'non-null'} value)")
        if compressed and compression not in COMPRESSION_NAMES:
            raise rejected(f"unknown compression algorithm {compression}")
        if (not compressed and original_length != length) or (compressed and not 0 < original_length <= 0x7FFFFFFF):
            raise rejected(f"length mismatch: original length {original_length} with {length} payload bytes "
                           f"({compression_name(compression)})")
    else:
        original_length = length
    # Before anything is decompressed: no payload over the limit is ever produced (no decompression bomb).
    if length > maximum_payload_bytes or original_length > maximum_payload_bytes:
        raise rejected(f"payload too large: {original_length} bytes (before compression) is over "
                       f"--max-payload-bytes {maximum_payload_bytes}; not decompressed")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if expires != 0 and now_ms >= expires:
        raise rejected(f"expired at {to_utc_iso(expires)} (now {to_utc_iso(now_ms)})")
    return {
        "version": version,
        "codec": name,
        "flags": flags,
        "typeFingerprint": struct.unpack("<Q", fingerprint)[0],
        "schemaVersion": schema,
        "createdAtMs": created,
        "expiresAtMs": expires,
        "compression": compression,
        "originalLength": original_length,
        "tags": tags,
        "payload": None if is_null else data[payload_offset:payload_offset + length],
    }


def gunzip_exact(data, expected):
    """Decompresses a gzip stream (one or more members, as .NET's GZipStream reads) into exactly `expected` bytes:
    never more than expected + 1 are produced, so a payload that claims less than it holds cannot blow up."""
    output = bytearray()
    rest = data
    try:
        while True:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
            output += inflater.decompress(rest, expected - len(output) + 1)  # max_length >= 1 (0 would mean unbounded)
            if len(output) > expected:
                raise rejected(f"compression error: the gzip payload holds more than the {expected} bytes its header declares")
            if not inflater.eof:
                raise rejected("compression error: the gzip payload is truncated")
            rest = inflater.unused_data
            if not rest:
                break
    except zlib.error as error:
        raise rejected(f"compression error: the gzip payload is corrupt ({error})") from error
    if len(output) != expected:
        raise rejected(f"compression error: the gzip payload holds {len(output)} bytes, its header declares {expected}")
    return bytes(output)


def decode_payload(entry):
    """The codec's payload bytes: as stored, or decompressed (GZip only) into exactly the declared original length."""
    payload, algorithm = entry["payload"], entry["compression"]
    if payload is None or algorithm == 0:
        return payload
    if algorithm != COMPRESSION_GZIP:
        raise rejected(f"compression {compression_name(algorithm)} not supported by this reader "
                       "(python's standard library decodes only gzip)")
    return gunzip_exact(payload, entry["originalLength"])


def marker_keys(instance_name, prefix, tags, maximum_key_length):
    """(description, Redis key) of the clear marker and of each tag's marker (KeyBuilder.Marker): the store key of
    "\\u001dclear" or "\\u001dtag:" + tag behind the prefix, hashed like any key when too long."""
    keys = [(None, instance_name + store_key(prefix, CLEAR_MARKER, maximum_key_length))]
    for tag in dict.fromkeys(tags):  # distinct, in order
        keys.append((tag, instance_name + store_key(prefix, TAG_MARKER_HEAD + tag, maximum_key_length)))
    return keys


def read_marker(data):
    """A marker's removal time (unix ms), or None for bytes that are not a marker."""
    if (len(data) != MARKER_LENGTH or data[:4] != MARKER_MAGIC or data[4] != 1
            or struct.unpack_from("<I", data, 13)[0] != zlib.crc32(data[:13])):
        return None
    return struct.unpack_from("<q", data, 5)[0]


def check_markers(resp, kind, keys, created_ms):
    """Refuses an entry that a ClearAsync or a RemoveByTagAsync of one of its tags invalidated: a marker whose removal
    time is at or after the entry's creation. The markers live where the entries do: strings (native store, one MGET)
    or hashes with the field "data" (RedisCache, one pipelined HGET each)."""
    if kind == "string":
        replies = resp.command("MGET", *[key for _, key in keys])
        if not isinstance(replies, list) or len(replies) != len(keys):
            raise ReaderError(EXIT_CONNECTION, f"unexpected reply to MGET: {replies!r}")
    else:
        replies = resp.pipeline([["HGET", key, "data"] for _, key in keys])
    for (tag, key), value in zip(keys, replies):
        subject = "the clear marker" if tag is None else f"the marker of tag {tag!r}"
        if value is None:
            continue
        if isinstance(value, RespError):
            # CacheSerial cannot read it either: the entry is unverified, a miss.
            raise rejected(f"{subject} ({key!r}) cannot be read ({value.message}); the entry cannot be verified")
        removed_ms = read_marker(value) if isinstance(value, bytes) else None
        if removed_ms is None:
            # CacheSerial treats a marker it did not write as a removal just now.
            raise rejected(f"{'cleared' if tag is None else f'invalidated by tag {tag!r}'}: {subject} is malformed, "
                           "which counts as a removal now")
        if created_ms <= removed_ms:
            if tag is None:
                raise rejected(f"cleared: the cache was cleared at {to_utc_iso(removed_ms)}, "
                               f"the entry was created at {to_utc_iso(created_ms)}")
            raise rejected(f"invalidated by tag {tag!r}: removed at {to_utc_iso(removed_ms)}, "
                           f"the entry was created at {to_utc_iso(created_ms)}")


def at_least(minimum):
    def parse(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value
    return parse


def main(argv):
    parser = argparse.ArgumentParser(
        description="Read one CacheSerial entry (JSON codec) from Redis, validate its envelope and print its value.")
    parser.add_argument("host", help="Redis host, e.g. 127.0.0.1")
    parser.add_argument("port", type=int, help="Redis port, e.g. 6379")
    parser.add_argument("key", help="the caller's key, as passed to ITypedCache (without prefix)")
    parser.add_argument("--prefix", default="", help="CacheSerialOptions.KeyPrefix (default: none)")
    parser.add_argument("--instance-name", default="",
                        help="RedisCacheOptions.InstanceName, for entries written through RedisCache (default: none)")
    parser.add_argument("--codec", default="stj", help="expected codec name; the payload must be JSON (default: stj)")
    parser.add_argument("--type", dest="type_identity",
                        help="check the type fingerprint against this type identity, e.g. MyApp.Product")
    parser.add_argument("--schema-version", type=int, help="check the schema version")
    parser.add_argument("--max-key-length", type=int, default=DEFAULT_MAXIMUM_KEY_LENGTH,
                        help=f"CacheSerialOptions.MaximumKeyLength (default: {DEFAULT_MAXIMUM_KEY_LENGTH})")
    parser.add_argument("--max-payload-bytes", type=at_least(1), default=DEFAULT_MAXIMUM_PAYLOAD_BYTES,
                        help="CacheSerialOptions.MaximumPayloadBytes: larger payloads (before compression) are refused "
                             f"without being decompressed (default: {DEFAULT_MAXIMUM_PAYLOAD_BYTES})")
    parser.add_argument("--no-markers", action="store_true",
                        help="do not read the tag and clear markers (RemoveByTagAsync / ClearAsync are then ignored)")
    parser.add_argument("--metadata", action="store_true",
                        help="print a JSON object with the envelope's fields and the value")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout in seconds (default: 10)")
    arguments = parser.parse_args(argv)

    try:
        validate_key(arguments.key, "key")
        validate_key(arguments.prefix, "prefix")
        logical = logical_key(arguments.prefix, arguments.key)
        redis_key = arguments.instance_name + store_key(arguments.prefix, arguments.key, arguments.max_key_length)
        resp = RespConnection(arguments.host, arguments.port, arguments.timeout)
        try:
            kind, data = fetch_envelope(resp, redis_key)
            entry = parse_envelope(data, logical, arguments.codec, arguments.type_identity, arguments.schema_version,
                                   maximum_payload_bytes=arguments.max_payload_bytes)
            if not arguments.no_markers:
                keys = marker_keys(arguments.instance_name, arguments.prefix, entry["tags"], arguments.max_key_length)
                check_markers(resp, kind, keys, entry["createdAtMs"])
        finally:
            resp.close()
        payload = decode_payload(entry)
        try:
            value = None if payload is None else json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise rejected(f"the payload is not UTF-8 JSON ({error})") from error
    except ReaderError as error:
        print(f"read_entry.py: {error}", file=sys.stderr)
        return error.code

    if arguments.metadata:
        value = {
            "redisKey": redis_key,
            "logicalKey": logical,
            "version": entry["version"],
            "codec": entry["codec"],
            "isNull": payload is None,
            "isNegative": bool(entry["flags"] & FLAG_NEGATIVE),
            "typeFingerprint": f"{entry['typeFingerprint']:016x}",
            "schemaVersion": entry["schemaVersion"],
            "createdAt": to_utc_iso(entry["createdAtMs"]),
            "expiresAt": None if entry["expiresAtMs"] == 0 else to_utc_iso(entry["expiresAtMs"]),
            "tags": entry["tags"],
            "compression": compression_name(entry["compression"]),
            "payloadBytes": 0 if entry["payload"] is None else len(entry["payload"]),
            "originalLength": entry["originalLength"],
            "value": value,
        }
    print(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
