using System.Globalization;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// Redis refuses a write (out of memory under noeviction, READONLY after a demotion, WRONGTYPE over another client's
/// value): the caller keeps its value, the failure is logged (1002), and a WRONGTYPE key is replaced (1008).
/// </summary>
public sealed class WriteFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_MaxMemoryNoEviction_ReturnsValueAndLogsWriteFailure()
    {
        await using var rig = await FaultRig.StartAsync(redisArguments: ["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"]);
        await FillUntilOutOfMemoryAsync(rig.Client.Database);

        var value = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<Sample>(new Sample("v", 1)), cancellationToken: Ct);
        await rig.Cache.SetAsync("s", new Sample("s", 2), cancellationToken: Ct);

        Assert.Equal(new Sample("v", 1), value);
        Assert.Equal(2, rig.LogCount(1002));
        AssertDetailStartsWith(rig, "OOM");
        Assert.False((await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue); // reads still work: a clean miss
        Assert.Empty(rig.Harness.LogRecords(1001));
    }

    [Fact]
    public async Task GetOrCreateAsync_PrimaryDemotedToReplica_ReturnsValueAndLogsWriteFailure()
    {
        await using var rig = await FaultRig.StartAsync();
        await using var newPrimary = await RedisProcess.StartAsync(cancellationToken: Ct);
        await rig.Cache.SetAsync("before", 1, cancellationToken: Ct);
        Assert.Equal(1, (await rig.Cache.TryGetAsync<int>("before", cancellationToken: Ct)).Value);

        // The connected primary becomes a read-only replica: RedisCache's next write gets READONLY.
        await rig.Redis.ExecuteAsync("REPLICAOF", newPrimary.Host, newPrimary.Port.ToString(CultureInfo.InvariantCulture));

        var value = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<Sample>(new Sample("v", 1)), cancellationToken: Ct)
            .AsTask().WaitAsync(FaultRig.Bound, Ct);
        await rig.Cache.SetAsync("s", new Sample("s", 2), cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);

        Assert.Equal(new Sample("v", 1), value);
        Assert.Equal(2, rig.LogCount(1002));
        AssertDetailStartsWith(rig, "READONLY");
    }

    [Fact]
    public async Task GetOrCreateAsync_PlainStringAtEntryKey_ReplacesEntryAndReadsItBack()
    {
        await using var rig = await FaultRig.StartAsync();
        var raw = RedisFixture.RawKey(rig.Harness.StoreKey("k"), FaultRedisClient.DefaultInstanceName);
        Assert.True(await rig.Client.Database.StringSetAsync(raw, "another client's string"));

        var before = await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var value = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<Sample>(new Sample("v", 1)), cancellationToken: Ct);
        var after = await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(before.HasValue);
        Assert.Equal(new Sample("v", 1), value);
        Assert.Equal(new Sample("v", 1), after.Value);
        Assert.Equal(RedisType.Hash, await rig.Client.Database.KeyTypeAsync(raw));
        Assert.Equal(2, rig.LogCount(1007)); // the TryGet and get-or-create's own read
        Assert.Single(rig.Harness.LogRecords(1008));
        Assert.Empty(rig.Harness.LogRecords(1002));
        Assert.Equal(0, rig.Breaker.Transitions); // a data problem, not an unhealthy store
    }

    /// <summary>Raw SETs of 64 KiB until Redis answers OOM (a bounded number of attempts).</summary>
    private static async Task FillUntilOutOfMemoryAsync(IDatabase database)
    {
        var filler = new byte[64 * 1024];
        for (var i = 0; i < 1024; i++)
        {
            try
            {
                await database.StringSetAsync($"fill:{i}", filler);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("OOM", StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail("Redis never answered OOM while being filled");
    }

    /// <summary>The Debug detail (1005) of a failed write carries the server's error.</summary>
    private static void AssertDetailStartsWith(FaultRig rig, string serverError) =>
        Assert.Contains(rig.Harness.LogRecords(1005), r => Messages(r.Exception).Any(m => m.StartsWith(serverError, StringComparison.Ordinal)));

    private static IEnumerable<string> Messages(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e.Message;
        }
    }
}
