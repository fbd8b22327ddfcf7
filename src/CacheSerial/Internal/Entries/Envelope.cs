using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace CacheSerial.Internal;

/// <summary>
/// The one home of the stored-entry format (docs/wire-format.md). All integers little-endian.
/// Version 1: magic(4) version(1) flags(1) codecLen(1) codec(n) typeFingerprint(8) schemaVersion(4) keyCheck(16)
/// createdAtMs(8) expiresAtMs(8) payloadLength(4) payload(L) crc32(4), the CRC-32 (IEEE) covering every byte before it.
/// Version 2 adds, after expiresAtMs: compression(1) originalLength(4) tagCount(1) and each tag as length(2) and UTF-8
/// bytes. A writer uses version 2 only for an entry that needs it (tags, or a cache that compresses).
/// </summary>
internal static class Envelope
{
    public const byte Version1 = 1;
    public const byte Version2 = 2;

    /// <summary>Version 1's bytes around the codec name and payload: 59.</summary>
    public const int FixedOverhead = 4 + 1 + 1 + 1 + 8 + 4 + KeyBuilder.KeyCheckLength + 8 + 8 + 4 + 4;

    /// <summary>Version 2's bytes around the codec name, tags and payload: 65.</summary>
    public const int FixedOverheadV2 = FixedOverhead + 1 + 4 + 1;

    /// <summary>The most tags a version 2 header can hold (its count is one byte).</summary>
    public const int MaximumTags = byte.MaxValue;

    // 0x89 first: never valid UTF-8 text start, so JSON or strings written by other clients cannot look like an envelope.
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'C', (byte)'S', (byte)'E'];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const EnvelopeFlags KnownFlagsV1 = EnvelopeFlags.NullValue | EnvelopeFlags.Negative;
    private const EnvelopeFlags KnownFlagsV2 = KnownFlagsV1 | EnvelopeFlags.Compressed;

    /// <summary>
    /// Writes everything up to the payload; returns the payload's offset. <paramref name="version2"/> writes the version 2
    /// header with <paramref name="tags"/> (checked by <see cref="TagRules"/>) and no compression (see <see cref="SetCompression"/>).
    /// </summary>
    public static int WriteHeader(
        PooledBufferWriter writer,
        ReadOnlySpan<byte> codecName,
        ulong typeFingerprint,
        int schemaVersion,
        ReadOnlySpan<byte> keyCheck,
        EnvelopeFlags flags,
        long createdAtMs,
        long expiresAtMs,
        bool version2 = false,
        string[]? tags = null)
    {
        var tagBytes = 0;
        if (version2 && tags is not null)
        {
            foreach (var tag in tags)
            {
                tagBytes += 2 + Encoding.UTF8.GetByteCount(tag);
            }
        }

        var size = (version2 ? FixedOverheadV2 : FixedOverhead) - 4 + codecName.Length + tagBytes;
        var span = writer.GetSpan(size);
        Magic.CopyTo(span);
        span[4] = version2 ? Version2 : Version1;
        span[5] = (byte)flags;
        span[6] = (byte)codecName.Length;
        codecName.CopyTo(span[7..]);
        var p = 7 + codecName.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span[p..], typeFingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(span[(p + 8)..], schemaVersion);
        keyCheck[..KeyBuilder.KeyCheckLength].CopyTo(span[(p + 12)..]);
        BinaryPrimitives.WriteInt64LittleEndian(span[(p + 28)..], createdAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(span[(p + 36)..], expiresAtMs);
        var at = p + 44;
        if (version2)
        {
            span[at] = (byte)CacheCompressionAlgorithm.None;
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 1)..], 0); // patched by Complete (or SetCompression)
            span[at + 5] = (byte)(tags?.Length ?? 0);
            at += 6;
            foreach (var tag in tags ?? [])
            {
                var length = Encoding.UTF8.GetBytes(tag, span[(at + 2)..]);
                BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)length);
                at += 2 + length;
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], 0); // patched by Complete
        writer.Advance(size);
        return size;
    }

    /// <summary>Records in a version 2 header that the payload is compressed, and its length before compression.</summary>
    public static void SetCompression(Span<byte> envelope, CacheCompressionAlgorithm algorithm, int originalLength)
    {
        envelope[5] |= (byte)EnvelopeFlags.Compressed;
        var at = 7 + envelope[6] + 44;
        envelope[at] = (byte)algorithm;
        BinaryPrimitives.WriteUInt32LittleEndian(envelope[(at + 1)..], (uint)originalLength);
    }

    /// <summary>Patches the payload length (and a version 2 header's original length, unless compressed) and appends the checksum.</summary>
    public static void Complete(PooledBufferWriter writer, int payloadOffset)
    {
        var payloadLength = writer.WrittenCount - payloadOffset;
        var written = writer.WrittenSpan;
        BinaryPrimitives.WriteUInt32LittleEndian(written[(payloadOffset - 4)..], (uint)payloadLength);
        if (written[4] == Version2 && (written[5] & (byte)EnvelopeFlags.Compressed) == 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(written[(7 + written[6] + 45)..], (uint)payloadLength);
        }

        var crc = Crc32.HashToUInt32(written);
        BinaryPrimitives.WriteUInt32LittleEndian(writer.GetSpan(4), crc);
        writer.Advance(4);
    }

    /// <summary>Checks every field against what the reader expects; on success returns the header and payload range.</summary>
    public static bool TryRead(
        ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> codecName,
        ulong typeFingerprint,
        int schemaVersion,
        ReadOnlySpan<byte> keyCheck,
        out EnvelopeHeader header,
        out int payloadOffset,
        out int payloadLength,
        out CacheEntryRejectReason reason)
    {
        header = default;
        payloadOffset = 0;
        payloadLength = 0;

        if (data.Length < FixedOverhead + 1 || !data.StartsWith(Magic))
        {
            reason = CacheEntryRejectReason.NotAnEnvelope;
            return false;
        }

        var version = data[4];
        if (version is not (Version1 or Version2))
        {
            reason = CacheEntryRejectReason.UnsupportedVersion;
            return false;
        }

        // The checksum first: any flipped, missing or extra byte is reported as corruption, not as a field mismatch.
        var body = data[..^4];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]))
        {
            reason = CacheEntryRejectReason.ChecksumMismatch;
            return false;
        }

        var flags = (EnvelopeFlags)data[5];
        if ((flags & ~(version == Version1 ? KnownFlagsV1 : KnownFlagsV2)) != 0)
        {
            reason = CacheEntryRejectReason.UnknownFlags;
            return false;
        }

        int nameLength = data[6];
        var p = 7 + nameLength;
        if (body.Length < (version == Version1 ? FixedOverhead : FixedOverheadV2) - 4 + nameLength)
        {
            reason = CacheEntryRejectReason.LengthMismatch;
            return false;
        }

        if (!data.Slice(7, nameLength).SequenceEqual(codecName))
        {
            reason = CacheEntryRejectReason.CodecMismatch;
            return false;
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(data[p..]) != typeFingerprint)
        {
            reason = CacheEntryRejectReason.TypeMismatch;
            return false;
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(data[(p + 8)..]) != schemaVersion)
        {
            reason = CacheEntryRejectReason.SchemaMismatch;
            return false;
        }

        if (!data.Slice(p + 12, KeyBuilder.KeyCheckLength).SequenceEqual(keyCheck))
        {
            reason = CacheEntryRejectReason.KeyMismatch;
            return false;
        }

        var createdAtMs = BinaryPrimitives.ReadInt64LittleEndian(data[(p + 28)..]);
        var expiresAtMs = BinaryPrimitives.ReadInt64LittleEndian(data[(p + 36)..]);
        var at = p + 44;
        var compression = CacheCompressionAlgorithm.None;
        var originalLength = 0u;
        string[]? tags = null;
        if (version == Version2)
        {
            compression = (CacheCompressionAlgorithm)data[at];
            originalLength = BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 1)..]);
            int tagCount = data[at + 5];
            at += 6;
            if (!TryReadTags(body, ref at, tagCount, out tags, out reason))
            {
                return false;
            }
        }

        if (at + 4 > body.Length)
        {
            reason = CacheEntryRejectReason.LengthMismatch;
            return false;
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
        payloadOffset = at + 4;
        var isNull = (flags & EnvelopeFlags.NullValue) != 0;
        if (declared != (uint)(body.Length - payloadOffset) || (isNull && declared != 0))
        {
            reason = CacheEntryRejectReason.LengthMismatch;
            return false;
        }

        if (version == Version2)
        {
            var compressed = (flags & EnvelopeFlags.Compressed) != 0;
            if (compressed != (compression != CacheCompressionAlgorithm.None) || (compressed && isNull))
            {
                reason = CacheEntryRejectReason.UnknownCompression;
                return false;
            }

            if (compressed && !Enum.IsDefined(compression))
            {
                reason = CacheEntryRejectReason.UnknownCompression;
                return false;
            }

            // Uncompressed, the original is the payload; compressed, it is checked by decompressing into exactly that many bytes.
            if ((!compressed && originalLength != declared) || (compressed && (originalLength == 0 || originalLength > int.MaxValue)))
            {
                reason = CacheEntryRejectReason.LengthMismatch;
                return false;
            }
        }
        else
        {
            originalLength = declared;
        }

        payloadLength = (int)declared;
        header = new EnvelopeHeader(flags, createdAtMs, expiresAtMs, compression, (int)originalLength, tags);
        reason = default;
        return true;
    }

    private static bool TryReadTags(ReadOnlySpan<byte> body, ref int at, int count, out string[]? tags, out CacheEntryRejectReason reason)
    {
        tags = null;
        reason = default;
        if (count == 0)
        {
            return true;
        }

        tags = new string[count];
        for (var i = 0; i < count; i++)
        {
            if (at + 2 > body.Length)
            {
                reason = CacheEntryRejectReason.LengthMismatch;
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16LittleEndian(body[at..]);
            if (length == 0 || at + 2 + length > body.Length)
            {
                reason = CacheEntryRejectReason.MalformedTags;
                return false;
            }

            try
            {
                tags[i] = StrictUtf8.GetString(body.Slice(at + 2, length));
            }
            catch (ArgumentException)
            {
                reason = CacheEntryRejectReason.MalformedTags;
                return false;
            }

            at += 2 + length;
        }

        return true;
    }
}
