using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// ClearAsync on one node reaches the others within the bound docs/tags.md states for each setup: everything the cache
/// (its key prefix) wrote, by any node, tagged or not, turns into a miss on every node; writes after the clear are seen.
/// Lags are measured and reported as in <see cref="TagCoherenceTests"/>.
/// </summary>
public sealed class ClearCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TagCoherenceSetup.All), MemberType = typeof(TagCoherenceSetup))]
    public async Task ClearAsync_OnNodeA_OtherNodesMissEveryEntryWithinBound(string setupName)
    {
        var setup = TagCoherenceSetup.For(setupName);
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        var remover = new List<string>();

        var (watch, attempt, spoiled) = await TagCoherenceWatch.WithoutStallsAsync($"clear ({setup})", setup.Bound, async () =>
        {
            await using var cluster = await setup.StartAsync(redis.Endpoint, Ct);
            var a = cluster[0];
            var entries = await TagCoherenceScenario.WriteAsync(a, allGone: true, Ct);
            await cluster[1].WriteAsync("fromB", "fromB-B", Ct); // the clear governs what every node of the cache wrote
            entries.Add(new WatchedEntry("fromB", "fromB-B", Gone: true));
            await TagCoherenceScenario.WarmAsync(cluster, entries, Ct);

            var watch = await TagCoherenceWatch.RunAsync(
                [cluster[1], cluster[2]],
                entries,
                () => a.Cache.ClearAsync(Ct).AsTask(),
                setup.Bound,
                Ct,
                afterRemoval: async () => remover = await TagCoherenceScenario.RemoverReadsAsync(a, entries, Ct));

            await TagCoherenceScenario.AssertAfterRemovalAsync(cluster, entries, Ct);
            return watch;
        });

        TagCoherenceScenario.Report("clear", setup, watch, attempt, spoiled);
        Assert.Empty(remover);
        Assert.All(watch.Nodes, n => Assert.Empty(n.Wrong));
        // One watcher's factory may regenerate the entry before the other looks (it then reads that value): one run suffices.
        Assert.True(watch.Nodes.Sum(n => n.FactoryRuns) >= 1, "no watcher's get-or-create re-ran its factory for the cleared entry");
    }
}
