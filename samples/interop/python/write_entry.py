#!/usr/bin/env python3
"""Writes one CacheSerial entry (envelope v1 or v2, JSON codec "stj") to Redis, so that a .NET CacheSerial cache reads it.

Reference writer for docs/wire-format.md, python3 standard library only; the counterpart of read_entry.py. It reads a
JSON value from stdin (or --value), builds the envelope (header, type fingerprint, schema version, key check, created-at,
logical expiry, payload, CRC-32; with version 2 also the compression, original length and tags: --tags, --compress gzip)
and stores it over a plain RESP socket in one of the two layouts CacheSerial's stores use:

  --layout string  the native Redis store (UseStackExchangeRedis): SET <key> <envelope> PX <ms>
  --layout hash    RedisCache (AddStackExchangeRedisCache): MULTI, DEL <key>,
                   HSET <key> absexp <ticks> sldexp -1 data <envelope>, PEXPIRE <key> <ms>, EXEC

See samples/interop/README.md.

Exit codes: 0 written; 2 usage (bad options, key or JSON); 4 connection or protocol error.
"""

import argparse
import gzip
import hashlib
import json
import math
import socket
import struct
import sys
import time
import unicodedata
import zlib

MAGIC = b"\x89CSE"
FORMAT_VERSION_1, FORMAT_VERSION_2 = 1, 2
FLAG_NULL = 0x01
FLAG_COMPRESSED = 0x04  # version 2 only
COMPRESSION_NONE, COMPRESSION_GZIP = 0, 1  # CacheCompressionAlgorithm ids; the others are not in the standard library
DEFAULT_COMPRESSION_THRESHOLD = 1024  # CacheCompressionOptions.DefaultThreshold
MAXIMUM_TAG_COUNT = 64  # CacheEntryOptions.MaximumTagCount
MAXIMUM_TAG_LENGTH = 256  # CacheEntryOptions.MaximumTagLength, in UTF-16 characters
WILDCARD_TAG = "*"  # reserved: ClearAsync says "every entry"
CODEC = b"stj"
PREFIX_SEPARATOR = "\u001f"
HASH_SEPARATOR = "\u001e"
HASHED_KEY_HEAD_LENGTH = 64
DEFAULT_MAXIMUM_KEY_LENGTH = 1024  # CacheSerialOptions.DefaultMaximumKeyLength
DEFAULT_EXPIRES_IN = 300.0
UNIX_EPOCH_TICKS = 621355968000000000  # DateTimeOffset.UnixEpoch.Ticks; a tick is 100 ns
NOT_PRESENT = b"-1"  # RedisCache's value for an absent absexp / sldexp

EXIT_USAGE, EXIT_CONNECTION = 2, 4


class WriterError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def usage(message):
    return WriterError(EXIT_USAGE, message)


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def validate_key(text, what):
    # CacheSerial refuses these keys (KeyBuilder.Validate), so it could never read an entry written under them.
    if not text.strip() and what == "key":
        raise usage("the key must not be empty or white space")
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc":
            raise usage(f"the {what} contains a control character (U+{ord(char):04X} at index {index})")
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise usage(f"the {what} contains a lone surrogate at index {index}")


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


def parse_tags(values):
    """The tags of --tags (each a comma list), checked as CacheSerial checks them (TagRules), distinct in order."""
    tags = []
    for value in values or []:
        for tag in value.split(","):
            if utf16_length(tag) > MAXIMUM_TAG_LENGTH:
                raise usage(f"a tag must be at most {MAXIMUM_TAG_LENGTH} characters (found {utf16_length(tag)})")
            if tag == WILDCARD_TAG:
                raise usage("the tag '*' is reserved (ClearAsync drops every entry)")
            if not tag.strip():
                raise usage("a tag must not be empty or white space")
            validate_key(tag, "tag")
            if tag not in tags:
                tags.append(tag)
    if len(tags) > MAXIMUM_TAG_COUNT:
        raise usage(f"an entry may carry at most {MAXIMUM_TAG_COUNT} tags (found {len(tags)})")
    return tags


def compress(payload, algorithm, threshold):
    """(algorithm, stored payload) as CacheSerial decides: compressed only when longer than the threshold, and kept only
    when smaller than the original."""
    if payload is None or algorithm == COMPRESSION_NONE or len(payload) <= threshold:
        return COMPRESSION_NONE, payload
    compressed = gzip.compress(payload, compresslevel=6, mtime=0)
    return (COMPRESSION_GZIP, compressed) if len(compressed) < len(payload) else (COMPRESSION_NONE, payload)


def build_envelope(logical, type_identity, schema_version, payload, created_ms, expires_ms, version=FORMAT_VERSION_1,
                   tags=(), compression=COMPRESSION_NONE, original_length=None):
    """An envelope (docs/wire-format.md); payload None writes a cached null (flag bit 0, empty payload). Version 2 adds
    the compression id, the payload's length before compression and the tags after the expiry."""
    flags = FLAG_NULL if payload is None else 0
    payload = b"" if payload is None else payload
    if compression != COMPRESSION_NONE:
        flags |= FLAG_COMPRESSED
    body = bytearray(MAGIC)
    body += bytes([version, flags, len(CODEC)]) + CODEC
    body += hashlib.sha256(type_identity.encode("utf-8")).digest()[:8]  # the fingerprint's bytes as stored (u64 LE)
    body += struct.pack("<i", schema_version)
    body += hashlib.sha256(logical.encode("utf-8")).digest()[:16]
    body += struct.pack("<qq", created_ms, expires_ms)
    if version == FORMAT_VERSION_2:
        original = len(payload) if original_length is None else original_length
        body += struct.pack("<BIB", compression, original, len(tags))
        for tag in tags:
            encoded = tag.encode("utf-8")
            body += struct.pack("<H", len(encoded)) + encoded
    body += struct.pack("<I", len(payload))
    body += payload
    body += struct.pack("<I", zlib.crc32(body))
    return bytes(body)


class RespConnection:
    """One plain RESP2 connection; commands are pipelined and their replies read in order."""

    def __init__(self, host, port, timeout):
        self.endpoint = f"{host}:{port}"
        try:
            self.connection = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise WriterError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error
        self.reader = self.connection.makefile("rb")

    def close(self):
        self.reader.close()
        self.connection.close()

    def pipeline(self, *commands):
        """Sends the commands in one write and returns their replies; an error reply anywhere raises."""
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
            raise WriterError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error

    def _reply(self):
        line = self.reader.readline()
        if not line.endswith(b"\r\n"):
            raise WriterError(EXIT_CONNECTION, "the server closed the connection without a reply")
        kind, rest = line[:1], line[1:-2]
        if kind == b"-":
            raise WriterError(EXIT_CONNECTION, "the server answered an error: " + rest.decode("utf-8", "replace"))
        if kind == b"_":  # RESP3 null
            return None
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = self.reader.read(length + 2)
            if len(data) != length + 2 or data[-2:] != b"\r\n":
                raise WriterError(EXIT_CONNECTION, "truncated bulk reply")
            return data[:-2]
        if kind == b"*":  # EXEC: the replies of the queued commands (an error among them raises)
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        raise WriterError(EXIT_CONNECTION, f"unexpected reply type {kind!r}")


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_value(text):
    """The value as compact UTF-8 JSON bytes, or None for a JSON null."""
    try:
        value = json.loads(text, parse_constant=reject_constant)
    except ValueError as error:
        raise usage(f"the value is not JSON ({error})") from error
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def write(host, port, timeout, redis_key, envelope, layout, ttl_ms, absolute_expiration_ms):
    resp = RespConnection(host, port, timeout)
    try:
        if layout == "string":
            resp.pipeline(["SET", redis_key, envelope, "PX", str(ttl_ms)])
            return
        # What Microsoft.Extensions.Caching.StackExchangeRedis writes: the three fields, then the key's TTL. The DEL and
        # the transaction make the key exactly that hash (a previous string or extra fields would not survive).
        absexp = str(absolute_expiration_ms * 10_000 + UNIX_EPOCH_TICKS).encode("ascii")
        replies = resp.pipeline(
            ["MULTI"],
            ["DEL", redis_key],
            ["HSET", redis_key, "absexp", absexp, "sldexp", NOT_PRESENT, "data", envelope],
            ["PEXPIRE", redis_key, str(ttl_ms)],
            ["EXEC"])
        if replies[-1] is None:
            raise WriterError(EXIT_CONNECTION, "the transaction was aborted")
    finally:
        resp.close()


def main(argv):
    parser = argparse.ArgumentParser(
        description="Write one CacheSerial entry (JSON codec) to Redis: the JSON value from stdin or --value.")
    parser.add_argument("host", help="Redis host, e.g. 127.0.0.1")
    parser.add_argument("port", type=int, help="Redis port, e.g. 6379")
    parser.add_argument("key", help="the caller's key, as passed to ITypedCache (without prefix)")
    parser.add_argument("--value", help="the value as JSON text (default: read from stdin)")
    parser.add_argument("--type", dest="type_identity", required=True,
                        help="the .NET type identity the entry is for, e.g. MyApp.Product (see docs/wire-format.md)")
    parser.add_argument("--layout", choices=["string", "hash"], required=True,
                        help="string: the native Redis store (UseStackExchangeRedis); hash: RedisCache")
    parser.add_argument("--prefix", default="", help="CacheSerialOptions.KeyPrefix (default: none)")
    parser.add_argument("--instance-name", default="",
                        help="RedisCacheOptions.InstanceName, hash layout only (default: none)")
    parser.add_argument("--schema-version", type=int, default=0,
                        help="the root type's [CacheSchemaVersion] (default: 0)")
    parser.add_argument("--expires-in", type=float, default=DEFAULT_EXPIRES_IN,
                        help=f"seconds until the logical expiry, also the Redis TTL (default: {DEFAULT_EXPIRES_IN:g})")
    parser.add_argument("--max-key-length", type=int, default=DEFAULT_MAXIMUM_KEY_LENGTH,
                        help=f"CacheSerialOptions.MaximumKeyLength (default: {DEFAULT_MAXIMUM_KEY_LENGTH})")
    parser.add_argument("--tags", action="append", metavar="A,B",
                        help="tags of the entry (CacheEntryOptions.Tags), comma separated; repeatable. Needs version 2")
    parser.add_argument("--compress", choices=["none", "gzip", "brotli", "zstd", "lz4"], default="none",
                        help="compress the payload (CacheCompressionOptions.Algorithm); only gzip is in python's "
                             "standard library. Needs version 2 (default: none)")
    parser.add_argument("--compress-threshold", type=int, default=DEFAULT_COMPRESSION_THRESHOLD,
                        help="compress only payloads longer than this many bytes (CacheCompressionOptions.Threshold, "
                             f"default: {DEFAULT_COMPRESSION_THRESHOLD})")
    parser.add_argument("--envelope-version", type=int, choices=[1, 2],
                        help="the envelope version (default: 2 with --tags or --compress, else 1)")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout in seconds (default: 10)")
    arguments = parser.parse_args(argv)

    try:
        validate_key(arguments.key, "key")
        validate_key(arguments.prefix, "prefix")
        if arguments.layout == "string" and arguments.instance_name:
            raise usage("--instance-name is for the hash layout (RedisCache); the native store's keys have none")
        if not -2**31 <= arguments.schema_version < 2**31:
            raise usage("--schema-version must fit a 32-bit signed integer")
        if not (math.isfinite(arguments.expires_in) and arguments.expires_in > 0):
            raise usage("--expires-in must be a positive number of seconds")
        if not arguments.type_identity:
            raise usage("--type must not be empty")
        tags = parse_tags(arguments.tags)
        if arguments.compress in ("brotli", "zstd", "lz4"):
            raise usage(f"--compress {arguments.compress} is not in python's standard library (gzip is)")
        algorithm = COMPRESSION_GZIP if arguments.compress == "gzip" else COMPRESSION_NONE
        if arguments.compress_threshold < 0:
            raise usage("--compress-threshold must be at least 0")
        version = arguments.envelope_version
        if version is None:
            version = FORMAT_VERSION_2 if tags or algorithm != COMPRESSION_NONE else FORMAT_VERSION_1
        if version == FORMAT_VERSION_1 and (tags or algorithm != COMPRESSION_NONE):
            raise usage("--tags and --compress need --envelope-version 2 (version 1 has no place for them)")
        text = arguments.value if arguments.value is not None else sys.stdin.buffer.read().decode("utf-8", "strict")
        payload = parse_value(text)
        compression, stored = compress(payload, algorithm, arguments.compress_threshold)

        created_ms = int(time.time() * 1000)
        lifetime_ms = max(1, math.ceil(arguments.expires_in * 1000))
        expires_ms = created_ms + lifetime_ms
        if arguments.layout == "string":
            ttl_ms = lifetime_ms  # the native store sets the exact lifetime (PX)
        else:
            ttl_ms = max(1, math.ceil(lifetime_ms / 1000)) * 1000  # RedisCache keeps whole seconds; CacheSerial rounds up
        logical = logical_key(arguments.prefix, arguments.key)
        redis_key = arguments.instance_name + store_key(arguments.prefix, arguments.key, arguments.max_key_length)
        envelope = build_envelope(
            logical, arguments.type_identity, arguments.schema_version, stored, created_ms, expires_ms, version, tags,
            compression, None if payload is None else len(payload))
        write(arguments.host, arguments.port, arguments.timeout, redis_key, envelope, arguments.layout, ttl_ms,
              created_ms + ttl_ms)
    except UnicodeDecodeError as error:
        print(f"write_entry.py: the value is not UTF-8 ({error})", file=sys.stderr)
        return EXIT_USAGE
    except WriterError as error:
        print(f"write_entry.py: {error}", file=sys.stderr)
        return error.code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
