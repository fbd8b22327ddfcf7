using System.Text;
using CacheSerial.TestSupport.Envelopes;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Every stored entry a read cannot trust (foreign bytes, truncation, corruption, another codec, type, schema or key)
/// is a logged miss; get-or-create then returns the factory's value and overwrites the entry. With
/// <see cref="DeserializationFailureBehavior.Throw"/> the read throws and says why.
/// </summary>
public abstract class EnvelopeTamperingBehaviourTests : BehaviourTestBase
{
    private const string Key = "k";
    private static readonly Sample Original = new("original", 1);
    private static readonly Sample Regenerated = new("regenerated", 2);

    // Entries these tests write only to read back through the store (and tamper with): with a memory tier, this
    // process's memory must not answer the read the test is about (a writer in another process is what they stand for).
    private static readonly CacheEntryOptions StoreOnly = new() { Flags = CacheEntryFlags.SkipLocalWrite };

    public static TheoryData<string, CacheEntryRejectReason> Tamperings => new()
    {
        { "random-bytes", CacheEntryRejectReason.NotAnEnvelope },
        { "plain-json", CacheEntryRejectReason.NotAnEnvelope },
        { "wrong-magic", CacheEntryRejectReason.NotAnEnvelope },
        { "short", CacheEntryRejectReason.NotAnEnvelope },
        { "truncated", CacheEntryRejectReason.ChecksumMismatch },
        { "extra-byte", CacheEntryRejectReason.ChecksumMismatch },
        { "bit-flip", CacheEntryRejectReason.ChecksumMismatch },
        { "bad-checksum", CacheEntryRejectReason.ChecksumMismatch },
        { "future-version", CacheEntryRejectReason.UnsupportedVersion },
        { "unknown-flags", CacheEntryRejectReason.UnknownFlags },
        { "wrong-length", CacheEntryRejectReason.LengthMismatch },
        { "wrong-codec", CacheEntryRejectReason.CodecMismatch },
        { "wrong-type", CacheEntryRejectReason.TypeMismatch },
        { "wrong-fingerprint", CacheEntryRejectReason.TypeMismatch },
        { "wrong-schema", CacheEntryRejectReason.SchemaMismatch },
        { "other-key", CacheEntryRejectReason.KeyMismatch },
        { "garbage-payload", CacheEntryRejectReason.CodecError },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task TamperedEntry_IsMissThenRegeneratedAndOverwritten(string tampering, CacheEntryRejectReason reason)
    {
        _ = reason; // the reason is asserted by the logging and Throw-mode tests over the same data
        using var h = CreateHarness();
        await h.WriteRawAsync(Key, await TamperedBytesAsync(h, tampering), Ct);

        await AssertMissThenRegeneratedAsync(h);
    }

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task TamperedEntry_IsLoggedAsRejectedWarningWithReason(string tampering, CacheEntryRejectReason reason)
    {
        using var h = CreateHarness();
        await h.WriteRawAsync(Key, await TamperedBytesAsync(h, tampering), Ct);

        await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct);

        var record = Assert.Single(h.LogRecords(2001));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, record.Level);
        Assert.Contains(reason.ToString(), record.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task TamperedEntry_ThrowPolicy_ThrowsRejectedExceptionWithReason(string tampering, CacheEntryRejectReason reason)
    {
        using var h = CreateHarness(o => o.OnDeserializationFailure = DeserializationFailureBehavior.Throw);
        await h.WriteRawAsync(Key, await TamperedBytesAsync(h, tampering), Ct);
        var runs = new Counter();

        var fromRead = await Assert.ThrowsAsync<CacheEntryRejectedException>(
            async () => await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct));
        var fromGetOrCreate = await Assert.ThrowsAsync<CacheEntryRejectedException>(
            async () => await h.Cache.GetOrCreateAsync(Key, Counting(runs, Regenerated), cancellationToken: Ct));

        Assert.Equal(reason, fromRead.Reason);
        Assert.Equal(reason, fromGetOrCreate.Reason);
        Assert.Equal(0, runs.Value);
        if (reason == CacheEntryRejectReason.CodecError)
        {
            Assert.NotNull(fromRead.InnerException);
        }
    }

    [Fact]
    public async Task RandomBytes_OfManyLengths_AreMisses()
    {
        using var h = CreateHarness();
        var random = new Random(1234);
        foreach (var length in new[] { 1, 3, 4, 5, 16, 58, 59, 60, 61, 100, 1000, 65_536 })
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            await h.WriteRawAsync(Key, bytes, Ct);

            Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue, $"length {length}");
        }
    }

    [Fact]
    public async Task RandomBytesAfterMagic_AreMisses()
    {
        using var h = CreateHarness();
        var random = new Random(5678);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[60 + random.Next(200)];
            random.NextBytes(bytes);
            new byte[] { 0x89, (byte)'C', (byte)'S', (byte)'E', 1 }.CopyTo(bytes, 0);
            await h.WriteRawAsync(Key, bytes, Ct);

            Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue, $"attempt {i}");
        }
    }

    [Fact]
    public async Task EveryTruncation_IsMiss()
    {
        using var h = CreateHarness();
        var original = await OriginalBytesAsync(h);

        for (var length = 1; length < original.Length; length++)
        {
            await h.WriteRawAsync(Key, original[..length], Ct);

            Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue, $"truncated to {length} of {original.Length}");
        }

        await h.WriteRawAsync(Key, original, Ct);
        Assert.Equal(Original, await h.Cache.GetAsync<Sample>(Key, cancellationToken: Ct));
    }

    [Fact]
    public async Task EmptyValue_IsMiss()
    {
        using var h = CreateHarness();
        await h.WriteRawAsync(Key, [], Ct);

        Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue);
    }

    [Theory]
    [InlineData((byte)0x00)]
    [InlineData((byte)0xFF)]
    public async Task OneExtraByte_AppendedOrPrepended_IsMiss(byte extra)
    {
        using var h = CreateHarness();
        var original = await OriginalBytesAsync(h);

        await h.WriteRawAsync(Key, [.. original, extra], Ct);
        var appended = await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct);
        await h.WriteRawAsync(Key, [extra, .. original], Ct);
        var prepended = await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct);

        Assert.False(appended.HasValue);
        Assert.False(prepended.HasValue);
    }

    [Fact]
    public async Task EverySingleBitFlip_IsMiss()
    {
        using var h = CreateHarness();
        var original = await OriginalBytesAsync(h);

        for (var bit = 0; bit < original.Length * 8; bit++)
        {
            var flipped = (byte[])original.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            await h.WriteRawAsync(Key, flipped, Ct);

            Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue, $"bit {bit} of {original.Length * 8}");
        }
    }

    [Fact]
    public async Task WrongCodec_JsonEntryReadByMessagePackCache_IsMissBothWays()
    {
        using var json = CreateHarness();
        using var msgpack = CreateHarness(build: b => b.UseMessagePack(), prefix: json.Prefix);
        await json.Cache.SetAsync("from-json", Original, StoreOnly, Ct);
        await msgpack.Cache.SetAsync("from-msgpack", Original, StoreOnly, Ct);

        Assert.False((await msgpack.Cache.TryGetAsync<Sample>("from-json", cancellationToken: Ct)).HasValue);
        Assert.False((await json.Cache.TryGetAsync<Sample>("from-msgpack", cancellationToken: Ct)).HasValue);
        Assert.Equal(Original, await json.Cache.GetAsync<Sample>("from-json", cancellationToken: Ct));
        Assert.Equal(Original, await msgpack.Cache.GetAsync<Sample>("from-msgpack", cancellationToken: Ct));
    }

    [Fact]
    public async Task WrongType_SameShapeOrOtherType_IsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync(Key, Original, StoreOnly, Ct);

        Assert.False((await h.Cache.TryGetAsync<OtherSample>(Key, cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<VersionedSample>(Key, cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<object>(Key, cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct)).HasValue);
        Assert.Equal(Original, await h.Cache.GetAsync<Sample>(Key, cancellationToken: Ct));
    }

    [Fact]
    public async Task WrongType_IntReadAsLongOrNullableInt_IsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync(Key, 5, StoreOnly, Ct);

        Assert.False((await h.Cache.TryGetAsync<long>(Key, cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<int?>(Key, cancellationToken: Ct)).HasValue);
        Assert.Equal(5, await h.Cache.GetAsync<int>(Key, cancellationToken: Ct));
    }

    [Fact]
    public async Task SchemaVersion_IsWrittenIntoEnvelope_AndAnotherVersionIsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync(Key, new VersionedSample("v", 2), StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);

        Assert.Equal(2, envelope.SchemaVersion);
        foreach (var version in new[] { 0, 1, 3, int.MaxValue })
        {
            await h.WriteRawAsync(Key, envelope.WithSchemaVersion(version), Ct);
            Assert.False((await h.Cache.TryGetAsync<VersionedSample>(Key, cancellationToken: Ct)).HasValue, $"version {version}");
        }

        await h.WriteRawAsync(Key, envelope.WithSchemaVersion(2), Ct);
        Assert.Equal(new VersionedSample("v", 2), await h.Cache.GetAsync<VersionedSample>(Key, cancellationToken: Ct));
    }

    [Fact]
    public async Task OtherKeysEntry_CopiedUnderThisKey_IsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("other", Original, StoreOnly, Ct);

        await h.WriteRawAsync(Key, (await h.ReadRawAsync("other", Ct))!, Ct);

        Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue);
        Assert.Equal(Original, await h.Cache.GetAsync<Sample>("other", cancellationToken: Ct));
    }

    [Fact]
    public async Task SameKeyEntry_FromCacheWithOtherPrefix_CopiedIntoThisStoreKey_IsMiss()
    {
        using var h = CreateHarness();
        using var other = CreateHarness();
        await other.Cache.SetAsync(Key, Original, StoreOnly, Ct);

        await h.WriteRawAsync(Key, (await other.ReadRawAsync(Key, Ct))!, Ct);

        Assert.False((await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task PlainJsonWrittenBySetString_IsMissThenOverwritten()
    {
        using var h = CreateHarness();
        await Store.SetStringAsync(
            h.StoreKey(Key),
            """{"name":"original","number":1}""",
            new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheHarness.RawEntryLifetime },
            Ct);

        await AssertMissThenRegeneratedAsync(h);
    }

    [Fact]
    public async Task NullEntry_WithPayloadBytes_IsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<Sample?>(Key, null, StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);

        await h.WriteRawAsync(Key, envelope.WithPayload("{}"u8), Ct);

        Assert.False((await h.Cache.TryGetAsync<Sample?>(Key, cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task WellFormedEnvelopeAroundOtherValue_IsAccepted()
    {
        // The checks are about trust, not about bytes being unchanged: a re-wrapped valid payload of the same type is
        // accepted. This guards the test helper itself (a patched envelope is otherwise valid).
        using var h = CreateHarness();
        var envelope = EnvelopeBytes.Parse(await OriginalBytesAsync(h));

        await h.WriteRawAsync(Key, envelope.WithPayload("""{"name":"patched","number":9}"""u8), Ct);

        Assert.Equal(new Sample("patched", 9), await h.Cache.GetAsync<Sample>(Key, cancellationToken: Ct));
    }

    private async Task<byte[]> OriginalBytesAsync(CacheHarness h)
    {
        await h.Cache.SetAsync(Key, Original, StoreOnly, Ct);
        var bytes = await h.ReadRawAsync(Key, Ct);
        Assert.NotNull(bytes);
        Assert.True(EnvelopeBytes.Parse(bytes).IsWellFormed);
        return bytes;
    }

    private async Task<byte[]> TamperedBytesAsync(CacheHarness h, string tampering)
    {
        switch (tampering)
        {
            case "random-bytes":
            {
                var bytes = new byte[200];
                new Random(42).NextBytes(bytes);
                bytes[0] = 0x00;
                return bytes;
            }

            case "plain-json":
                return Encoding.UTF8.GetBytes("""{"name":"original","number":1}""");
            case "short":
                return (await OriginalBytesAsync(h))[..40];
            case "other-key":
                await h.Cache.SetAsync("other-key", Original, StoreOnly, Ct);
                return (await h.ReadRawAsync("other-key", Ct))!;
            case "wrong-codec":
            {
                using var msgpack = CreateHarness(build: b => b.UseMessagePack(), prefix: h.Prefix);
                await msgpack.Cache.SetAsync(Key, Original, StoreOnly, Ct);
                return (await h.ReadRawAsync(Key, Ct))!;
            }

            case "wrong-type":
                await h.Cache.SetAsync(Key, new OtherSample("original", 1), StoreOnly, Ct);
                return (await h.ReadRawAsync(Key, Ct))!;
        }

        var original = await OriginalBytesAsync(h);
        var envelope = EnvelopeBytes.Parse(original);
        return tampering switch
        {
            "wrong-magic" => envelope.With(b => b[1] = (byte)'X'),
            "truncated" => original[..^1],
            "extra-byte" => [.. original, 0],
            "bit-flip" => FlipBit(original, envelope.PayloadOffset * 8 + 3),
            "bad-checksum" => FlipBit(original, (original.Length - 1) * 8),
            "future-version" => envelope.WithVersion(3),
            "unknown-flags" => envelope.WithFlags(0x80),
            "wrong-length" => envelope.WithDeclaredPayloadLength(envelope.PayloadLength - 1),
            "wrong-fingerprint" => envelope.WithTypeFingerprint(envelope.TypeFingerprint ^ 1),
            "wrong-schema" => envelope.WithSchemaVersion(7),
            "garbage-payload" => envelope.WithPayload("not json at all"u8),
            _ => throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null),
        };
    }

    private static byte[] FlipBit(byte[] bytes, int bit)
    {
        var copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    /// <summary>The stored entry is a miss; get-or-create runs the factory once and its value replaces the entry.</summary>
    private async Task AssertMissThenRegeneratedAsync(CacheHarness h)
    {
        var runs = new Counter();

        var read = await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct);
        var created = await h.Cache.GetOrCreateAsync(Key, Counting(runs, Regenerated), cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<Sample>(Key, cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Equal(Regenerated, created);
        Assert.Equal(1, runs.Value);
        Assert.Equal(Regenerated, after.Value);
        Assert.True(EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!).IsWellFormed);
    }
}
