using System.Globalization;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Cluster;

/// <summary>
/// Bulk reads and writes of the native store on a Redis Cluster: keys spread over every primary, one MGET per hash slot
/// (no CROSSSLOT), values back in the callers' order. MGET calls are counted with INFO commandstats on the primaries; the
/// classes of this collection run one at a time, so no other test's MGETs are counted.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterBulkTests(RedisClusterFixture cluster)
{
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetManyAndGetManyAsync_ThousandKeysOverAllSlots_SpreadOverEveryPrimaryAndReadBackInOrder()
    {
        using var h = CreateHarness();
        var keys = Enumerable.Range(0, 1000).Select(i => "item:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await h.Cache.SetManyAsync(keys.Select((k, i) => KeyValuePair.Create(k, i)), Options, Ct);

        var mgetsBefore = await MgetCallsAsync();
        var keysWithMissing = keys.Append("never-set").Reverse().ToArray();
        var results = await h.Cache.GetManyAsync<int>(keysWithMissing, Options, Ct);
        var mgets = await MgetCallsAsync() - mgetsBefore;

        Assert.False(results[0].HasValue);
        for (var i = 1; i < keysWithMissing.Length; i++)
        {
            Assert.True(results[i].HasValue, keysWithMissing[i]);
            Assert.Equal(1000 - i, results[i].Value);
        }

        var slots = keysWithMissing.Select(k => cluster.Connection.HashSlot(h.StoreKey(k))).Distinct().Count();
        Assert.Equal(slots, mgets); // one MGET per slot

        // Where the entries physically are: scanned on each primary.
        var perPrimary = new List<int>();
        foreach (var primary in Primaries())
        {
            var found = 0;
            await foreach (var _ in primary.KeysAsync(pattern: h.Prefix + "*", pageSize: 1000))
            {
                found++;
            }

            perPrimary.Add(found);
        }

        Assert.Equal(3, perPrimary.Count);
        Assert.Equal(1000, perPrimary.Sum());
        Assert.All(perPrimary, count => Assert.InRange(count, 1, 999));
    }

    [Fact]
    public async Task GetManyAsync_KeysWithOneHashTag_OneMgetForAll()
    {
        using var h = CreateHarness();
        var keys = Enumerable.Range(0, 100).Select(i => "{user:7}order:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await h.Cache.SetManyAsync(keys.Select((k, i) => KeyValuePair.Create(k, i)), Options, Ct);

        var mgetsBefore = await MgetCallsAsync();
        var results = await h.Cache.GetManyAsync<int>(keys, Options, Ct);
        var mgets = await MgetCallsAsync() - mgetsBefore;

        Assert.Equal(Enumerable.Range(0, 100), results.Select(r => r.Value));
        Assert.Single(keys.Select(k => cluster.Connection.HashSlot(h.StoreKey(k))).Distinct());
        Assert.Equal(1, mgets);
    }

    [Fact]
    public async Task GetManyAsync_KeysBuiltWithHashTagHelper_OneSlotByClusterKeyslotAndOneMget()
    {
        using var h = CreateHarness();
        var keys = Enumerable.Range(0, 50).Select(i => CacheKeys.WithHashTag("user:42", "order:" + i.ToString(CultureInfo.InvariantCulture)))
            .Append(CacheKeys.WithHashTag("user:42", new string('x', CacheSerialOptions.DefaultMaximumKeyLength + 1))) // stored hashed; the tag survives
            .ToArray();
        await h.Cache.SetManyAsync(keys.Select((k, i) => KeyValuePair.Create(k, i)), Options, Ct);

        // The server's own view of where each stored key lives.
        var server = Primaries()[0];
        var slots = new HashSet<long>();
        foreach (var key in keys)
        {
            slots.Add((long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", h.StoreKey(key)));
        }

        var mgetsBefore = await MgetCallsAsync();
        var results = await h.Cache.GetManyAsync<int>(keys, Options, Ct);
        var mgets = await MgetCallsAsync() - mgetsBefore;

        Assert.Single(slots);
        Assert.Equal(Enumerable.Range(0, keys.Length), results.Select(r => r.Value));
        Assert.Equal(1, mgets);
    }

    [Fact]
    public async Task GetManyAsync_SlidingExpirationAcrossSlots_ReadsAndRenewsEveryKey()
    {
        using var h = CreateHarness();
        var keys = Enumerable.Range(0, 200).Select(i => "s:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) };
        await h.Cache.SetManyAsync(keys.Select((k, i) => KeyValuePair.Create(k, i)), sliding, Ct);

        var results = await h.Cache.GetManyAsync<int>(keys, sliding, Ct);

        Assert.Equal(Enumerable.Range(0, 200), results.Select(r => r.Value));
    }

    // The clear marker is read once here and relied on for the whole test, so the MGET counts see entry reads only.
    private CacheHarness CreateHarness()
    {
        var h = new CacheHarness(
            new RedisStringView(cluster.Connection), o => o.TagRefreshInterval = TimeSpan.FromDays(1), b => b.UseStackExchangeRedis(cluster.Connection));
        h.Cache.SetAsync("marker-warm-up", 0, Options, Ct).AsTask().GetAwaiter().GetResult();
        _ = h.Cache.TryGetAsync<int>("marker-warm-up", Options, Ct).AsTask().GetAwaiter().GetResult();
        h.Cache.RemoveAsync("marker-warm-up", Ct).AsTask().GetAwaiter().GetResult();
        return h;
    }

    private IServer[] Primaries() =>
        cluster.Connection.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToArray();

    /// <summary>MGET calls so far, summed over the primaries (INFO commandstats).</summary>
    private async Task<long> MgetCallsAsync()
    {
        long calls = 0;
        foreach (var primary in Primaries())
        {
            foreach (var group in await primary.InfoAsync("commandstats"))
            {
                foreach (var pair in group)
                {
                    if (pair.Key == "cmdstat_mget")
                    {
                        // calls=N,usec=...
                        var value = pair.Value.Split(',')[0];
                        calls += long.Parse(value.AsSpan(value.IndexOf('=', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        return calls;
    }
}
