using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using CacheSerial.Internal;
using CacheSerial.TestSupport.Envelopes;
using static CacheSerial.Tests.Internal.EnvelopeTests; // the fixed inputs, Read and Reject

namespace CacheSerial.Tests.Internal;

/// <summary>
/// Envelope version 2 on its own (docs/wire-format.md): after expiresAtMs, compression(1) originalLength(u32)
/// tagCount(1) and each tag as u16 length and UTF-8; the layout byte by byte and every rejection of its fields.
/// </summary>
public sealed class EnvelopeV2Tests
{
    // With the 3-byte codec name "stj": where version 2's own fields start.
    private const int CompressionAt = 54;
    private const int OriginalLengthAt = 55;
    private const int TagCountAt = 59;
    private const int FirstTagAt = 60;

    [Fact]
    public void FixedOverheadV2_Is65Bytes()
    {
        Assert.Equal(65, Envelope.FixedOverheadV2);
        Assert.Equal(Envelope.FixedOverhead + 6, Envelope.FixedOverheadV2);
    }

    [Fact]
    public void Write_WithTags_ProducesDocumentedLayout()
    {
        var payload = "{\"a\":1}"u8.ToArray();

        var bytes = Write(payload, tags: ["a", "ü€"]);

        Assert.Equal(Envelope.FixedOverheadV2 + Codec.Length + (2 + 1) + (2 + 5) + payload.Length, bytes.Length);
        AssertHeaderUpToExpiry(bytes, version: 2);
        Assert.Equal(0, bytes[CompressionAt]);
        Assert.Equal((uint)payload.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt)));
        Assert.Equal(2, bytes[TagCountAt]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(60)));
        Assert.Equal((byte)'a', bytes[62]);
        Assert.Equal(5, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(63)));
        Assert.Equal(Encoding.UTF8.GetBytes("ü€"), bytes[65..70]);
        Assert.Equal(payload.Length, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(70)));
        Assert.Equal(payload, bytes[74..^4]);
        Assert.Equal(Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void Write_WithoutTags_HasZeroTagCountThenPayloadLength()
    {
        var bytes = Write("xyz"u8.ToArray());

        Assert.Equal(Envelope.FixedOverheadV2 + Codec.Length + 3, bytes.Length);
        Assert.Equal(0, bytes[TagCountAt]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(FirstTagAt)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt)));
    }

    [Fact]
    public void Write_Compressed_SetsFlagAlgorithmAndOriginalLength()
    {
        var stored = new byte[] { 9, 8, 7, 6, 5 };

        var bytes = Write(stored, tags: ["t"], compression: CacheCompressionAlgorithm.Zstd, originalLength: 100);

        Assert.Equal(0x04, bytes[5]);
        Assert.Equal((byte)CacheCompressionAlgorithm.Zstd, bytes[CompressionAt]);
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt)));
        Assert.Equal(stored.Length, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(FirstTagAt + 3)));
        Assert.Equal(stored, bytes[(FirstTagAt + 7)..^4]);
    }

    [Fact]
    public void Write_CompressedWithNegativeFlag_KeepsBothFlags()
    {
        var bytes = Write([1, 2], EnvelopeFlags.Negative, compression: CacheCompressionAlgorithm.GZip, originalLength: 10);

        Assert.Equal(0x04 | 0x02, bytes[5]);
        Assert.True(Read(bytes, out var header, out _, out _, out _));
        Assert.Equal(EnvelopeFlags.Negative | EnvelopeFlags.Compressed, header.Flags);
    }

    [Theory]
    [InlineData(CacheCompressionAlgorithm.GZip)]
    [InlineData(CacheCompressionAlgorithm.Brotli)]
    [InlineData(CacheCompressionAlgorithm.Zstd)]
    [InlineData(CacheCompressionAlgorithm.Lz4)]
    public void TryRead_Compressed_ReturnsAlgorithmOriginalLengthTagsAndStoredRange(CacheCompressionAlgorithm algorithm)
    {
        var stored = new byte[] { 9, 8, 7 };
        var bytes = Write(stored, tags: ["b", "a"], compression: algorithm, originalLength: 1000);

        Assert.True(Read(bytes, out var header, out var offset, out var length, out _));

        Assert.Equal(algorithm, header.Compression);
        Assert.Equal(1000, header.OriginalLength);
        Assert.Equal(["b", "a"], header.Tags!);
        Assert.Equal(CreatedAt, header.CreatedAtMs);
        Assert.Equal(ExpiresAt, header.ExpiresAtMs);
        Assert.Equal(stored, bytes.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void TryRead_UncompressedWithoutTags_HasNullTagsAndPayloadAsOriginal()
    {
        var bytes = Write("payload"u8.ToArray());

        Assert.True(Read(bytes, out var header, out var offset, out var length, out _));

        Assert.Equal(new EnvelopeHeader(EnvelopeFlags.None, CreatedAt, ExpiresAt, CacheCompressionAlgorithm.None, 7, null), header);
        Assert.Equal("payload"u8.ToArray(), bytes.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void TryRead_NullValueWithTags_Succeeds()
    {
        var bytes = Write([], EnvelopeFlags.NullValue, tags: ["t"]);

        Assert.True(Read(bytes, out var header, out _, out var length, out _));
        Assert.Equal(EnvelopeFlags.NullValue, header.Flags);
        Assert.Equal(["t"], header.Tags!);
        Assert.Equal(0, length);
    }

    [Fact]
    public void Write_AgreesWithTestSideReader()
    {
        var envelope = EnvelopeBytes.Parse(Write([1, 2, 3, 4], tags: ["x", "yz"], compression: CacheCompressionAlgorithm.Brotli, originalLength: 77));

        Assert.True(envelope.IsWellFormed);
        Assert.Equal(2, envelope.Version);
        Assert.True(envelope.IsCompressed);
        Assert.Equal((byte)CacheCompressionAlgorithm.Brotli, envelope.Compression);
        Assert.Equal(77u, envelope.OriginalLength);
        Assert.Equal(["x", "yz"], envelope.Tags);
        Assert.Equal(CreatedAt, envelope.CreatedAtMs);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, envelope.Payload.ToArray());
    }

    [Fact]
    public void Write_MaximumTagsOfMaximumLength_RoundTrips()
    {
        // 64 tags of 256 characters that take 3 UTF-8 bytes each: the largest tag list an entry can carry.
        var tags = Enumerable.Range(0, CacheEntryOptions.MaximumTagCount)
            .Select(i => ((char)('一' + i)).ToString() + new string('€', CacheEntryOptions.MaximumTagLength - 1))
            .ToArray();

        var bytes = Write("p"u8.ToArray(), tags: tags);

        Assert.True(Read(bytes, out var header, out var offset, out var length, out _));
        Assert.Equal(tags, header.Tags);
        Assert.Equal("p"u8.ToArray(), bytes.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void TryRead_TagLengthRunningPastTheEnd_IsMalformedTags()
    {
        var bytes = Write("p"u8.ToArray(), tags: ["abc"]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(FirstTagAt), ushort.MaxValue);

        Assert.Equal(CacheEntryRejectReason.MalformedTags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_ZeroLengthTag_IsMalformedTags()
    {
        var bytes = Write("p"u8.ToArray(), tags: ["abc"]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(FirstTagAt), 0);

        Assert.Equal(CacheEntryRejectReason.MalformedTags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0x61 })] // never valid in UTF-8
    [InlineData(new byte[] { 0xC3, 0x28 })] // a lead byte without its continuation
    [InlineData(new byte[] { 0xED, 0xA0 })] // the start of an encoded surrogate
    public void TryRead_TagNotValidUtf8_IsMalformedTags(byte[] tagBytes)
    {
        var bytes = Write("p"u8.ToArray(), tags: ["ab"]);
        tagBytes.CopyTo(bytes, FirstTagAt + 2);

        Assert.Equal(CacheEntryRejectReason.MalformedTags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_TagCountBeyondTheTagsPresent_IsRejected()
    {
        // One tag written, two declared: the second "tag" is read from the payload length and payload, which cannot
        // then be found; whatever field the reader trips on first, the entry is never accepted.
        var bytes = Write("p"u8.ToArray(), tags: ["a"]);
        bytes[TagCountAt] = 2;

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(255)]
    public void TryRead_TagCountWithoutAnyTags_IsRejected(byte count)
    {
        var bytes = Write("payload"u8.ToArray());
        bytes[TagCountAt] = count;

        Assert.False(Read(EnvelopeBytes.WithChecksum(bytes), out _, out _, out _, out var reason));
        Assert.Contains(reason, new[] { CacheEntryRejectReason.LengthMismatch, CacheEntryRejectReason.MalformedTags });
    }

    [Fact]
    public void TryRead_CompressedFlagWithoutAlgorithm_IsUnknownCompression()
    {
        var bytes = Write("p"u8.ToArray());
        bytes[5] |= 0x04;

        Assert.Equal(CacheEntryRejectReason.UnknownCompression, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_AlgorithmWithoutCompressedFlag_IsUnknownCompression()
    {
        var bytes = Write([1, 2, 3], compression: CacheCompressionAlgorithm.GZip, originalLength: 10);
        bytes[5] &= 0xFB;

        Assert.Equal(CacheEntryRejectReason.UnknownCompression, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(255)]
    public void TryRead_UnknownAlgorithm_IsUnknownCompression(byte algorithm)
    {
        var bytes = Write([1, 2, 3], compression: CacheCompressionAlgorithm.GZip, originalLength: 10);
        bytes[CompressionAt] = algorithm;

        Assert.Equal(CacheEntryRejectReason.UnknownCompression, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_CompressedNullValue_IsUnknownCompression()
    {
        // A null has no payload to compress: the combination is not one a writer produces.
        var bytes = Write([], EnvelopeFlags.NullValue);
        bytes[5] |= 0x04;
        bytes[CompressionAt] = (byte)CacheCompressionAlgorithm.GZip;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt), 10);

        Assert.Equal(CacheEntryRejectReason.UnknownCompression, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(6u)]
    [InlineData(8u)]
    [InlineData(uint.MaxValue)]
    public void TryRead_UncompressedOriginalLengthOtherThanPayloadLength_IsLengthMismatch(uint originalLength)
    {
        var bytes = Write("payload"u8.ToArray());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt), originalLength);

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData((uint)int.MaxValue + 1)]
    [InlineData(uint.MaxValue)]
    public void TryRead_CompressedOriginalLengthZeroOrOverIntMax_IsLengthMismatch(uint originalLength)
    {
        var bytes = Write([1, 2, 3], compression: CacheCompressionAlgorithm.Lz4, originalLength: 10);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(OriginalLengthAt), originalLength);

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_Version1WithCompressedFlag_IsUnknownFlags()
    {
        // Flag 0x04 exists only in version 2: a version 1 entry carrying it is not one any writer produced.
        var bytes = WriteVersion1("p"u8.ToArray());
        bytes[5] |= 0x04;

        Assert.Equal(CacheEntryRejectReason.UnknownFlags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(0x08)]
    [InlineData(0x80)]
    public void TryRead_Version2WithUnknownFlag_IsUnknownFlags(byte flag)
    {
        var bytes = Write("p"u8.ToArray());
        bytes[5] |= flag;

        Assert.Equal(CacheEntryRejectReason.UnknownFlags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_Version1BytesRelabelledVersion2_IsLengthMismatch()
    {
        // Too short for version 2's fixed fields.
        var bytes = WriteVersion1("p"u8.ToArray());
        bytes[4] = 2;

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_Version3_IsUnsupportedVersion()
    {
        var bytes = Write("p"u8.ToArray());
        bytes[4] = 3;

        Assert.Equal(CacheEntryRejectReason.UnsupportedVersion, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_EveryResealedTruncation_IsRejectedWithoutThrowing()
    {
        var bytes = Write([1, 2, 3, 4, 5], tags: ["tag-one", "tag-two"], compression: CacheCompressionAlgorithm.GZip, originalLength: 50);

        for (var length = Envelope.FixedOverhead + 1; length < bytes.Length; length++)
        {
            var truncated = bytes[..length];
            Assert.False(Read(EnvelopeBytes.WithChecksum(truncated), out _, out _, out _, out _), $"length {length}");
        }
    }

    [Fact]
    public void TryRead_RandomVersion2FieldsResealed_NeverThrows()
    {
        // The fields are read from untrusted bytes behind a valid checksum: no value may make the reader throw.
        var original = Write([1, 2, 3, 4, 5], tags: ["tag-one", "tag-two"]);
        var random = new Random(2024);

        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            random.NextBytes(bytes.AsSpan(CompressionAt, bytes.Length - 4 - CompressionAt));
            _ = Read(EnvelopeBytes.WithChecksum(bytes), out _, out _, out _, out _);
        }
    }

    private static byte[] Write(
        byte[] payload,
        EnvelopeFlags flags = EnvelopeFlags.None,
        string[]? tags = null,
        CacheCompressionAlgorithm compression = CacheCompressionAlgorithm.None,
        int originalLength = 0)
    {
        using var writer = new PooledBufferWriter();
        var offset = Envelope.WriteHeader(writer, Codec, Fingerprint, Schema, KeyCheck, flags, CreatedAt, ExpiresAt, version2: true, tags);
        writer.Write(payload);
        if (compression != CacheCompressionAlgorithm.None)
        {
            Envelope.SetCompression(writer.WrittenSpan, compression, originalLength);
        }

        Envelope.Complete(writer, offset);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] WriteVersion1(byte[] payload) => EnvelopeTests.Write(payload);
}
