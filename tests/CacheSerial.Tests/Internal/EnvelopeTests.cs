using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using CacheSerial.Internal;
using CacheSerial.TestSupport.Envelopes;

namespace CacheSerial.Tests.Internal;

/// <summary>The envelope reader and writer on their own: layout, field values and every rejection reason.</summary>
public sealed class EnvelopeTests
{
    internal static readonly byte[] Codec = Encoding.ASCII.GetBytes("stj");
    internal static readonly byte[] KeyCheck = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
    internal const ulong Fingerprint = 0x0102030405060708UL;
    internal const int Schema = 3;
    internal const long CreatedAt = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    internal const long ExpiresAt = CreatedAt + 60_000;

    [Fact]
    public void FixedOverhead_Is59Bytes()
    {
        Assert.Equal(59, Envelope.FixedOverhead);
    }

    [Fact]
    public void Write_ProducesDocumentedLayout()
    {
        var payload = "{\"a\":1}"u8.ToArray();

        var bytes = Write(payload);

        Assert.Equal(Envelope.FixedOverhead + Codec.Length + payload.Length, bytes.Length);
        AssertHeaderUpToExpiry(bytes, version: 1);
        Assert.Equal(payload.Length, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(54)));
        Assert.Equal(payload, bytes[58..^4]);
        Assert.Equal(Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void Write_AgreesWithTestSideReader()
    {
        var envelope = EnvelopeBytes.Parse(Write("xyz"u8.ToArray()));

        Assert.True(envelope.IsWellFormed);
        Assert.Equal("stj", envelope.CodecName);
        Assert.Equal(Fingerprint, envelope.TypeFingerprint);
        Assert.Equal(Schema, envelope.SchemaVersion);
        Assert.Equal(CreatedAt, envelope.CreatedAtMs);
        Assert.Equal(ExpiresAt, envelope.ExpiresAtMs);
        Assert.Equal("xyz"u8.ToArray(), envelope.Payload.ToArray());
    }

    [Fact]
    public void TryRead_WhatWasWritten_ReturnsHeaderAndPayloadRange()
    {
        var payload = "payload"u8.ToArray();
        var bytes = Write(payload);

        var ok = Read(bytes, out var header, out var offset, out var length, out _);

        Assert.True(ok);
        Assert.Equal(new EnvelopeHeader(EnvelopeFlags.None, CreatedAt, ExpiresAt, OriginalLength: payload.Length), header);
        Assert.Equal(payload, bytes.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void TryRead_NullFlagWithEmptyPayload_Succeeds()
    {
        var bytes = Write([], EnvelopeFlags.NullValue);

        Assert.True(Read(bytes, out var header, out _, out var length, out _));
        Assert.Equal(EnvelopeFlags.NullValue, header.Flags);
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryRead_EmptyPayloadWithoutNullFlag_Succeeds()
    {
        Assert.True(Read(Write([]), out _, out _, out var length, out _));
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryRead_NullFlagWithPayload_IsLengthMismatch()
    {
        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(Write("x"u8.ToArray(), EnvelopeFlags.NullValue)));
    }

    [Fact]
    public void TryRead_ShorterThanMinimum_IsNotAnEnvelope()
    {
        var bytes = Write([]);

        for (var length = 0; length < Envelope.FixedOverhead + 1; length++)
        {
            Assert.Equal(CacheEntryRejectReason.NotAnEnvelope, Reject(bytes[..length]));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryRead_WrongMagicByte_IsNotAnEnvelope(int index)
    {
        var bytes = Write("p"u8.ToArray());
        bytes[index] ^= 0x20;

        Assert.Equal(CacheEntryRejectReason.NotAnEnvelope, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public void TryRead_OtherFormatVersion_IsUnsupportedVersion(byte version)
    {
        var bytes = Write("p"u8.ToArray());
        bytes[4] = version;

        Assert.Equal(CacheEntryRejectReason.UnsupportedVersion, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_AnyCorruptByte_IsChecksumMismatch()
    {
        var bytes = Write("payload"u8.ToArray());

        for (var i = 5; i < bytes.Length; i++) // past magic and version, which are checked first
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[i] ^= 0xFF;
            Assert.Equal(CacheEntryRejectReason.ChecksumMismatch, Reject(corrupt));
        }
    }

    [Theory]
    [InlineData((byte)0x04)]
    [InlineData((byte)0x80)]
    [InlineData((byte)0xFF)]
    public void TryRead_UnknownFlagBits_IsUnknownFlags(byte flags)
    {
        var bytes = Write([]);
        bytes[5] = flags;

        Assert.Equal(CacheEntryRejectReason.UnknownFlags, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_OtherCodecName_IsCodecMismatch()
    {
        var bytes = Write("p"u8.ToArray());

        Assert.False(Envelope.TryRead(bytes, "msgpack"u8, Fingerprint, Schema, KeyCheck, out _, out _, out _, out var reason));
        Assert.Equal(CacheEntryRejectReason.CodecMismatch, reason);
        Assert.False(Envelope.TryRead(bytes, "stj2"u8, Fingerprint, Schema, KeyCheck, out _, out _, out _, out reason));
        Assert.Equal(CacheEntryRejectReason.CodecMismatch, reason);
        Assert.False(Envelope.TryRead(bytes, "st"u8, Fingerprint, Schema, KeyCheck, out _, out _, out _, out reason));
        Assert.Equal(CacheEntryRejectReason.CodecMismatch, reason);
    }

    [Fact]
    public void TryRead_CodecNameLengthBeyondData_IsLengthMismatch()
    {
        var bytes = Write([]);
        bytes[6] = 200;

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void TryRead_OtherFingerprint_IsTypeMismatch()
    {
        var bytes = Write("p"u8.ToArray());

        Assert.False(Envelope.TryRead(bytes, Codec, Fingerprint + 1, Schema, KeyCheck, out _, out _, out _, out var reason));
        Assert.Equal(CacheEntryRejectReason.TypeMismatch, reason);
    }

    [Fact]
    public void TryRead_OtherSchemaVersion_IsSchemaMismatch()
    {
        var bytes = Write("p"u8.ToArray());

        Assert.False(Envelope.TryRead(bytes, Codec, Fingerprint, Schema + 1, KeyCheck, out _, out _, out _, out var reason));
        Assert.Equal(CacheEntryRejectReason.SchemaMismatch, reason);
    }

    [Fact]
    public void TryRead_OtherKeyCheck_IsKeyMismatch()
    {
        var bytes = Write("p"u8.ToArray());
        var other = (byte[])KeyCheck.Clone();
        other[15] ^= 1;

        Assert.False(Envelope.TryRead(bytes, Codec, Fingerprint, Schema, other, out _, out _, out _, out var reason));
        Assert.Equal(CacheEntryRejectReason.KeyMismatch, reason);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void TryRead_DeclaredPayloadLengthWrong_IsLengthMismatch(int delta)
    {
        var bytes = Write("payload"u8.ToArray());
        var declared = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(54));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(54), unchecked(declared + delta));

        Assert.Equal(CacheEntryRejectReason.LengthMismatch, Reject(EnvelopeBytes.WithChecksum(bytes)));
    }

    [Fact]
    public void Write_LongCodecName_RoundTrips()
    {
        var name = Encoding.ASCII.GetBytes(new string('c', CodecInfo.MaxNameLength));
        using var writer = new PooledBufferWriter();
        var offset = Envelope.WriteHeader(writer, name, Fingerprint, Schema, KeyCheck, EnvelopeFlags.None, CreatedAt, ExpiresAt);
        writer.Write("p"u8);
        Envelope.Complete(writer, offset);

        Assert.True(Envelope.TryRead(writer.WrittenSpan, name, Fingerprint, Schema, KeyCheck, out _, out var payloadOffset, out var length, out _));
        Assert.Equal("p"u8.ToArray(), writer.WrittenSpan.Slice(payloadOffset, length).ToArray());
    }

    /// <summary>The fields both versions share, byte by byte: magic, version, flags, codec, fingerprint, schema, key check, times.</summary>
    internal static void AssertHeaderUpToExpiry(byte[] bytes, byte version)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'C', (byte)'S', (byte)'E' }, bytes[..4]);
        Assert.Equal(version, bytes[4]);
        Assert.Equal(0, bytes[5]);
        Assert.Equal(3, bytes[6]);
        Assert.Equal(Codec, bytes[7..10]);
        Assert.Equal(Fingerprint, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(10)));
        Assert.Equal(Schema, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(18)));
        Assert.Equal(KeyCheck, bytes[22..38]);
        Assert.Equal(CreatedAt, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(38)));
        Assert.Equal(ExpiresAt, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(46)));
    }

    /// <summary>A version 1 envelope of <paramref name="payload"/> with the fixed inputs above (EnvelopeV2Tests uses them too).</summary>
    internal static byte[] Write(byte[] payload, EnvelopeFlags flags = EnvelopeFlags.None)
    {
        using var writer = new PooledBufferWriter();
        var offset = Envelope.WriteHeader(writer, Codec, Fingerprint, Schema, KeyCheck, flags, CreatedAt, ExpiresAt);
        Assert.Equal(Envelope.FixedOverhead - 4 + Codec.Length, offset);
        writer.Write(payload);
        Envelope.Complete(writer, offset);
        return writer.WrittenSpan.ToArray();
    }

    internal static bool Read(byte[] bytes, out EnvelopeHeader header, out int offset, out int length, out CacheEntryRejectReason reason) =>
        Envelope.TryRead(bytes, Codec, Fingerprint, Schema, KeyCheck, out header, out offset, out length, out reason);

    internal static CacheEntryRejectReason Reject(byte[] bytes)
    {
        Assert.False(Read(bytes, out _, out _, out _, out var reason));
        return reason;
    }
}
