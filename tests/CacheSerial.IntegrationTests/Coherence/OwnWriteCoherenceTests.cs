using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// A node's own write is not reported back to it as a change (tracking: NOLOOP; backplane: its own sender id), so it keeps
/// serving the value it just wrote from memory instead of reading it back from Redis.
/// </summary>
public sealed class OwnWriteCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task SetAsync_OwnWrite_KeepsOwnMemoryEntry(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(2, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        var (a, b) = (cluster[0], cluster[1]);
        await a.WriteAsync("mine", "v1", Ct);
        await a.WriteAsync("theirs", "t1", Ct);
        await cluster.WarmAsync(Ct, ("mine", "v1"), ("theirs", "t1"));
        Assert.Equal(2, a.Memory.Count);

        // A's write reaches B (B's memory would serve v1 for minutes otherwise), so any report of it has been sent...
        await a.WriteAsync("mine", "v2", Ct);
        await Eventually.HoldsAsync(async () => await b.ReadAsync("mine", Ct) == "v2", "B reads the value A wrote", Ct);

        // ...and B's later write reaches A: reports arrive in the server's order, so one about A's own write came first.
        await b.WriteAsync("theirs", "t2", Ct);
        await Eventually.HoldsAsync(async () => await a.ReadAsync("theirs", Ct) == "t2", "A reads the value B wrote", Ct);

        Assert.Equal(2, a.Memory.Count); // "mine" was never evicted on A (only "theirs" was, and read back)
        Assert.Equal("v2", await a.ReadAsync("mine", Ct));
    }
}
