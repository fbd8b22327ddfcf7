using System.Text;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>The keys Redis sees: long keys hashed within MaximumKeyLength, short keys kept readable.</summary>
public sealed class RedisKeyTests(RedisFixture redis) : RedisTestBase(redis)
{
    private const int MaximumKeyLength = 256;

    [Fact]
    public async Task SetAsync_KeyLongerThanMaximum_RedisKeyFitsTheMaximum()
    {
        using var h = CreateHarness(o => o.MaximumKeyLength = MaximumKeyLength);
        var key = "catalog:product:" + new string('x', 5000);

        await h.Cache.SetAsync(key, new Sample("long", 1), cancellationToken: Ct);

        var keys = await KeysOfAsync(h);
        var stored = Assert.Single(keys);
        Assert.Equal(RawKey(h, key), stored);
        Assert.InRange(Encoding.UTF8.GetByteCount(stored.ToString()), 1, MaximumKeyLength + RedisFixture.DefaultInstanceName.Length);
        Assert.Contains("catalog:product:", stored.ToString(), StringComparison.Ordinal); // a readable head stays
        Assert.Equal(new Sample("long", 1), (await h.Cache.TryGetAsync<Sample>(key, cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task SetAsync_TwoLongKeysSharingTheirHead_AreStoredApart()
    {
        using var h = CreateHarness(o => o.MaximumKeyLength = MaximumKeyLength);
        var head = new string('h', 1000);

        await h.Cache.SetAsync(head + "-1", new Sample("one", 1), cancellationToken: Ct);
        await h.Cache.SetAsync(head + "-2", new Sample("two", 2), cancellationToken: Ct);

        Assert.Equal(2, (await KeysOfAsync(h)).Count);
        Assert.Equal(new Sample("one", 1), (await h.Cache.TryGetAsync<Sample>(head + "-1", cancellationToken: Ct)).Value);
        Assert.Equal(new Sample("two", 2), (await h.Cache.TryGetAsync<Sample>(head + "-2", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task SetAsync_KeyWithinMaximum_RedisKeyHoldsItVerbatim()
    {
        using var h = CreateHarness(o => o.MaximumKeyLength = MaximumKeyLength);
        var key = "catalog:product:42";

        await h.Cache.SetAsync(key, new Sample("short", 1), cancellationToken: Ct);

        var stored = Assert.Single(await KeysOfAsync(h)).ToString();
        Assert.StartsWith(RedisFixture.DefaultInstanceName + h.Prefix, stored, StringComparison.Ordinal);
        Assert.EndsWith(key, stored, StringComparison.Ordinal);
    }

    /// <summary>Every Redis key under this harness's prefix (the prefix is unique per test).</summary>
    private async Task<List<RedisKey>> KeysOfAsync(TestSupport.CacheHarness h)
    {
        var server = Redis.Connection.GetServer(Redis.Connection.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: RedisFixture.DefaultInstanceName + h.Prefix + "*").WithCancellation(Ct))
        {
            keys.Add(key);
        }

        return keys;
    }
}
