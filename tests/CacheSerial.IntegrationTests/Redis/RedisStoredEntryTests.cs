using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>What CacheSerial leaves in Redis, and what it does with what others left there.</summary>
public sealed class RedisStoredEntryTests(RedisFixture redis) : RedisTestBase(redis)
{
    private static readonly byte[] Magic = [0x89, (byte)'C', (byte)'S', (byte)'E'];

    [Fact]
    public async Task SetAsync_Entry_IsEnvelopeInRedisCacheDataField()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        Assert.Equal(RedisType.Hash, await Database.KeyTypeAsync(RawKey(h, "k")));
        var data = (byte[]?)await Database.HashGetAsync(RawKey(h, "k"), "data");
        Assert.NotNull(data);
        Assert.True(data.AsSpan().StartsWith(Magic), $"data starts with {Convert.ToHexString(data.AsSpan(0, Math.Min(8, data.Length)))}");
    }

    [Fact]
    public async Task GetOrCreateAsync_JsonWrittenBySetStringUnderTheKey_IsMissAndOverwritten()
    {
        using var h = CreateHarness();
        // Another client wrote plain JSON through IDistributedCache under the very key CacheSerial uses.
        await Redis.Cache.SetStringAsync(h.StoreKey("k"), """{"Name":"json","Number":7}""", Ct);

        var before = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var calls = 0;
        var value = await h.Cache.GetOrCreateAsync("k", _ => { calls++; return ValueTask.FromResult(new Sample("fresh", 1)); }, cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(before.HasValue);
        Assert.Equal(new Sample("fresh", 1), value);
        Assert.Equal(1, calls);
        Assert.True(after.HasValue);
        Assert.Equal(new Sample("fresh", 1), after.Value);
        var data = (byte[]?)await Database.HashGetAsync(RawKey(h, "k"), "data");
        Assert.NotNull(data);
        Assert.True(data.AsSpan().StartsWith(Magic), "the JSON was not overwritten by an envelope");
    }

    [Fact]
    public async Task GetOrCreateAsync_KeyHoldsAPlainRedisString_MissThenReplaced()
    {
        using var h = CreateHarness(o => o.CircuitBreakerFailureThreshold = 1);
        // Not a RedisCache hash at all: RedisCache's reads and writes fail with WRONGTYPE. The read is a miss; the write
        // deletes the foreign key and retries; neither counts against the store's health.
        await Database.StringSetAsync(RawKey(h, "k"), "set by redis-cli");

        var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var value = await h.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(new Sample("fresh", 1)), cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Equal(new Sample("fresh", 1), value);
        Assert.Equal(new Sample("fresh", 1), after.Value);
        Assert.NotEmpty(h.LogRecords(1007));
        Assert.Single(h.LogRecords(1008));
        Assert.Empty(h.LogRecords(1101));
        await Database.KeyDeleteAsync(RawKey(h, "k"));
    }
}
