using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// Redis is killed and started again (empty: persistence is off) while every node holds an entry in memory. Once a node
/// is live again its memory must agree with the new server: first nothing (the key is gone), then the value written
/// after the restart.
/// </summary>
public sealed class RedisRestartCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task RestartRedis_ValueChangedAfterRestart_NoNodeServesStaleValue(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(3, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        await cluster[0].WriteAsync("k", "before", Ct);
        await cluster.WarmAsync(Ct, ("k", "before"));
        var live = cluster.Nodes.Select(n => n.Logged(CoherenceNode.SourceLiveEvent)).ToArray();

        await redis.RestartAsync(Ct);

        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            var node = cluster[i];
            var before = live[i];
            await Eventually.HoldsAsync(
                () => node.Logged(CoherenceNode.SourceLiveEvent) > before && node.Memory.IsTrusted,
                $"{node} reports its invalidation source live again after the restart", Ct);
        }

        // The new server has no such key: memory flushed on reconnect, so no node serves the old entry.
        foreach (var node in cluster.Nodes)
        {
            Assert.Null(await node.ReadAsync("k", Ct));
        }

        // A store write is not retried by the cache (a failure is logged, not thrown): write until the store has it.
        await Eventually.HoldsAsync(
            async () =>
            {
                await cluster[0].WriteAsync("k", "after", Ct);
                return await cluster.Reference.ReadAsync("k", Ct) == "after";
            },
            "A's write after the restart reaches the store", Ct);

        foreach (var node in cluster.Nodes)
        {
            await Eventually.HoldsAsync(async () => await node.ReadAsync("k", Ct) == "after", $"{node} reads the value written after the restart", Ct);
        }
    }
}
