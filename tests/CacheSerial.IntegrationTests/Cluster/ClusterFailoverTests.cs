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
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_PrimaryKilledUnderLoad_NoExceptionsNoWrongValuesAndEndsHealthy()
    {
        var (server, cli) = RedisClusterNodes.RequireExecutables();
        await using var nodes = await RedisClusterNodes.StartAsync(server, cli, Ct);
        await using var multiplexer = await nodes.ConnectAsync("cacheserial-cluster-failover");
        using var h = new CacheHarness(new RedisStringView(multiplexer), o =>
        {
            // Short enough that callers do not wait for the dead node long; a slow moment on a loaded machine only adds misses.
            o.DistributedCacheTimeout = TimeSpan.FromSeconds(1);
            o.CircuitBreakerDuration = TimeSpan.FromSeconds(1);
        }, b => b.UseStackExchangeRedis(multiplexer));

        var keys = Enumerable.Range(0, Keys).Select(i => "k:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await h.Cache.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, Expected(k))), Options, Ct);
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

        var counts = new Counts();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var victims = victimKeys.ToHashSet();
        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(() => ReadAsync(h.Cache, keys, victims, r, counts, stop.Token), Ct)).ToArray();
        try
        {
            await WaitForCallsAsync(counts, 2 * Keys); // load before the kill
            var missesBeforeKill = Volatile.Read(ref counts.Misses);

            var clock = Stopwatch.StartNew();
            await nodes.KillAsync(victimPort, Ct);
            await nodes.WaitUntilHealthyAsync(Ct); // a replica took over the victim's slots
            var promoted = clock.Elapsed;

            // Readers go on until every key of the victim's slots is a hit again (served by the promoted replica).
            await WaitUntilAllHitAsync(h.Cache, victimKeys);
            var recovered = clock.Elapsed;
            await WaitForCallsAsync(counts, Volatile.Read(ref counts.Calls) + (2 * Keys)); // and some load after
            await stop.CancelAsync();
            await Task.WhenAll(readers);

            var summary = $"Redis Cluster failover run: {counts.Calls} calls by {Readers} readers over {Keys} keys " +
                $"({victimKeys.Count} on the killed primary), {counts.Misses} misses ({missesBeforeKill} before the kill; " +
                $"{counts.OtherMisses} on keys of the live primaries), " +
                $"{counts.Exceptions} exceptions, {counts.Wrong} wrong values; cluster_state:ok again " +
                $"{promoted.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after the kill, every key a hit again after " +
                $"{recovered.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s (cluster-node-timeout {RedisClusterNodes.NodeTimeoutMilliseconds} ms)";
            TestContext.Current.TestOutputHelper?.WriteLine(summary);
            RedisFixture.Announce(summary);

            if (counts.FirstException is { } first)
            {
                Assert.Fail($"{counts.Exceptions} calls threw; the first: {first}");
            }

            Assert.Equal(0, counts.Wrong);
            Assert.NotEmpty(victimKeys);
            await WaitUntilAllHitAsync(h.Cache, keys); // ends healthy: every key readable
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private static string Expected(string key) => "value-of-" + key;

    private static async Task ReadAsync(ITypedCache cache, string[] keys, HashSet<string> victimKeys, int reader, Counts counts, CancellationToken stop)
    {
        var i = reader * 37;
        while (!stop.IsCancellationRequested)
        {
            var key = keys[i++ % keys.Length];
            try
            {
                var value = await cache.GetOrCreateAsync(key, _ =>
                {
                    Interlocked.Increment(ref counts.Misses);
                    if (!victimKeys.Contains(key))
                    {
                        Interlocked.Increment(ref counts.OtherMisses);
                    }

                    return ValueTask.FromResult(Expected(key));
                }, Options, CancellationToken.None); // the readers' own calls are never cancelled: every call's outcome counts
                if (value != Expected(key))
                {
                    Interlocked.Increment(ref counts.Wrong);
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref counts.Exceptions);
                Interlocked.CompareExchange(ref counts.FirstException, ex, null);
            }

            Interlocked.Increment(ref counts.Calls);

            // Bounded load: a pause between calls, so a miss (an instant factory) does not turn into a busy loop.
            await Task.Delay(2, CancellationToken.None);
        }
    }

    private static async Task WaitForCallsAsync(Counts counts, long calls)
    {
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref counts.Calls) < calls)
        {
            Assert.True(clock.Elapsed < Limit, $"the readers made {Volatile.Read(ref counts.Calls)} of {calls} calls within {Limit.TotalSeconds} s");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Reads <paramref name="keys"/> until all hit (bounded), writing back any that miss (a write may have failed during the switch).</summary>
    private static async Task WaitUntilAllHitAsync(ITypedCache cache, IReadOnlyList<string> keys)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await cache.GetManyAsync<string>(keys, Options, Ct);
            var misses = 0;
            for (var i = 0; i < keys.Count; i++)
            {
                if (!results[i].HasValue)
                {
                    misses++;
                    await cache.SetAsync(keys[i], Expected(keys[i]), Options, Ct);
                }
                else
                {
                    Assert.Equal(Expected(keys[i]), results[i].Value);
                }
            }

            if (misses == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < Limit, $"{misses} of {keys.Count} keys still miss {Limit.TotalSeconds} s later");
            await Task.Delay(100, Ct);
        }
    }

    private sealed class Counts
    {
        public long Calls;
        public long Misses;
        public long OtherMisses;
        public long Exceptions;
        public long Wrong;
        public Exception? FirstException;
    }
}
