using System.Diagnostics;
using System.Globalization;
using CacheSerial.IntegrationTests.Faults;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Sentinel;

/// <summary>
/// CacheSerial through Redis Sentinel (a primary, a replica, three sentinels; StackExchange.Redis connected with the
/// sentinels' endpoints and the service name), each test on a setup of its own: reads and writes, then a failover
/// under bounded load. Callers must see no exception and no wrong value; misses are allowed and counted; the run ends
/// with every key a hit on the promoted replica. Waits are bounded; nothing asserts how long anything took. In the
/// cluster collection, as the cluster failover test is: its load does not overlap theirs on a small machine.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class SentinelFailoverTests
{
    private const int Keys = 200;
    private const int Readers = 6;
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NativeStore_PrimaryKilledUnderLoad_NoExceptionsNoWrongValuesAndEndsOnPromotedReplica()
    {
        await using var nodes = await RedisSentinelNodes.StartAsync(RedisProcess.RequireExecutable("Redis Sentinel tests"), Ct);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(nodes.ClientOptions("cacheserial-sentinel-native"));
        using var h = new CacheHarness(new RedisStringView(multiplexer), CacheLoad.ShortDeadline, b => b.UseStackExchangeRedis(multiplexer));

        await FailOverUnderLoadAsync(nodes, h, "native store", kill: true);
    }

    [Fact]
    public async Task RedisCache_SentinelFailoverUnderLoad_NoExceptionsNoWrongValuesAndEndsOnPromotedReplica()
    {
        await using var nodes = await RedisSentinelNodes.StartAsync(RedisProcess.RequireExecutable("Redis Sentinel tests"), Ct);

        // Microsoft's RedisCache connects by itself from the same options (sentinels + service name).
        using var redisCache = new RedisCache(Microsoft.Extensions.Options.Options.Create(new RedisCacheOptions
        {
            ConfigurationOptions = nodes.ClientOptions("cacheserial-sentinel-rediscache"),
            InstanceName = "cacheserial-sentinel-it:",
        }));
        using var h = new CacheHarness(redisCache, CacheLoad.ShortDeadline);

        await FailOverUnderLoadAsync(nodes, h, "RedisCache", kill: false);
    }

    /// <summary>
    /// Writes the keys, checks they reached the replica, puts readers on, fails the primary over (SIGKILL of its pid, or
    /// SENTINEL FAILOVER), waits until the sentinels name the replica and every key is a hit again, then checks the
    /// keys are on the promoted replica. Announces the run's figures before asserting.
    /// </summary>
    private static async Task FailOverUnderLoadAsync(RedisSentinelNodes nodes, CacheHarness h, string path, bool kill)
    {
        var keys = Enumerable.Range(0, Keys).Select(i => "k:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await h.Cache.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, CacheLoad.Expected(k))), Options, Ct);
        var read = await h.Cache.GetManyAsync<string>(keys, Options, Ct);
        Assert.Equal(keys.Select(CacheLoad.Expected), read.Select(r => r.HasValue ? r.Value : "(miss)"));
        await WaitUntilReplicaHasAsync(nodes.ReplicaPort, h, keys);

        await using var load = new CacheLoad(h.Cache, keys, new HashSet<string>(), Readers, Options);
        await load.WaitForCallsAsync(2 * Keys); // load before the failover
        var missesBefore = load.Misses;

        var clock = Stopwatch.StartNew();
        if (kill)
        {
            await nodes.KillAsync(nodes.PrimaryPort, Ct);
        }
        else
        {
            await RespConnection.ExecuteOnceAsync(nodes.SentinelPorts[0], ["SENTINEL", "FAILOVER", RedisSentinelNodes.ServiceName], Ct);
        }

        await nodes.WaitUntilPrimaryIsAsync(nodes.ReplicaPort, Ct);
        var promoted = clock.Elapsed;
        await CacheLoad.WaitUntilAllHitAsync(h.Cache, keys, Options);
        var recovered = clock.Elapsed;
        var onOldPrimary = await WaitUntilWritesReachAsync(nodes.ReplicaPort, kill ? null : nodes.PrimaryPort, h);
        var writable = clock.Elapsed;
        await load.WaitForCallsAsync(load.Calls + (2 * Keys)); // and some load after
        await load.StopAsync();

        var onPromoted = await ExistingAsync(nodes.ReplicaPort, h, keys);
        var kept = onOldPrimary.Count == 0 ? 0 : await ExistingAsync(nodes.ReplicaPort, h, onOldPrimary);

        var summary = $"Redis Sentinel failover run ({path}, {(kill ? "primary killed with SIGKILL" : "SENTINEL FAILOVER")}): " +
            $"{load.Calls} calls by {Readers} readers over {Keys} keys, {load.Misses} misses ({missesBefore} before the failover), " +
            $"{load.Exceptions} exceptions, {load.Wrong} wrong values; every sentinel named the replica " +
            $"{promoted.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after the {(kill ? "kill" : "command")}, every key a hit again after " +
            $"{recovered.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s, a write reached the promoted replica after " +
            $"{writable.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s ({onOldPrimary.Count} writes before it landed on the old primary, " +
            $"{kept} of them on the promoted replica at the end); circuit breaker opened {h.LogRecords(1101).Count} times; store call failures: " +
            $"{CacheLoad.DescribeStoreFailures(h)} (down-after-milliseconds {RedisSentinelNodes.DownAfterMilliseconds})";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        RedisFixture.Announce(summary);

        load.AssertNoExceptionsNorWrongValues();
        Assert.Equal(Keys, onPromoted); // ends on the promoted replica, with every key
    }

    /// <summary>How many of the keys' stored entries exist on the server on <paramref name="port"/> (EXISTS on the stored keys).</summary>
    private static async Task<long> ExistingAsync(int port, CacheHarness h, IEnumerable<string> keys)
    {
        List<string> exists = ["EXISTS"];
        exists.AddRange(keys.Select(k => StoredKey(h, k)));
        return (long)await RespConnection.ExecuteOnceAsync(port, exists, Ct);
    }

    /// <summary>
    /// Writes a fresh key until it lands on the promoted replica (bounded): reads may already be served by it (the client
    /// reads from a replica when it has no primary) before the client has switched its writes over. Returns the keys
    /// written meanwhile that landed on the old primary (<paramref name="oldPort"/>; null when it is dead).
    /// </summary>
    private static async Task<List<string>> WaitUntilWritesReachAsync(int port, int? oldPort, CacheHarness h)
    {
        var elsewhere = new List<string>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; ; i++)
        {
            var key = "after:" + i.ToString(CultureInfo.InvariantCulture);
            await h.Cache.SetAsync(key, CacheLoad.Expected(key), Options, Ct);
            if (await ExistingAsync(port, h, [key]) == 1)
            {
                return elsewhere;
            }

            if (oldPort is { } old && await ExistingAsync(old, h, [key]) == 1)
            {
                elsewhere.Add(key);
            }

            Assert.True(clock.Elapsed < CacheLoad.Limit, $"no write reached the promoted replica on {port} within {CacheLoad.Limit.TotalSeconds} s");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Waits (bounded) until the replica holds every key, so the failover does not lose what was written before it.</summary>
    private static async Task WaitUntilReplicaHasAsync(int replicaPort, CacheHarness h, string[] keys)
    {
        var clock = Stopwatch.StartNew();
        long found;
        while ((found = await ExistingAsync(replicaPort, h, keys)) < keys.Length)
        {
            Assert.True(clock.Elapsed < CacheLoad.Limit, $"the replica holds {found} of {keys.Length} keys {CacheLoad.Limit.TotalSeconds} s later");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>The Redis key of an entry: RedisCache puts its instance name in front of the cache's stored key.</summary>
    private static string StoredKey(CacheHarness h, string key) =>
        h.Store is RedisCache ? "cacheserial-sentinel-it:" + h.StoreKey(key) : h.StoreKey(key);
}
