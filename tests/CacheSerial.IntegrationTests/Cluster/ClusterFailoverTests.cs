using System.Diagnostics;
using System.Globalization;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Cluster;

/// <summary>
/// A primary failover under load, on a cluster of its own (this test kills a node): readers keep calling
/// GetOrCreateAsync on keys spread over every slot while one primary is killed with SIGKILL and its replica is promoted.
/// Callers must see no exception and no wrong value; misses (factory runs) during the switch are allowed and counted; the
/// run ends with every key readable again. Waits are bounded and generous; nothing asserts how long anything took. In the
/// cluster collection so it does not share the two cores with the other cluster tests.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterFailoverTests
{
    private const int Keys = 300;
    private const int Readers = 8;
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_PrimaryKilledUnderLoad_NoExceptionsNoWrongValuesAndEndsHealthy()
    {
        var (server, cli) = RedisClusterNodes.RequireExecutables();
        await using var nodes = await RedisClusterNodes.StartAsync(server, cli, Ct);
        await using var multiplexer = await nodes.ConnectAsync("cacheserial-cluster-failover");
        using var h = new CacheHarness(new RedisStringView(multiplexer), CacheLoad.ShortDeadline, b => b.UseStackExchangeRedis(multiplexer));

        var keys = Enumerable.Range(0, Keys).Select(i => "k:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await h.Cache.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, CacheLoad.Expected(k))), Options, Ct);
        await nodes.WaitUntilHealthyAsync(Ct); // replicas linked: the writes are on their way to the replicas

        var victimPort = await nodes.PrimaryPortOfSlotAsync(multiplexer.HashSlot(h.StoreKey(keys[0])), Ct);
        var victimKeys = new List<string>();
        foreach (var key in keys)
        {
            if (await nodes.PrimaryPortOfSlotAsync(multiplexer.HashSlot(h.StoreKey(key)), Ct) == victimPort)
            {
                victimKeys.Add(key);
            }
        }

        var victims = victimKeys.ToHashSet();
        await using var load = new CacheLoad(h.Cache, keys, victims, Readers, Options);
        await load.WaitForCallsAsync(2 * Keys); // load before the kill
        var missesBeforeKill = load.Misses;

        var clock = Stopwatch.StartNew();
        await nodes.KillAsync(victimPort, Ct);
        await nodes.WaitUntilHealthyAsync(Ct); // a replica took over the victim's slots
        var promoted = clock.Elapsed;

        // Readers go on until every key of the victim's slots is a hit again (served by the promoted replica).
        await CacheLoad.WaitUntilAllHitAsync(h.Cache, victimKeys, Options);
        var recovered = clock.Elapsed;
        await load.WaitForCallsAsync(load.Calls + (2 * Keys)); // and some load after
        await load.StopAsync();

        var summary = $"Redis Cluster failover run: {load.Calls} calls by {Readers} readers over {Keys} keys " +
            $"({victimKeys.Count} on the killed primary), {load.Misses} misses ({missesBeforeKill} before the kill; " +
            $"{load.Misses - load.WatchedMisses} on keys of the live primaries), " +
            $"{load.Exceptions} exceptions, {load.Wrong} wrong values; cluster_state:ok again " +
            $"{promoted.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after the kill, every key a hit again after " +
            $"{recovered.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s (cluster-node-timeout {RedisClusterNodes.NodeTimeoutMilliseconds} ms); " +
            $"circuit breaker opened {h.LogRecords(1101).Count} times; store call failures: {CacheLoad.DescribeStoreFailures(h, victims)}";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        RedisFixture.Announce(summary);

        load.AssertNoExceptionsNorWrongValues();
        Assert.NotEmpty(victimKeys);
        await CacheLoad.WaitUntilAllHitAsync(h.Cache, keys, Options); // ends healthy: every key readable
    }
}
