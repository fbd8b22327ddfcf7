using System.Text.Json;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>
/// Issue 13: the Python and Node readers read entries of both stores: a hash with the field <c>data</c> (RedisCache) and a
/// plain string (the native store, which readers used to fail on with <c>WRONGTYPE</c>, exit 4).
/// </summary>
public sealed class EnvelopeReaderStoreLayoutTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    public const string Native = "native";
    public const string RedisCache = "rediscache";

    private static readonly InteropOrder Order = new(
        7, "Zoë", 3.25, false, "fragile", new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), new InteropAddress("Bern", "3000"));

    private static readonly CacheEntryOptions FiveMinutes = new() { Expiration = TimeSpan.FromMinutes(5) };

    public static TheoryData<string, string> ReadersAndStores => new()
    {
        { EnvelopeReaderProcess.Python, Native },
        { EnvelopeReaderProcess.Node, Native },
        { EnvelopeReaderProcess.Python, RedisCache },
        { EnvelopeReaderProcess.Node, RedisCache },
    };

    public static TheoryData<string> Readers => new() { EnvelopeReaderProcess.Python, EnvelopeReaderProcess.Node };

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_JsonEntry_PrintsValue(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, FiveMinutes, Ct);

        var run = await RunAsync(reader, store, h, "order:7", "--type", typeof(InteropOrder).FullName!);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(run.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_Metadata_NamesTheRedisKeyOfTheStore(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, FiveMinutes, Ct);

        var run = await RunAsync(reader, store, h, "order:7", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        var expectedKey = store == Native ? NativeKey(h, "order:7").ToString() : RawKey(h, "order:7").ToString();
        Assert.Equal(expectedKey, json.RootElement.GetProperty("redisKey").GetString());
        Assert.False(json.RootElement.GetProperty("isNegative").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_CachedNull_PrintsNull(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync<InteropOrder?>("none", null, FiveMinutes, Ct);

        var run = await RunAsync(reader, store, h, "none");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("null", run.StandardOutput.Trim());
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_NegativeEntry_PrintsValueAndReportsNegative(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.GetOrCreateAsync<InteropOrder?>("missing-order", (ctx, _) =>
        {
            ctx.IsNegative = true;
            return ValueTask.FromResult<InteropOrder?>(null);
        }, FiveMinutes, Ct);

        var run = await RunAsync(reader, store, h, "missing-order", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        Assert.True(json.RootElement.GetProperty("isNegative").GetBoolean());
        Assert.True(json.RootElement.GetProperty("isNull").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_LongKey_FindsHashedStoreKey(string reader, string store)
    {
        using var h = Create(store);
        var key = "order:" + new string('y', CacheSerialOptions.DefaultMaximumKeyLength);
        await h.Cache.SetAsync(key, Order, FiveMinutes, Ct);

        var run = await RunAsync(reader, store, h, key);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(run.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_FlippedByte_ExitsNonZeroOnChecksum(string reader, string store)
    {
        using var h = Create(store);
        await h.Cache.SetAsync("order:7", Order, FiveMinutes, Ct);
        var bytes = (await h.ReadRawAsync("order:7", Ct))!;
        bytes[bytes.Length / 2] ^= 0x01;
        await h.WriteRawAsync("order:7", bytes, Ct);

        var run = await RunAsync(reader, store, h, "order:7");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("checksum mismatch", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ReadersAndStores))]
    public async Task Reader_MissingEntry_ExitsWithNotFound(string reader, string store)
    {
        using var h = Create(store);

        var run = await RunAsync(reader, store, h, "never-written");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no entry", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_KeyHoldingAList_ExitsRejectedNamingTheKind(string reader)
    {
        using var h = CreateNativeHarness();
        await Database.ListRightPushAsync(NativeKey(h, "queue"), "item");
        await Database.KeyExpireAsync(NativeKey(h, "queue"), CacheHarness.RawEntryLifetime);

        var run = await RunAsync(reader, Native, h, "queue");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("holds a Redis list", run.StandardError, StringComparison.Ordinal);
    }

    private CacheHarness Create(string store) => store == Native ? CreateNativeHarness() : CreateHarness();

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
