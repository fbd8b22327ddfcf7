using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Cluster;

/// <summary>
/// The IDistributedCache path on a Redis Cluster: CacheSerial over Microsoft's RedisCache on the cluster multiplexer,
/// unchanged (RedisCache uses single-key hash commands, which the client routes by slot).
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterRedisCacheTests(RedisClusterFixture cluster)
{
    private const string InstanceName = "cacheserial-cluster-it:";

    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetTryGetRemoveAsync_OverRedisCacheOnCluster_RoundTripsOnEveryPrimary()
    {
        using var h = new CacheHarness(RedisConnections.CreateCache(cluster.Connection, InstanceName));
        var keys = Enumerable.Range(0, 30).Select(i => "p" + i).ToArray();
        foreach (var key in keys)
        {
            await h.Cache.SetAsync(key, new Product(key, key.Length), Options, Ct);
        }

        foreach (var key in keys)
        {
            var result = await h.Cache.TryGetAsync<Product>(key, Options, Ct);
            Assert.True(result.HasValue, key);
            Assert.Equal(new Product(key, key.Length), result.Value);
        }

        // The raw hashes are on the primaries of their slots, and at least two primaries hold some.
        var primaries = keys
            .Select(k => (RedisKey)(InstanceName + h.StoreKey(k)))
            .Select(k => cluster.Connection.GetServers().Single(s => !s.IsReplica && s.IsConnected && s.ClusterConfiguration!.GetBySlot(k)!.EndPoint!.Equals(s.EndPoint)))
            .Distinct()
            .ToArray();
        Assert.InRange(primaries.Length, 2, 3);

        await h.Cache.RemoveAsync(keys[0], Ct);
        Assert.False((await h.Cache.TryGetAsync<Product>(keys[0], Options, Ct)).HasValue);
        var again = await h.Cache.GetOrCreateAsync(keys[0], _ => ValueTask.FromResult(new Product("again", 1)), Options, Ct);
        Assert.Equal(new Product("again", 1), again);
    }

    private sealed record Product(string Name, int Size);
}
