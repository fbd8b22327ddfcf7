using System.Diagnostics;
using System.Globalization;
using CacheSerial.IntegrationTests.Faults;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Cluster;

/// <summary>
/// A live slot migration under load, on a cluster of its own (this test changes the topology): readers call
/// GetOrCreateAsync, a writer SetAsync and a bulk reader GetManyAsync (keys of the moving slot mixed with others) while
/// the keys of one hash slot are moved to another primary in batches (MIGRATING/IMPORTING, MIGRATE, SETSLOT NODE), so
/// the client meets ASK and then MOVED replies. Callers must see no exception and no wrong value; misses are allowed
/// and counted; at the end every key reads back and the moved slot is served by its new primary. Waits are bounded;
/// nothing asserts how long anything took.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterReshardingTests
{
    private const int MovingKeys = 200;
    private const int OtherKeys = 100;
    private const int Readers = 6;
    private const int BulkKeysPerGroup = 10;
    private const int CallsPerBatch = 40;
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateSetAndGetManyAsync_SlotMigratedLive_NoExceptionsNoWrongValuesAndServedByNewPrimary()
    {
        var (server, cli) = RedisClusterNodes.RequireExecutables();
        await using var nodes = await RedisClusterNodes.StartAsync(server, cli, Ct);
        await using var multiplexer = await nodes.ConnectAsync("cacheserial-cluster-resharding");
        using var h = new CacheHarness(new RedisStringView(multiplexer), CacheLoad.ShortDeadline, b => b.UseStackExchangeRedis(multiplexer));

        // The same entries through a cache with the harness' generous deadline: its assertions must not depend on the load.
        // Its clear marker, once read, is relied on for the whole test, so the MGET count below sees entry reads only.
        using var checker = new CacheHarness(
            new RedisStringView(multiplexer), o => o.TagRefreshInterval = TimeSpan.FromDays(1), b => b.UseStackExchangeRedis(multiplexer), prefix: h.Prefix);

        // One hash tag puts every moving key in one slot; the other keys are spread over all slots.
        var moving = Enumerable.Range(0, MovingKeys).Select(i => CacheKeys.WithHashTag("reshard", "k:" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        var others = Enumerable.Range(0, OtherKeys).Select(i => "o:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var all = moving.Concat(others).ToArray();
        var slot = multiplexer.HashSlot(h.StoreKey(moving[0]));
        Assert.All(moving, k => Assert.Equal(slot, multiplexer.HashSlot(h.StoreKey(k))));

        var sourcePort = await nodes.PrimaryPortOfSlotAsync(slot, Ct);
        var targetPort = (await nodes.PrimariesAsync(Ct)).Select(p => p.Port).First(p => p != sourcePort);
        Assert.Equal(slot, (int)await RespConnection.ExecuteOnceAsync(targetPort, ["CLUSTER", "KEYSLOT", h.StoreKey(moving[0])], Ct)); // the server agrees

        await h.Cache.SetManyAsync(all.Select(k => KeyValuePair.Create(k, CacheLoad.Expected(k))), Options, Ct);
        Assert.Equal(MovingKeys, await CountKeysInSlotAsync(sourcePort, slot));

        var bulk = new BulkCounts();
        await using var load = new CacheLoad(h.Cache, all, moving.ToHashSet(), Readers, Options);
        var w = 0;
        load.StartLoop(() =>
        {
            // Rewrites the moving keys (same values), so writes meet the half-moved slot too.
            var key = moving[w++ % moving.Length];
            Interlocked.Increment(ref bulk.Writes);
            return h.Cache.SetAsync(key, CacheLoad.Expected(key), Options, CancellationToken.None).AsTask();
        });
        var b = 0;
        load.StartLoop(async () =>
        {
            // GetManyAsync over keys of the moving slot (even positions) and keys of other slots, in one call.
            var keys = Enumerable.Range(b++ * BulkKeysPerGroup, BulkKeysPerGroup)
                .SelectMany(j => new[] { moving[j % moving.Length], others[j % others.Length] })
                .ToArray();
            Interlocked.Increment(ref bulk.Calls);
            var results = await h.Cache.GetManyAsync<string>(keys, Options, CancellationToken.None);
            for (var k = 0; k < keys.Length; k++)
            {
                if (!results[k].HasValue)
                {
                    Interlocked.Increment(ref bulk.Misses);
                    if (k % 2 == 0)
                    {
                        Interlocked.Increment(ref bulk.MovingMisses);
                    }
                }
                else if (results[k].Value != CacheLoad.Expected(keys[k]))
                {
                    load.CountWrong();
                }
            }
        });

        await load.WaitForCallsAsync(all.Length); // load before the move
        var missesBefore = load.Misses;
        var bulkCallsBefore = Volatile.Read(ref bulk.Calls);

        var clock = Stopwatch.StartNew();
        var askingBefore = await CommandCallsAsync(targetPort, "asking");
        var batches = 0;

        // 7 keys a batch: not a multiple of the bulk reader's 10 keys of the slot, so its MGETs meet a half-moved group.
        // Between batches the callers make some calls, so they meet the half-moved slot whatever the machine's load.
        var moved = await nodes.MigrateSlotAsync(slot, targetPort, batchSize: 7, async () =>
        {
            if (++batches == 1)
            {
                await ReadHalfMovedSlotAsync(checker, moving, sourcePort);
            }

            await load.WaitForCallsAsync(load.Calls + CallsPerBatch);
        }, Ct);
        var migrated = clock.Elapsed;
        await nodes.WaitUntilSlotOwnedByAsync(slot, targetPort, Ct);
        var missesDuring = load.Misses - missesBefore;
        var bulkCallsDuring = Volatile.Read(ref bulk.Calls) - bulkCallsBefore;
        var asking = await CommandCallsAsync(targetPort, "asking") - askingBefore;

        await load.WaitForCallsAsync(load.Calls + all.Length); // and some load after
        await load.StopAsync();

        var summary = $"Redis Cluster resharding run: slot {slot} ({moved} keys) moved from {sourcePort} to {targetPort} (" +
            $"{batches} batches, {migrated.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s) under load, {asking} ASKING redirections followed; " +
            $"{load.Calls} GetOrCreateAsync calls by {Readers} readers, {load.Misses} misses ({missesBefore} before, {missesDuring} during the move; " +
            $"{load.WatchedMisses} on keys of the moving slot), {bulk.Writes} SetAsync calls, {bulk.Calls} GetManyAsync calls of " +
            $"{2 * BulkKeysPerGroup} keys ({bulkCallsDuring} during the move) with {bulk.Misses} missing values ({bulk.MovingMisses} of the moving slot), " +
            $"{load.Exceptions} exceptions, {load.Wrong} wrong values; store call failures: " +
            CacheLoad.DescribeStoreFailures(h);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        RedisFixture.Announce(summary);

        load.AssertNoExceptionsNorWrongValues();
        Assert.Equal(MovingKeys, moved);
        Assert.True(bulkCallsDuring > 0, "no GetManyAsync call ran during the move");
        Assert.True(asking > 0, "the client never followed an ASK redirection to the target: the test did not meet the half-moved slot");

        // Served by the new primary: the keys are there and not on the source, and a bulk read of them is one MGET on the target.
        Assert.Equal(MovingKeys, await CountKeysInSlotAsync(targetPort, slot));
        Assert.Equal(0, await CountKeysInSlotAsync(sourcePort, slot));
        await checker.Cache.GetManyAsync<string>(moving, Options, Ct); // reads the clear marker if it has not yet
        var mgets = await CommandCallsAsync(targetPort, "mget");
        var movedValues = await checker.Cache.GetManyAsync<string>(moving, Options, Ct);
        Assert.Equal(mgets + 1, await CommandCallsAsync(targetPort, "mget"));
        Assert.Equal(moving.Select(CacheLoad.Expected), movedValues.Select(r => r.HasValue ? r.Value : "(miss)"));

        // Every key readable at the end, with its own value.
        var values = await checker.Cache.GetManyAsync<string>(all, Options, Ct);
        Assert.Equal(all.Select(CacheLoad.Expected), values.Select(r => r.HasValue ? r.Value : "(miss)"));
    }

    /// <summary>
    /// After the first batch: Redis refuses an MGET over the slot's keys (some moved, most not) with TRYAGAIN, and the
    /// native store still returns every value (it reads that slot's keys one by one, each GET following ASK).
    /// </summary>
    private static async Task ReadHalfMovedSlotAsync(CacheHarness checker, string[] moving, int sourcePort)
    {
        List<string> mget = ["MGET"];
        mget.AddRange(moving.Select(checker.StoreKey));
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => RespConnection.ExecuteOnceAsync(sourcePort, mget, Ct));
        Assert.StartsWith("TRYAGAIN", refused.Message, StringComparison.Ordinal);

        var values = await checker.Cache.GetManyAsync<string>(moving, Options, Ct);
        Assert.Equal(moving.Select(CacheLoad.Expected), values.Select(r => r.HasValue ? r.Value : "(miss)"));
        Assert.Empty(checker.LogRecords(1005)); // no store call failed
    }

    private static async Task<long> CountKeysInSlotAsync(int port, int slot) =>
        (long)await RespConnection.ExecuteOnceAsync(port, ["CLUSTER", "COUNTKEYSINSLOT", slot.ToString(CultureInfo.InvariantCulture)], Ct);

    /// <summary>Calls of <paramref name="command"/> the node on <paramref name="port"/> served so far (INFO commandstats: calls=N,...; redirected ones are not counted).</summary>
    private static async Task<long> CommandCallsAsync(int port, string command)
    {
        var info = (string?)await RespConnection.ExecuteOnceAsync(port, ["INFO", "commandstats"], Ct) ?? string.Empty;
        var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("cmdstat_" + command + ":", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        var calls = line.Split(':', 2)[1].Split(',')[0];
        return long.Parse(calls.AsSpan(calls.IndexOf('=', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture);
    }

    private sealed class BulkCounts
    {
        public long Writes;
        public long Calls;
        public long Misses;
        public long MovingMisses;
    }
}
