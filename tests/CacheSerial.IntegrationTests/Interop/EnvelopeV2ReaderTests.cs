using System.Globalization;
using System.Text.Json;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>
/// The Python and Node readers (samples/interop) read envelope version 2 as CacheSerial writes it, on both stores: tags
/// (printed with <c>--metadata</c>), GZip payloads (and Brotli in Node) decompressed to exactly their declared length,
/// algorithms outside their standard library refused by name, corrupt or oversized payloads refused before or while
/// decompressing, and entries a <c>RemoveByTagAsync</c> or <c>ClearAsync</c> invalidated refused through the markers.
/// </summary>
public sealed class EnvelopeV2ReaderTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    public const string Native = "native";
    public const string RedisCache = "rediscache";

    // A note long enough, and repetitive enough, for every algorithm to shrink it.
    private static readonly InteropOrder Order = new(
        7,
        "Zoë \"Q\" 鍵 \uD83D\uDE00",
        3.25,
        false,
        string.Concat(Enumerable.Repeat("fragile, this side up; ", 60)),
        new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero),
        new InteropAddress("Bern", "3000"));

    private static readonly string[] Tags = ["orders", "customer:7", "région-é"];

    private static readonly CacheEntryOptions Tagged = new() { Expiration = TimeSpan.FromMinutes(5), Tags = Tags };

    private static readonly CacheEntryOptions Untagged = new() { Expiration = TimeSpan.FromMinutes(5) };

    public static TheoryData<string, string> ReadersAndStores => new()
    {
        { EnvelopeReaderProcess.Python, Native },
        { EnvelopeReaderProcess.Node, Native },
        { EnvelopeReaderProcess.Python, RedisCache },
        { EnvelopeReaderProcess.Node, RedisCache },
    };

    public static TheoryData<string> Stores => new() { Native, RedisCache };

    public static TheoryData<string, string, CacheCompressionAlgorithm> UnsupportedAlgorithms => new()
    {
        { EnvelopeReaderProcess.Python, Native, CacheCompressionAlgorithm.Zstd },
        { EnvelopeReaderProcess.Python, RedisCache, CacheCompressionAlgorithm.Zstd },
        { EnvelopeReaderProcess.Node, Native, CacheCompressionAlgorithm.Zstd },
        { EnvelopeReaderProcess.Node, RedisCache, CacheCompressionAlgorithm.Zstd },
        { EnvelopeReaderProcess.Python, Native, CacheCompressionAlgorithm.Lz4 },
        { EnvelopeReaderProcess.Node, RedisCache, CacheCompressionAlgorithm.Lz4 },
        { EnvelopeReaderProcess.Python, RedisCache, CacheCompressionAlgorithm.Brotli },
        { EnvelopeReaderProcess.Python, Native, CacheCompressionAlgorithm.Brotli },
    };

    public static TheoryData<string, string, PayloadDamage> Damages
    {
        get
        {
            var data = new TheoryData<string, string, PayloadDamage>();
            foreach (var reader in (string[])[EnvelopeReaderProcess.Python, EnvelopeReaderProcess.Node])
            {
                foreach (var store in (string[])[Native, RedisCache])
                {
                    foreach (var damage in Enum.GetValues<PayloadDamage>())
                    {
                        data.Add(reader, store, damage);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_TaggedEntry_PrintsValueAndTagsInMetadata(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);

        var run = await RunAsync(reader, store, h, "order:7", "--metadata", "--type", typeof(InteropOrder).FullName!);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("version").GetInt32());
        Assert.Equal(Tags, root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("none", root.GetProperty("compression").GetString());
        Assert.Equal(root.GetProperty("payloadBytes").GetInt32(), root.GetProperty("originalLength").GetInt32());
        Assert.Equal(Order, root.GetProperty("value").Deserialize<InteropOrder>(SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_UntaggedEntry_IsVersion1WithNoTags(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, Untagged, Ct);

        var run = await RunAsync(reader, store, h, "order:7", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
        Assert.Empty(json.RootElement.GetProperty("tags").EnumerateArray());
        Assert.Equal("none", json.RootElement.GetProperty("compression").GetString());
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_GZipEntry_PrintsDecompressedValueAndSizes(string reader, string store)
    {
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        var raw = (await h.ReadRawAsync("order:7", Ct))!;
        Assert.Equal((byte)CacheCompressionAlgorithm.GZip, EnvelopeV2Bytes.Compression(raw));

        var run = await RunAsync(reader, store, h, "order:7", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        var root = json.RootElement;
        Assert.Equal("gzip", root.GetProperty("compression").GetString());
        Assert.Equal((int)EnvelopeV2Bytes.OriginalLength(raw), root.GetProperty("originalLength").GetInt32());
        Assert.True(root.GetProperty("payloadBytes").GetInt32() < root.GetProperty("originalLength").GetInt32(), run.StandardOutput);
        Assert.Equal(Tags, root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Order, root.GetProperty("value").Deserialize<InteropOrder>(SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_GZipCachedNull_PrintsNull(string reader, string store)
    {
        // A null is never compressed, whatever the cache's compression.
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync<InteropOrder?>("none", null, Untagged, Ct);

        var run = await RunAsync(reader, store, h, "none");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("null", run.StandardOutput.Trim());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reader_NodeBrotliEntry_PrintsDecompressedValue(string store)
    {
        using var h = Create(store, CacheCompressionAlgorithm.Brotli);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        Assert.Equal((byte)CacheCompressionAlgorithm.Brotli, EnvelopeV2Bytes.Compression((await h.ReadRawAsync("order:7", Ct))!));

        var run = await RunAsync(EnvelopeReaderProcess.Node, store, h, "order:7", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        Assert.Equal("brotli", json.RootElement.GetProperty("compression").GetString());
        Assert.Equal(Order, json.RootElement.GetProperty("value").Deserialize<InteropOrder>(SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(UnsupportedAlgorithms))]
    public async Task Reader_AlgorithmOutsideStandardLibrary_ExitsRejectedNamingIt(string reader, string store, CacheCompressionAlgorithm algorithm)
    {
        using var h = Create(store, algorithm);
        await h.Cache.SetAsync("order:7", Order, Untagged, Ct);
        Assert.Equal((byte)algorithm, EnvelopeV2Bytes.Compression((await h.ReadRawAsync("order:7", Ct))!));

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"compression {algorithm.ToString().ToLowerInvariant()} not supported by this reader", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task Reader_DamagedGZipPayload_ExitsRejectedOnCompressionError(string reader, string store, PayloadDamage damage)
    {
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync("order:7", Order, Untagged, Ct);
        var raw = (await h.ReadRawAsync("order:7", Ct))!;
        EnvelopeV2Bytes.Damage(raw, damage);
        await h.WriteRawAsync("order:7", raw, Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("compression error", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_DeclaredOriginalLengthOverMaximum_ExitsTooLargeBeforeDecompressing(string reader, string store)
    {
        // A decompression bomb's header: 64 MiB claimed by a small gzip stream. It is refused on the declared length;
        // were it decompressed, the stream would also be found to hold less (a compression error, not this message).
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync("order:7", Order, Untagged, Ct);
        var raw = (await h.ReadRawAsync("order:7", Ct))!;
        EnvelopeV2Bytes.SetOriginalLength(raw, 64 * 1024 * 1024);
        await h.WriteRawAsync("order:7", raw, Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("payload too large", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("not decompressed", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_MaxPayloadBytesBelowOriginalLength_ExitsTooLarge(string reader, string store)
    {
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync("order:7", Order, Untagged, Ct);
        var originalLength = EnvelopeV2Bytes.OriginalLength((await h.ReadRawAsync("order:7", Ct))!);

        var below = await RunAsync(reader, store, h, "order:7", "--max-payload-bytes", (originalLength - 1).ToString(CultureInfo.InvariantCulture));
        var exact = await RunAsync(reader, store, h, "order:7", "--max-payload-bytes", originalLength.ToString(CultureInfo.InvariantCulture));

        Assert.Equal(1, below.ExitCode);
        Assert.Contains("payload too large", below.StandardError, StringComparison.Ordinal);
        Assert.True(exact.ExitCode == 0, exact.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(exact.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_AfterRemoveByTag_ExitsInvalidatedUnlessMarkersSkipped(string reader, string store)
    {
        using var h = Create(store, CacheCompressionAlgorithm.GZip);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        await h.Cache.RemoveByTagAsync("customer:7", Ct);

        var run = await RunAsync(reader, store, h, "order:7");
        var skipped = await RunAsync(reader, store, h, "order:7", "--no-markers");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("invalidated by tag", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("customer:7", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(skipped.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_RemoveByAnotherTag_StillPrintsValue(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        await h.Cache.RemoveByTagAsync("customer:8", Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(run.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_AfterClear_ExitsClearedForVersion1AndVersion2Entries(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("untagged", Order, Untagged, Ct);
        await h.Cache.SetAsync("tagged", Order, Tagged, Ct);
        await h.Cache.ClearAsync(Ct);

        var untagged = await RunAsync(reader, store, h, "untagged");
        var tagged = await RunAsync(reader, store, h, "tagged");

        Assert.Equal(1, untagged.ExitCode);
        Assert.Contains("cleared", untagged.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, tagged.ExitCode);
        Assert.Contains("cleared", tagged.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_EntryWrittenAfterRemoveByTag_PrintsValue(string reader, string store)
    {
        // The marker invalidates what was written up to the removal, not what is written after it.
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        await h.Cache.RemoveByTagAsync("orders", Ct);
        await WaitForNextMillisecondAsync();
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_UnknownVersion_ExitsRejected(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, Tagged, Ct);
        var raw = (await h.ReadRawAsync("order:7", Ct))!;
        raw[4] = 3;
        EnvelopeV2Bytes.Reseal(raw);
        await h.WriteRawAsync("order:7", raw, Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unsupported format version 3", run.StandardError, StringComparison.Ordinal);
    }

    // Entries created in the removal's millisecond count as removed (at or before): wait out the millisecond, as the
    // cache's own clock moves on. Not a timing assertion: only the order of two instants matters.
    private static async Task WaitForNextMillisecondAsync()
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= start)
        {
            await Task.Delay(1, Ct);
        }
    }

    private CacheHarness Create(string store, CacheCompressionAlgorithm algorithm = CacheCompressionAlgorithm.None)
    {
        void Configure(CacheSerialOptions o) =>
            o.Compression = new CacheCompressionOptions { Algorithm = algorithm, Threshold = 0 };
        return store == Native ? CreateNativeHarness(Configure) : CreateHarness(Configure);
    }

    // The native store adds no instance name to its keys; RedisCache puts its InstanceName in front of every key.
    private Task<ReaderRun> RunAsync(string reader, string store, CacheHarness h, string key, params string[] options) =>
        EnvelopeReaderProcess.RunAsync(
            reader,
            Redis.Endpoint,
            key,
            store == Native
                ? ["--prefix", h.Prefix, .. options]
                : ["--prefix", h.Prefix, "--instance-name", RedisFixture.DefaultInstanceName, .. options],
            Ct);
}
