using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// <c>CLIENT KILL TYPE pubsub</c> drops every subscription connection (the backplane's, and the one tracking reports are
/// redirected to) while the interactive connections stay: a change made meanwhile is never reported. Nodes notice the
/// loss, reconnect, re-arm, and flush memory before trusting it again: no stale value once they are live. The kill is
/// followed by a reconnect within milliseconds, so a second test holds B's connections down (through a proxy that refuses
/// them) for as long as it takes A to write: B surely misses the report.
/// </summary>
public sealed class PubSubKillCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task ClientKillPubSub_WriteWhileSubscriptionDown_NoStaleValueOnceLiveAgain(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(2, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        var (a, b) = (cluster[0], cluster[1]);
        await a.WriteAsync("k", "v1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"));
        var lost = b.Logged(CoherenceNode.SourceLostEvent);
        var live = b.Logged(CoherenceNode.SourceLiveEvent);

        // Through a plain admin connection of its own: not a subscriber, so it survives its own command.
        await redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await a.WriteAsync("k", "v2", Ct); // most likely before B subscribed again: no report reaches B

        await Eventually.HoldsAsync(() => b.Logged(CoherenceNode.SourceLostEvent) > lost, "B reports its invalidation source lost", Ct);
        await Eventually.HoldsAsync(
            () => b.Logged(CoherenceNode.SourceLiveEvent) > live && b.Memory.IsTrusted,
            "B reports its invalidation source live again and trusts its memory", Ct);

        Assert.Equal("v2", await b.ReadAsync("k", Ct));

        // And it keeps working after the re-arm: a later change reaches B too.
        await a.WriteAsync("k", "v3", Ct);
        await Eventually.HoldsAsync(async () => await b.ReadAsync("k", Ct) == "v3", "B reads v3 written after the reconnect", Ct);
    }

    [Theory]
    [MemberData(nameof(CoherenceSetup.NativeSources), MemberType = typeof(CoherenceSetup))]
    public async Task ConnectionsCut_WriteWhileCut_NoStaleValueOnceLiveAgain(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var proxy = TcpFaultProxy.Start(redis.Host, redis.Port);
        await using var cluster = await CoherenceCluster.StartAsync(
            2, i => CoherenceSetup.For(setup, i == 1 ? proxy.Endpoint : redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        var (a, b) = (cluster[0], cluster[1]);
        await a.WriteAsync("k", "v1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"));
        var live = b.Logged(CoherenceNode.SourceLiveEvent);

        await proxy.SetModeAsync(ProxyMode.Refuse, Ct);
        await Eventually.HoldsAsync(() => !b.Memory.IsTrusted, "B stops trusting its memory once its connections are cut", Ct);
        await a.WriteAsync("k", "v2", Ct); // B cannot hear of it
        await proxy.SetModeAsync(ProxyMode.Pass, Ct);

        await Eventually.HoldsAsync(
            () => b.Logged(CoherenceNode.SourceLiveEvent) > live && b.Memory.IsTrusted,
            "B reports its invalidation source live again and trusts its memory", Ct);
        Assert.Equal("v2", await b.ReadAsync("k", Ct));
    }
}
