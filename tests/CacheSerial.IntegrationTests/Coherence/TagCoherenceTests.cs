using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// RemoveByTagAsync on one node reaches the others (separate caches, each with its own Redis connections, as separate
/// processes) within the bound docs/tags.md states for each setup: the entries tagged with the removed tag turn into
/// misses (get-or-create re-runs its factory), entries with other tags or none stay readable. The lag from the call's
/// return to each node's first miss is measured and reported; an old value read past the bound fails the test unless
/// a stall of this process explains it (then the attempt is run again, <see cref="TagCoherenceWatch.WithoutStallsAsync"/>).
/// </summary>
public sealed class TagCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TagCoherenceSetup.All), MemberType = typeof(TagCoherenceSetup))]
    public async Task RemoveByTagAsync_OnNodeA_OtherNodesMissTaggedEntriesWithinBoundAndKeepOthers(string setupName)
    {
        var setup = TagCoherenceSetup.For(setupName);
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        var remover = new List<string>();

        var (watch, attempt, spoiled) = await TagCoherenceWatch.WithoutStallsAsync($"tag removal ({setup})", setup.Bound, async () =>
        {
            await using var cluster = await setup.StartAsync(redis.Endpoint, Ct);
            var a = cluster[0];
            var entries = await TagCoherenceScenario.WriteAsync(a, allGone: false, Ct);
            await TagCoherenceScenario.WarmAsync(cluster, entries, Ct);

            var watch = await TagCoherenceWatch.RunAsync(
                [cluster[1], cluster[2]],
                entries,
                () => a.Cache.RemoveByTagAsync([TagCoherenceScenario.Removed, "never-used"], Ct).AsTask(),
                setup.Bound,
                Ct,
                afterRemoval: async () => remover = await TagCoherenceScenario.RemoverReadsAsync(a, entries, Ct));

            await TagCoherenceScenario.AssertAfterRemovalAsync(cluster, entries, Ct);
            return watch;
        });

        TagCoherenceScenario.Report("tag removal", setup, watch, attempt, spoiled);
        Assert.Empty(remover);
        Assert.All(watch.Nodes, n => Assert.Empty(n.Wrong));
        // One watcher's factory may regenerate the entry before the other looks (it then reads that value): one run suffices.
        Assert.True(watch.Nodes.Sum(n => n.FactoryRuns) >= 1, "no watcher's get-or-create re-ran its factory for the removed entry");
    }
}
