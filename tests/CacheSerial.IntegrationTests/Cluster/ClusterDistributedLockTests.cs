using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Cluster;

/// <summary>
/// The distributed stampede lock on a Redis Cluster: several caches, each on its own multiplexer (as several processes
/// would be), sharing one key space. The lock key is the entry key + U+001D "lock", which can hash to another slot (and
/// node) than the entry: lock and entry are separate single-key commands, so that is allowed, and the factory still runs
/// once in total.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterDistributedLockTests(RedisClusterFixture cluster)
{
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("cold")]
    [InlineData("{tagged}cold")] // lock and entry in one slot
    public async Task GetOrCreateAsync_FourHundredCallersOnFourMultiplexersOneColdKey_FactoryRunsOnceInTotal(string key)
    {
        const int Processes = 4;
        const int CallersPerProcess = 100;
        var prefix = CacheHarness.NewPrefix();
        var multiplexers = new List<ConnectionMultiplexer>();
        var harnesses = new List<CacheHarness>();
        try
        {
            for (var p = 0; p < Processes; p++)
            {
                var multiplexer = await cluster.ConnectAsync("cacheserial-cluster-lock-" + p);
                multiplexers.Add(multiplexer);
                harnesses.Add(new CacheHarness(new RedisStringView(cluster.Connection),
                    build: b => b.UseStackExchangeRedis(multiplexer, o => o.DistributedLock = true), prefix: prefix));
            }

            var entryKey = harnesses[0].StoreKey(key);
            var lockKey = entryKey + "\u001Dlock";
            if (key.StartsWith('{'))
            {
                Assert.Equal(cluster.Connection.HashSlot(entryKey), cluster.Connection.HashSlot(lockKey));
            }

            var (results, runs) = await DistributedStampede.RunAsync(harnesses.Select(h => h.Cache).ToArray(), CallersPerProcess, key, Options, Ct);

            Assert.Equal(1, runs);
            Assert.Single(results.Distinct());
            var database = cluster.Connection.GetDatabase();
            Assert.False(await database.KeyExistsAsync(lockKey)); // released after the write
            Assert.True(await database.KeyExistsAsync(entryKey));
            Assert.Equal(results[0], (await harnesses[3].Cache.TryGetAsync<string>(key, Options, Ct)).Value);
        }
        finally
        {
            foreach (var h in harnesses)
            {
                h.Dispose();
            }

            foreach (var m in multiplexers)
            {
                await m.DisposeAsync();
            }
        }
    }
}
