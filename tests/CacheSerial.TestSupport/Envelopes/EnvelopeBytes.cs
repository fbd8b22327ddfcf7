using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace CacheSerial.TestSupport.Envelopes;

/// <summary>
/// The test side's own reading of the documented envelope v1 layout (deliberately not the library's reader, so a change
/// of the format shows up here). All integers little-endian:
/// magic(4) version(1) flags(1) codecLen(1) codec(n) typeFingerprint(8) schemaVersion(4) keyCheck(16)
/// createdAtMs(8) expiresAtMs(8) payloadLength(4) payload(L) crc32(4), the CRC-32 (IEEE) covering every byte before it.
/// Version 2 inserts after expiresAtMs: compression(1) originalLength(u32) tagCount(1) and each tag as u16 length and
/// UTF-8 bytes; flag 0x04 says the payload is compressed.
/// </summary>
public sealed class EnvelopeBytes
{
    public const int MagicOffset = 0;
    public const int VersionOffset = 4;
    public const int FlagsOffset = 5;
    public const int CodecLengthOffset = 6;
    public const int CodecOffset = 7;
    public const int KeyCheckLength = 16;
    public const byte CompressedFlag = 0x04;

    private EnvelopeBytes(byte[] bytes)
    {
        Bytes = bytes;
        CodecLength = bytes[CodecLengthOffset];
    }

    public byte[] Bytes { get; }

    public int CodecLength { get; }

    public int FingerprintOffset => CodecOffset + CodecLength;

    public int SchemaVersionOffset => FingerprintOffset + 8;

    public int KeyCheckOffset => SchemaVersionOffset + 4;

    public int CreatedAtOffset => KeyCheckOffset + KeyCheckLength;

    public int ExpiresAtOffset => CreatedAtOffset + 8;

    /// <summary>Version 2: the compression algorithm's byte (then originalLength and the tag list).</summary>
    public int CompressionOffset => ExpiresAtOffset + 8;

    public int OriginalLengthOffset => CompressionOffset + 1;

    public int TagCountOffset => CompressionOffset + 5;

    public int PayloadLengthOffset => Version == 2 ? TagsEnd : ExpiresAtOffset + 8;

    public int PayloadOffset => PayloadLengthOffset + 4;

    public int ChecksumOffset => Bytes.Length - 4;

    public byte Version => Bytes[VersionOffset];

    public byte Flags => Bytes[FlagsOffset];

    public string CodecName => Encoding.ASCII.GetString(Bytes, CodecOffset, CodecLength);

    public ulong TypeFingerprint => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(FingerprintOffset));

    public int SchemaVersion => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(SchemaVersionOffset));

    public ReadOnlySpan<byte> KeyCheck => Bytes.AsSpan(KeyCheckOffset, KeyCheckLength);

    public long CreatedAtMs => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(CreatedAtOffset));

    public long ExpiresAtMs => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(ExpiresAtOffset));

    public int PayloadLength => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(PayloadLengthOffset));

    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(PayloadOffset, PayloadLength);

    public bool IsCompressed => (Flags & CompressedFlag) != 0;

    /// <summary>Version 2: the algorithm byte (0 for none).</summary>
    public byte Compression => Bytes[CompressionOffset];

    /// <summary>Version 2: the payload's declared length before compression.</summary>
    public uint OriginalLength => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(OriginalLengthOffset));

    public int TagCount => Version == 2 ? Bytes[TagCountOffset] : 0;

    /// <summary>Version 2: the tags, in stored order (empty for version 1).</summary>
    public IReadOnlyList<string> Tags
    {
        get
        {
            var tags = new List<string>();
            var at = TagCountOffset + 1;
            for (var i = 0; i < TagCount; i++)
            {
                var length = BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at));
                tags.Add(Encoding.UTF8.GetString(Bytes, at + 2, length));
                at += 2 + length;
            }

            return tags;
        }
    }

    private int TagsEnd
    {
        get
        {
            var at = TagCountOffset + 1;
            for (var i = 0; i < TagCount; i++)
            {
                at += 2 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at));
            }

            return at;
        }
    }

    public uint Checksum => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(ChecksumOffset));

    /// <summary>Whether the magic bytes, the declared length and the checksum agree with the layout above.</summary>
    public bool IsWellFormed =>
        Bytes.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, (byte)'C', (byte)'S', (byte)'E' })
        && PayloadOffset + PayloadLength + 4 == Bytes.Length
        && Crc32.HashToUInt32(Bytes.AsSpan(0, ChecksumOffset)) == Checksum;

    /// <summary>Reads the layout of a copy of <paramref name="bytes"/>.</summary>
    public static EnvelopeBytes Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 60)
        {
            throw new ArgumentException($"{bytes.Length} bytes cannot be an envelope.", nameof(bytes));
        }

        return new EnvelopeBytes((byte[])bytes.Clone());
    }

    /// <summary>A copy with <paramref name="patch"/> applied to the bytes and the checksum recomputed, so only the patched field is wrong.</summary>
    public byte[] With(Action<byte[]> patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var copy = (byte[])Bytes.Clone();
        patch(copy);
        return WithChecksum(copy);
    }

    public byte[] WithSchemaVersion(int version) =>
        With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(SchemaVersionOffset), version));

    public byte[] WithTypeFingerprint(ulong fingerprint) =>
        With(b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(FingerprintOffset), fingerprint));

    public byte[] WithExpiresAtMs(long expiresAtMs) =>
        With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(ExpiresAtOffset), expiresAtMs));

    public byte[] WithFlags(byte flags) => With(b => b[FlagsOffset] = flags);

    public byte[] WithVersion(byte version) => With(b => b[VersionOffset] = version);

    public byte[] WithDeclaredPayloadLength(int length) =>
        With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(PayloadLengthOffset), length));

    /// <summary>Version 2: a copy declaring another original (uncompressed) length.</summary>
    public byte[] WithOriginalLength(uint length) =>
        With(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(OriginalLengthOffset), length));

    /// <summary>Version 2: a copy naming another compression algorithm (the flag unchanged).</summary>
    public byte[] WithCompression(byte algorithm) => With(b => b[CompressionOffset] = algorithm);

    /// <summary>A copy with the payload byte at <paramref name="index"/> XOR-ed with <paramref name="mask"/> (checksum fixed).</summary>
    public byte[] WithPayloadByteFlipped(int index, byte mask = 0xFF) => With(b => b[PayloadOffset + index] ^= mask);

    /// <summary>
    /// A copy whose payload is replaced (declared length and checksum fixed up): a well-formed envelope around foreign
    /// payload bytes. In an uncompressed version 2 envelope the original length follows the payload's, as a writer's would.
    /// </summary>
    public byte[] WithPayload(ReadOnlySpan<byte> payload)
    {
        var result = new byte[PayloadOffset + payload.Length + 4];
        Bytes.AsSpan(0, PayloadOffset).CopyTo(result);
        payload.CopyTo(result.AsSpan(PayloadOffset));
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(PayloadLengthOffset), payload.Length);
        if (Version == 2 && !IsCompressed)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(OriginalLengthOffset), (uint)payload.Length);
        }

        return WithChecksum(result);
    }

    /// <summary>Recomputes the trailing CRC-32 of <paramref name="bytes"/> in place and returns it.</summary>
    public static byte[] WithChecksum(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var crc = Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), crc);
        return bytes;
    }
}
