using CacheSerial.TestSupport.Envelopes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// <see cref="CacheSerialOptions.Compression"/>, for every algorithm: payloads above the threshold are stored compressed
/// (envelope version 2, flag 0x04) when that makes them smaller, and read back by any cache whatever its own setting; a
/// compressed payload that does not decompress to exactly its declared length is a logged miss
/// (<see cref="CacheEntryRejectReason.CompressionError"/>), and a declared length over
/// <see cref="CacheSerialOptions.MaximumPayloadBytes"/> is rejected before anything is decompressed.
/// </summary>
public abstract class CompressionBehaviourTests : BehaviourTestBase
{
    private const string Key = "k";

    // Entries these tests read back through the store (or tamper with): a memory tier must not answer for them.
    private static readonly CacheEntryOptions StoreOnly = new() { Flags = CacheEntryFlags.SkipLocalWrite };

    /// <summary>About 9 KB of JSON that every algorithm shrinks to a fraction.</summary>
    private static readonly List<Sample> Compressible =
        [.. Enumerable.Range(0, 300).Select(i => new Sample("compressible sample name", i % 10))];

    public static TheoryData<CacheCompressionAlgorithm> Algorithms => new()
    {
        CacheCompressionAlgorithm.GZip,
        CacheCompressionAlgorithm.Brotli,
        CacheCompressionAlgorithm.Zstd,
        CacheCompressionAlgorithm.Lz4,
    };

    public static TheoryData<CacheCompressionAlgorithm, string> Damages
    {
        get
        {
            var data = new TheoryData<CacheCompressionAlgorithm, string>();
            foreach (var algorithm in Algorithms)
            {
                foreach (var damage in new[] { "garbled-start", "truncated", "declared-longer", "declared-shorter" })
                {
                    data.Add(algorithm, damage);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task LargeCompressibleValue_IsStoredCompressedAndRoundTrips(CacheCompressionAlgorithm algorithm)
    {
        using var plain = CreateHarness();
        using var h = Compressing(algorithm);
        await plain.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        await h.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var uncompressed = EnvelopeBytes.Parse((await plain.ReadRawAsync(Key, Ct))!);
        var stored = await h.ReadRawAsync(Key, Ct);

        var envelope = EnvelopeBytes.Parse(stored!);
        Assert.True(envelope.IsWellFormed);
        Assert.Equal(2, envelope.Version);
        Assert.Equal(EnvelopeBytes.CompressedFlag, envelope.Flags);
        Assert.Equal((byte)algorithm, envelope.Compression);
        Assert.Equal((uint)uncompressed.PayloadLength, envelope.OriginalLength);
        Assert.True(stored!.Length < uncompressed.Bytes.Length / 2, $"{stored.Length} bytes stored, {uncompressed.Bytes.Length} uncompressed");
        Assert.Equal(Compressible, await h.Cache.GetAsync<List<Sample>>(Key, cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task CompressedEntry_ReadByCacheWithCompressionOffOrAnotherAlgorithm_RoundTrips(CacheCompressionAlgorithm algorithm)
    {
        // Readers decompress whatever an entry names, so the setting can change while older entries are stored.
        using var writer = Compressing(algorithm);
        using var off = CreateHarness(prefix: writer.Prefix);
        using var other = Compressing(
            algorithm == CacheCompressionAlgorithm.Lz4 ? CacheCompressionAlgorithm.GZip : CacheCompressionAlgorithm.Lz4, writer.Prefix);

        await writer.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);

        Assert.Equal(Compressible, await off.Cache.GetAsync<List<Sample>>(Key, cancellationToken: Ct));
        Assert.Equal(Compressible, await other.Cache.GetAsync<List<Sample>>(Key, cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task GetOrCreate_LargeValue_StoredCompressedAndServedAgainWithoutFactory(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm);
        using var reader = Compressing(algorithm, h.Prefix);
        var runs = new Counter();

        var created = await h.Cache.GetOrCreateAsync(Key, Counting(runs, Compressible), cancellationToken: Ct);
        await AssertEventuallyStoredAsync(reader, Key, Compressible);
        var again = await h.Cache.GetOrCreateAsync(Key, Counting(runs, new List<Sample>()), cancellationToken: Ct);

        Assert.Equal(Compressible, created);
        Assert.Equal(Compressible, again);
        Assert.Equal(1, runs.Value);
        Assert.True(EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!).IsCompressed);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task SetManyAndGetMany_LargeValues_StoredCompressedAndRoundTrip(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm);
        using var reader = Compressing(algorithm, h.Prefix);
        var other = Compressible.Select(s => s with { Number = s.Number + 1 }).ToList();

        await h.Cache.SetManyAsync<List<Sample>>([new("a", Compressible), new("b", other)], StoreOnly, Ct);
        var results = await reader.Cache.GetManyAsync<List<Sample>>(["a", "b"], cancellationToken: Ct);

        Assert.Equal(Compressible, results[0].Value);
        Assert.Equal(other, results[1].Value);
        Assert.True(EnvelopeBytes.Parse((await h.ReadRawAsync("a", Ct))!).IsCompressed);
        Assert.True(EnvelopeBytes.Parse((await h.ReadRawAsync("b", Ct))!).IsCompressed);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task PayloadAtThreshold_IsStoredVersion2Uncompressed_OneByteOverIsCompressed(CacheCompressionAlgorithm algorithm)
    {
        // "Payloads of at most Threshold bytes are stored as they are."
        using var probe = CreateHarness();
        await probe.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var payloadLength = EnvelopeBytes.Parse((await probe.ReadRawAsync(Key, Ct))!).PayloadLength;
        using var atThreshold = Compressing(algorithm, threshold: payloadLength);
        using var belowThreshold = Compressing(algorithm, threshold: payloadLength - 1);

        await atThreshold.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        await belowThreshold.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);

        var stored = EnvelopeBytes.Parse((await atThreshold.ReadRawAsync(Key, Ct))!);
        Assert.Equal(2, stored.Version);
        Assert.False(stored.IsCompressed);
        Assert.Equal(0, stored.Compression);
        Assert.Equal((uint)payloadLength, stored.OriginalLength);
        Assert.Equal(payloadLength, stored.PayloadLength);
        Assert.True(EnvelopeBytes.Parse((await belowThreshold.ReadRawAsync(Key, Ct))!).IsCompressed);
        Assert.Equal(Compressible, await atThreshold.Cache.GetAsync<List<Sample>>(Key, cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task SmallValue_UnderDefaultThreshold_IsStoredUncompressed(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm, threshold: CacheCompressionOptions.DefaultThreshold);

        await h.Cache.SetAsync(Key, new Sample("small", 1), StoreOnly, Ct);

        var stored = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        Assert.Equal(2, stored.Version);
        Assert.False(stored.IsCompressed);
        Assert.Equal(new Sample("small", 1), await h.Cache.GetAsync<Sample>(Key, cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task IncompressibleValueAboveThreshold_IsStoredUncompressed(CacheCompressionAlgorithm algorithm)
    {
        // MessagePack writes a byte[] as raw bytes: random bytes cannot shrink, so the compressed form is not kept.
        using var h = Compressing(algorithm, build: b => b.UseMessagePack());
        var random = new byte[8192];
        new Random(1234).NextBytes(random);

        await h.Cache.SetAsync(Key, random, StoreOnly, Ct);

        var stored = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        Assert.True(stored.IsWellFormed);
        Assert.False(stored.IsCompressed);
        Assert.Equal(0, stored.Compression);
        Assert.Equal((uint)stored.PayloadLength, stored.OriginalLength);
        Assert.Equal(random, await h.Cache.GetAsync<byte[]>(Key, cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task SkipCompressionFlag_StoresCallsValueUncompressed(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm);
        var skip = new CacheEntryOptions { Flags = CacheEntryFlags.SkipCompression | CacheEntryFlags.SkipLocalWrite };

        await h.Cache.SetAsync("set", Compressible, skip, Ct);
        await h.Cache.SetManyAsync<List<Sample>>([new("many", Compressible)], skip, Ct);
        await h.Cache.SetAsync("default", Compressible, StoreOnly, Ct);

        Assert.False(EnvelopeBytes.Parse((await h.ReadRawAsync("set", Ct))!).IsCompressed);
        Assert.False(EnvelopeBytes.Parse((await h.ReadRawAsync("many", Ct))!).IsCompressed);
        Assert.True(EnvelopeBytes.Parse((await h.ReadRawAsync("default", Ct))!).IsCompressed);
        Assert.Equal(Compressible, await h.Cache.GetAsync<List<Sample>>("set", cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task NullValue_WithCompressionOn_IsCachedNull(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm, threshold: 0);

        await h.Cache.SetAsync<List<Sample>?>(Key, null, StoreOnly, Ct);
        var result = await h.Cache.TryGetAsync<List<Sample>?>(Key, cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Null(result.Value);
        Assert.False(EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!).IsCompressed);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task TaggedCompressedEntry_CarriesTagsAndIsRemovedByTag(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm);

        await h.Cache.SetAsync(Key, Compressible, new CacheEntryOptions { Tags = ["catalogue"], Flags = CacheEntryFlags.SkipLocalWrite }, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        var before = await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct);
        await h.Cache.RemoveByTagAsync("catalogue", Ct);
        var after = await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct);

        Assert.True(envelope.IsCompressed);
        Assert.Equal(["catalogue"], envelope.Tags);
        Assert.Equal(Compressible, before.Value);
        Assert.False(after.HasValue);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedCompressedPayload_IsMissLoggedAsCompressionErrorAndRegenerated(CacheCompressionAlgorithm algorithm, string damage)
    {
        using var h = Compressing(algorithm);
        await h.WriteRawAsync(Key, await DamagedAsync(h, damage), Ct);
        var runs = new Counter();
        var regenerated = new List<Sample> { new("regenerated", 2) };

        var read = await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct);
        var record = Assert.Single(h.LogRecords(2001));
        var created = await h.Cache.GetOrCreateAsync(Key, Counting(runs, regenerated), cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains(nameof(CacheEntryRejectReason.CompressionError), record.Message, StringComparison.Ordinal);
        Assert.Equal(regenerated, created);
        Assert.Equal(1, runs.Value);
        await AssertEventuallyStoredAsync(h, Key, regenerated);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task DamagedCompressedPayload_ThrowPolicy_ThrowsWithCompressionError(CacheCompressionAlgorithm algorithm)
    {
        using var h = Compressing(algorithm, configure: o => o.OnDeserializationFailure = DeserializationFailureBehavior.Throw);
        await h.WriteRawAsync(Key, await DamagedAsync(h, "garbled-start"), Ct);

        var thrown = await Assert.ThrowsAsync<CacheEntryRejectedException>(
            async () => await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct));

        Assert.Equal(CacheEntryRejectReason.CompressionError, thrown.Reason);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task DeclaredOriginalLengthOverMaximumPayloadBytes_IsRejectedAsTooLargeBeforeDecompressing(CacheCompressionAlgorithm algorithm)
    {
        // Had it been decompressed into 64 MiB, the short stream would have been a CompressionError: the reason shows
        // the declared length was checked first (no allocation of what the header claims).
        using var h = Compressing(algorithm);
        await h.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        await h.WriteRawAsync(Key, envelope.WithOriginalLength(64 * 1024 * 1024), Ct);

        var read = await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.PayloadTooLarge), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task SmallEntryThatDecompressesOverReadersLimit_IsRejectedAsTooLarge(CacheCompressionAlgorithm algorithm)
    {
        // A genuine "bomb" for a reader with a lower limit: 200 KB of one character stored in a few hundred bytes.
        using var writer = Compressing(algorithm);
        using var reader = Compressing(algorithm, writer.Prefix, configure: o => o.MaximumPayloadBytes = 100_000);
        var bomb = new string('x', 200_000);
        await writer.Cache.SetAsync(Key, bomb, StoreOnly, Ct);
        Assert.True((await writer.ReadRawAsync(Key, Ct))!.Length < 10_000);

        var read = await reader.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.PayloadTooLarge), Assert.Single(reader.LogRecords(2001)).Message, StringComparison.Ordinal);
        Assert.Equal(bomb, await writer.Cache.GetAsync<string>(Key, cancellationToken: Ct));
    }

    [Theory]
    [InlineData((byte)9)]
    [InlineData((byte)0xFF)]
    public async Task UnknownAlgorithmByte_IsMissLoggedAsUnknownCompression(byte algorithm)
    {
        using var h = Compressing(CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        await h.WriteRawAsync(Key, envelope.WithCompression(algorithm), Ct);

        var read = await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.UnknownCompression), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompressedFlagCleared_AlgorithmStillNamed_IsMissLoggedAsUnknownCompression()
    {
        using var h = Compressing(CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        await h.WriteRawAsync(Key, envelope.WithFlags(0), Ct);

        Assert.False((await h.Cache.TryGetAsync<List<Sample>>(Key, cancellationToken: Ct)).HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.UnknownCompression), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    private CacheHarness Compressing(
        CacheCompressionAlgorithm algorithm,
        string? prefix = null,
        int threshold = 256,
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null) =>
        CreateHarness(
            o =>
            {
                o.Compression = new CacheCompressionOptions { Algorithm = algorithm, Threshold = threshold };
                configure?.Invoke(o);
            },
            build,
            prefix: prefix);

    /// <summary>A compressed entry of <see cref="Compressible"/> damaged as <paramref name="damage"/> says, its CRC re-sealed.</summary>
    private static async Task<byte[]> DamagedAsync(CacheHarness h, string damage)
    {
        await h.Cache.SetAsync(Key, Compressible, StoreOnly, Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(Key, Ct))!);
        Assert.True(envelope.IsCompressed);
        return damage switch
        {
            // The stream's header and first block: no algorithm decodes this to the declared length.
            "garbled-start" => envelope.With(b => b.AsSpan(envelope.PayloadOffset, 8).Fill(0xA5)),
            "truncated" => envelope.WithPayload(envelope.Payload[..(envelope.PayloadLength / 2)]),
            "declared-longer" => envelope.WithOriginalLength(envelope.OriginalLength + 1),
            "declared-shorter" => envelope.WithOriginalLength(envelope.OriginalLength - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(damage), damage, null),
        };
    }
}
