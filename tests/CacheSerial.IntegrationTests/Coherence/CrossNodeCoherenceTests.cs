using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>A change made on one node reaches the memory tiers of the others (each would otherwise serve its copy for
/// minutes: the coherent local lifetime is 5 minutes).</summary>
public sealed class CrossNodeCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task SetAsync_OnNodeA_NodesBAndCStopServingOldValue(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(3, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        await cluster[0].WriteAsync("k", "v1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"));

        await cluster[0].WriteAsync("k", "v2", Ct);

        foreach (var node in cluster.Nodes.Skip(1))
        {
            await Eventually.HoldsAsync(async () => await node.ReadAsync("k", Ct) == "v2", $"{node} reads v2 written by A", Ct);
        }
    }

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task RemoveAsync_OnNodeA_NodesBAndCStopServingOldValue(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(3, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        await cluster[0].WriteAsync("k", "v1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"));

        await cluster[0].Cache.RemoveAsync("k", Ct);

        foreach (var node in cluster.Nodes.Skip(1))
        {
            await Eventually.HoldsAsync(async () => await node.ReadAsync("k", Ct) is null, $"{node} reads nothing after A removed the key", Ct);
        }
    }
}
