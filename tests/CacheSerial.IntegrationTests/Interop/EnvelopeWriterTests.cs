using System.Text.Json;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>
/// The Python and Node reference writers (samples/interop/*/write_entry.*) write entries CacheSerial reads as hits, on
/// both stores: the native store (<c>--layout string</c>) and RedisCache (<c>--layout hash</c>), and entries for
/// another type or schema version are rejected as misses rather than read as wrong values.
/// </summary>
public sealed class EnvelopeWriterTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    public const string Native = "native";
    public const string RedisCache = "rediscache";

    private static readonly InteropOrder Order = new(
        99,
        "Zoë \"Q\" 鍵 \uD83D\uDE00",
        7.75,
        true,
        null,
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

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_JsonValueFromStdin_IsReadByCacheAsHit(string writer, string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType);
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(read.HasValue, "the written entry was rejected: " + string.Join(" | ", h.LogRecords().Select(r => r.Message)));
        Assert.Equal(Order, read.Value);
        Assert.False(read.IsNegative);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_ValueOption_IsReadByCacheAsHit(string writer, string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(writer, store, h, "count", null, "--type", typeof(int).FullName!, "--value", "41");
        var read = await h.Cache.TryGetAsync<int>("count", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(read.HasValue);
        Assert.Equal(41, read.Value);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_RoundTrip_DotNetThenReaderThenWriterThenDotNet(string writer, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:original", Order, FiveMinutes, Ct);

        var printed = await EnvelopeReaderProcess.RunAsync(writer, Redis.Endpoint, "order:original", [.. KeyOptions(store, h), "--type", OrderType], Ct);
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var written = await WriteAsync(writer, store, h, "order:copy", printed.StandardOutput, "--type", OrderType);
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:copy", cancellationToken: Ct);

        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.True(read.HasValue);
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_OtherTypeIdentity_IsMissNotWrongValue(string writer, string store)
    {
        using var h = Create(store);
        // An address's JSON fits an order only partly; the fingerprint must refuse it before the codec is asked.
        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", typeof(InteropAddress).FullName!);

        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.TypeMismatch), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_SchemaVersionMismatch_IsMiss(string writer, string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(writer, store, h, "order:99", Json(Order), "--type", OrderType, "--schema-version", "3");
        var read = await h.Cache.TryGetAsync<InteropOrder>("order:99", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.SchemaMismatch), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_Null_IsCachedNull(string writer, string store)
    {
        using var h = Create(store);

        var run = await WriteAsync(writer, store, h, "none", "null", "--type", OrderType);
        var read = await h.Cache.TryGetAsync<InteropOrder?>("none", cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(read.HasValue);
        Assert.Null(read.Value);
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_Null_EnvelopeEqualsTheOneDotNetWritesButForTimes(string writer, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync<InteropOrder?>("dotnet-none", null, FiveMinutes, Ct);

        var run = await WriteAsync(writer, store, h, "script-none", "null", "--type", OrderType);
        var dotnet = (await h.ReadRawAsync("dotnet-none", Ct))!;
        var script = (await h.ReadRawAsync("script-none", Ct))!;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(dotnet.Length, script.Length);
        // Magic, version, flags (null), codec, fingerprint and schema version are the same; then key check and times differ.
        Assert.Equal(dotnet[..22], script[..22]);
        Assert.Equal(dotnet[^8..^4], script[^8..^4]); // payload length 0
    }

    [Theory]
    [MemberData(nameof(WritersAndStores))]
    public async Task Writer_LongKey_WritesUnderTheHashedStoreKey(string writer, string store)
    {
        using var h = Create(store);
        var key = "order:" + new string('z', CacheSerialOptions.DefaultMaximumKeyLength);

        var run = await WriteAsync(writer, store, h, key, Json(Order), "--type", OrderType);
        var read = await h.Cache.TryGetAsync<InteropOrder>(key, cancellationToken: Ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(read.HasValue);
        Assert.Equal(Order, read.Value);
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_HashLayout_HasTheFieldsRedisCacheWrites(string writer)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("dotnet", Order, FiveMinutes, Ct);

        var run = await WriteAsync(writer, RedisCache, h, "script", Json(Order), "--type", OrderType);
        var dotnet = await Database.HashGetAllAsync(RawKey(h, "dotnet"));
        var script = await Database.HashGetAllAsync(RawKey(h, "script"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Names(dotnet), Names(script));
        Assert.Equal(Field(dotnet, "sldexp"), Field(script, "sldexp"));
        Assert.True(long.TryParse(Field(script, "absexp"), out var ticks), Field(script, "absexp"));
        Assert.InRange(ticks, DateTimeOffset.UnixEpoch.Ticks, DateTimeOffset.MaxValue.Ticks); // DateTimeOffset ticks, as RedisCache's
        Assert.NotNull(await Database.KeyTimeToLiveAsync(RawKey(h, "script")));
        Assert.Equal(RedisType.Hash, await Database.KeyTypeAsync(RawKey(h, "script")));
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_StringLayout_IsPlainStringWithTtl(string writer)
    {
        using var h = CreateNativeHarness();

        var run = await WriteAsync(writer, Native, h, "script", Json(Order), "--type", OrderType, "--expires-in", "90.5");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(NativeKey(h, "script")));
        var pttl = await Database.KeyTimeToLiveAsync(NativeKey(h, "script"));
        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(90_500));
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task Writer_InvalidJson_ExitsWithUsageAndWritesNothing(string writer)
    {
        using var h = CreateNativeHarness();

        var run = await WriteAsync(writer, Native, h, "bad", "{not json", "--type", OrderType);

        Assert.Equal(2, run.ExitCode);
        Assert.False(await Database.KeyExistsAsync(NativeKey(h, "bad")));
    }

    private static string Json(InteropOrder order) => JsonSerializer.Serialize(order, SystemTextJsonCodec.Default.Options);

    private static string[] Names(HashEntry[] entries) => [.. entries.Select(e => e.Name.ToString()).Order(StringComparer.Ordinal)];

    private static string? Field(HashEntry[] entries, string name) => entries.Single(e => e.Name == name).Value.ToString();

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
