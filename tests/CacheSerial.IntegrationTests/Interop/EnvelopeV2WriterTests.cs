using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>
/// The Python and Node writers (samples/interop/*/write_entry.*) write envelope version 2, on both stores: tagged and
/// GZip-compressed entries (Brotli from Node) are hits in .NET, a .NET <c>RemoveByTagAsync</c> or <c>ClearAsync</c>
/// drops them like .NET's own entries, and a compressed payload that is damaged or declares more than
/// <see cref="CacheSerialOptions.MaximumPayloadBytes"/> is a miss, never a wrong value.
/// </summary>
public sealed class EnvelopeV2WriterTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    public const string Native = "native";
    public const string RedisCache = "rediscache";

    private static readonly InteropOrder Order = new(
        99,
        "Zoë \"Q\" 鍵 \uD83D\uDE00",
        7.75,
        true,
        string.Concat(Enumerable.Repeat("keep dry, keep upright; ", 60)),
        new DateTimeOffset(2026, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2)),
        new InteropAddress("Genève", "1201"));

    private static readonly CacheEntryOptions FiveMinutes = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static readonly string OrderType = typeof(InteropOrder).FullName!;

    public static TheoryData<string, string> WritersAndStores => new()
    {
        { EnvelopeReaderProcess.Python, Native },
        { EnvelopeReaderProcess.Node, Native },
        { EnvelopeReaderProcess.Python, RedisCache },
        { EnvelopeReaderProcess.Node, RedisCache },
    };

    public static TheoryData<string> Writers => new() { EnvelopeReaderProcess.Python, EnvelopeReaderProcess.Node };

    public static TheoryData<string> Stores => new() { Native, RedisCache };

    public static TheoryData<string, string, PayloadDamage> Damages
    {
        get
        {
            var data = new TheoryData<string, string, PayloadDamage>();
            foreach (var writer in (string[])[EnvelopeReaderProcess.Python, EnvelopeReaderProcess.Node])
            {
                foreach (var store in (string[])[Native, RedisCache])
                {
                    foreach (var damage in Enum.GetValues<PayloadDamage>())
                    {
                        data.Add(writer, store, damage);
                    }
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string> InvalidTags => new()
    {
        { EnvelopeReaderProcess.Python, "*" },
        { EnvelopeReaderProcess.Node, "*" },
        { EnvelopeReaderProcess.Python, "a,,b" },
        { EnvelopeReaderProcess.Node, " " },
        { EnvelopeReaderProcess.Python, "tab\there" },
        { EnvelopeReaderProcess.Node, "bell\u0007" },
        { EnvelopeReaderProcess.Python, new string('t', CacheEntryOptions.MaximumTagLength + 1) },
        { EnvelopeReaderProcess.Node, new string('t', CacheEntryOptions.MaximumTagLength + 1) },
    };

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_TaggedGZipEntry_IsReadByCacheAsHit(string writer, string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType, "--tags", "orders,customer:99", "--compress", "gzip");
        var raw = (await h.ReadRawAsync("order:99", Ct))!;
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, raw[4]);
        Assert.Equal(EnvelopeV2Bytes.CompressedFlag, raw[5]);
        Assert.Equal((byte)CacheCompressionAlgorithm.GZip, EnvelopeV2Bytes.Compression(raw));
        Assert.True(read.HasValue, "the written entry was rejected: " + string.Join(" | ", h.LogRecords().Select(r => r.Message)));
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Writer_NodeBrotliEntry_IsReadByCacheAsHit(string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(EnvelopeReaderProcess.Node, store, h, "order:99", Json(Order), "--type", OrderType, "--compress", "brotli");
        var raw = (await h.ReadRawAsync("order:99", Ct))!;
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal((byte)CacheCompressionAlgorithm.Brotli, EnvelopeV2Bytes.Compression(raw));
        Assert.True(read.HasValue, "the written entry was rejected: " + string.Join(" | ", h.LogRecords().Select(r => r.Message)));
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_AlgorithmOutsideStandardLibrary_ExitsWithUsageAndWritesNothing(string writer)
    {
        using var h = CreateNativeHarness();
        var algorithm = writer == EnvelopeReaderProcess.Python ? "brotli" : "zstd";

        var run = await WriteAsync(writer, Native, h, "order:99", Json(Order), "--type", OrderType, "--compress", algorithm);

        Assert.Equal(2, run.ExitCode);
        Assert.False(await Database.KeyExistsAsync(NativeKey(h, "order:99")));
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_PayloadAtThreshold_IsVersion2Uncompressed(string writer, string store)
    {
        using var h = Create(store);
        var plain = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var plainRaw = (await h.ReadRawAsync("order:99", Ct))!;
        Assert.Equal(1, plainRaw[4]);
        var payloadBytes = BinaryPrimitives.ReadInt32LittleEndian(plainRaw.AsSpan(7 + plainRaw[6] + 44)); // version 1: after expiresAtMs

        // Compressed only when longer than the threshold: a threshold of exactly the payload's length leaves it as it is.
        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType, "--compress", "gzip",
            "--compress-threshold", payloadBytes.ToString(CultureInfo.InvariantCulture));
        var raw = (await h.ReadRawAsync("order:99", Ct))!;
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, raw[4]);
        Assert.Equal(0, raw[5]);
        Assert.Equal(0, EnvelopeV2Bytes.Compression(raw));
        Assert.Equal((uint)(raw.Length - 4 - EnvelopeV2Bytes.PayloadOffset(raw)), EnvelopeV2Bytes.OriginalLength(raw));
        Assert.True(read.HasValue);
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_TaggedInt_EnvelopeEqualsTheOneDotNetWritesButForKeyAndTimes(string writer, string store)
    {
        using var h = Create(store);
        string[] tags = ["orders", "région-é", "customer:99"];
        await h.Cache.SetAsync("dotnet", 41, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5), Tags = tags }, Ct);

        var run = await WriteAsync(writer, store, h, "script", null, "--type", typeof(int).FullName!, "--value", "41", "--tags", "orders", "--tags", "région-é,customer:99,orders");
        var dotnet = (await h.ReadRawAsync("dotnet", Ct))!;
        var script = (await h.ReadRawAsync("script", Ct))!;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(dotnet.Length, script.Length);
        // Magic, version, flags, codec, fingerprint and schema version; then (after key check and times) the version 2
        // fields, the tags, the payload length and the payload.
        var times = EnvelopeV2Bytes.CompressionOffset(dotnet);
        Assert.Equal(dotnet[..22], script[..22]);
        Assert.Equal(dotnet[times..^4], script[times..^4]);
        Assert.True((await h.Cache.TryGetAsync<int>("script", cancellationToken: Ct)).HasValue);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_TaggedEntry_RemoveByTagMakesItAMissInCacheAndReader(string writer, string store)
    {
        using var h = Create(store);
        var first = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType, "--tags", "orders,customer:99", "--compress", "gzip");
        var other = await WriteAsync(writer, store, h, "order:100", Json(Order), "--type", OrderType, "--tags", "orders,customer:100");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.True((await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct)).HasValue);

        await h.Cache.RemoveByTagAsync("customer:99", Ct);
        var removed = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);
        var kept = await h.Cache.TryGetAsync<InteropOrder>("order:100", cancellationToken: Ct);
        var reader = await EnvelopeReaderProcess.RunAsync(writer, Redis.Endpoint, "order:99", KeyOptions(store, h), Ct);

        Assert.False(removed.HasValue);
        Assert.True(kept.HasValue);
        Assert.Equal(Order, kept.Value);
        Assert.Equal(1, reader.ExitCode);
        Assert.Contains("invalidated by tag", reader.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_Entry_ClearMakesItAMissInCacheAndReader(string writer, string store)
    {
        using var h = Create(store);
        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType);
        Assert.True(run.ExitCode == 0, run.ToString());

        await h.Cache.ClearAsync(Ct);
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);
        var reader = await EnvelopeReaderProcess.RunAsync(writer, Redis.Endpoint, "order:99", KeyOptions(store, h), Ct);

        Assert.False(read.HasValue);
        Assert.Equal(1, reader.ExitCode);
        Assert.Contains("cleared", reader.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_GZipBombOverMaximumPayload_IsMissInCacheAndRejectedByReader(string writer, string store)
    {
        // Two MiB of one letter compress to a few KiB: a small entry whose original length is over the default
        // MaximumPayloadBytes (1 MiB). Refused on the declared length, before anything is decompressed.
        using var h = Create(store);
        var value = "\"" + new string('a', 2 * CacheSerialOptions.DefaultMaximumPayloadBytes) + "\"";

        var run = await WriteAsync(writer, store, h, "bomb", value, "--type", typeof(string).FullName!, "--compress", "gzip");
        var raw = (await h.ReadRawAsync("bomb", Ct))!;
        var read = await h.Cache.TryGetAsync<string>("bomb", cancellationToken: Ct);
        var reader = await EnvelopeReaderProcess.RunAsync(writer, Redis.Endpoint, "bomb", KeyOptions(store, h), Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(raw.Length < CacheSerialOptions.DefaultMaximumPayloadBytes / 64, $"{raw.Length} bytes stored");
        Assert.True(EnvelopeV2Bytes.OriginalLength(raw) > CacheSerialOptions.DefaultMaximumPayloadBytes);
        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.PayloadTooLarge), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
        Assert.Equal(1, reader.ExitCode);
        Assert.Contains("payload too large", reader.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task Writer_DamagedGZipPayload_IsMissInCache(string writer, string store, PayloadDamage damage)
    {
        using var h = Create(store);
        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType, "--compress", "gzip", "--tags", "orders");
        Assert.True(run.ExitCode == 0, run.ToString());
        var raw = (await h.ReadRawAsync("order:99", Ct))!;
        EnvelopeV2Bytes.Damage(raw, damage);
        await h.WriteRawAsync("order:99", raw, Ct);

        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.CompressionError), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_EnvelopeVersion1WithTags_ExitsWithUsageAndWritesNothing(string writer)
    {
        using var h = CreateNativeHarness();

        var run = await WriteAsync(writer, Native, h, "order:99", Json(Order), "--type", OrderType, "--tags", "orders", "--envelope-version", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.False(await Database.KeyExistsAsync(NativeKey(h, "order:99")));
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_EnvelopeVersion2WithoutTags_IsReadByCacheAsHit(string writer)
    {
        using var h = CreateNativeHarness();

        var run = await WriteAsync(writer, Native, h, "order:99", Json(Order), "--type", OrderType, "--envelope-version", "2");
        var raw = (await h.ReadRawAsync("order:99", Ct))!;
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, raw[4]);
        Assert.True(read.HasValue);
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task Writer_TagCacheSerialRefuses_ExitsWithUsageAndWritesNothing(string writer, string tag)
    {
        using var h = CreateNativeHarness();

        var run = await WriteAsync(writer, Native, h, "order:99", Json(Order), "--type", OrderType, "--tags", tag);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("tag", run.StandardError, StringComparison.Ordinal);
        Assert.False(await Database.KeyExistsAsync(NativeKey(h, "order:99")));
    }

    private static string Json(InteropOrder order) => JsonSerializer.Serialize(order, SystemTextJsonCodec.Default.Options);

    private CacheHarness Create(string store) => store == Native ? CreateNativeHarness() : CreateHarness();

    // The native store adds no instance name to its keys; RedisCache puts its InstanceName in front of every key.
    private static string[] KeyOptions(string store, CacheHarness h) =>
        store == Native
            ? ["--prefix", h.Prefix]
            : ["--prefix", h.Prefix, "--instance-name", RedisFixture.DefaultInstanceName];

    private Task<ReaderRun> WriteAsync(string writer, string store, CacheHarness h, string key, string? stdin, params string[] options) =>
        EnvelopeReaderProcess.RunWriterAsync(
            writer,
            Redis.Endpoint,
            key,
            [.. KeyOptions(store, h), "--layout", store == Native ? "string" : "hash", .. options],
            stdin,
            Ct);
}
