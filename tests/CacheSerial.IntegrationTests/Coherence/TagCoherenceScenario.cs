using System.Globalization;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>What the tag and clear coherence tests share: the entries node A writes (through every write path that
/// takes tags), warming every node, the checks after a removal, and the report of the lags.</summary>
internal static class TagCoherenceScenario
{
    /// <summary>The tag the tag tests remove.</summary>
    public const string Removed = "x";

    /// <summary>
    /// Writes on <paramref name="a"/>: entries tagged <see cref="Removed"/> through SetAsync, SetManyAsync, GetOrCreateAsync
    /// (the tag added by the factory) and GetOrCreateManyAsync (likewise), an untagged one and one with other tags.
    /// Returns them as watched entries: tagged <see cref="Removed"/> ones gone when <paramref name="allGone"/> is false,
    /// every one when it is true (a clear).
    /// </summary>
    public static async Task<List<WatchedEntry>> WriteAsync(CoherenceNode a, bool allGone, CancellationToken ct)
    {
        await a.Cache.SetAsync("set", "set-A", new CacheEntryOptions { Tags = [Removed] }, ct);
        await a.Cache.SetManyAsync(
            [KeyValuePair.Create("many1", "many1-A"), KeyValuePair.Create("many2", "many2-A")], new CacheEntryOptions { Tags = [Removed, "y"] }, ct);
        await a.Cache.GetOrCreateAsync(
            "goc",
            (context, _) =>
            {
                context.Tags.Add(Removed);
                return ValueTask.FromResult("goc-A");
            },
            new CacheEntryOptions { Tags = ["y"] },
            ct);
        await a.Cache.GetOrCreateManyAsync(
            ["gocm1", "gocm2"],
            (missing, context, _) =>
            {
                context.Tags.Add(Removed);
                return ValueTask.FromResult<IReadOnlyDictionary<string, string>>(missing.ToDictionary(k => k, k => k + "-A"));
            },
            cancellationToken: ct);
        await a.Cache.SetAsync("plain", "plain-A", cancellationToken: ct);
        await a.Cache.SetAsync("other", "other-A", new CacheEntryOptions { Tags = ["other", "y"] }, ct);

        return
        [
            new("set", "set-A", Gone: true),
            new("many1", "many1-A", Gone: true),
            new("many2", "many2-A", Gone: true),
            new("goc", "goc-A", Gone: true, GetOrCreate: true, Tags: [Removed, "y"]),
            new("gocm1", "gocm1-A", Gone: true),
            new("gocm2", "gocm2-A", Gone: true),
            new("plain", "plain-A", Gone: allGone),
            new("other", "other-A", Gone: allGone),
        ];
    }

    /// <summary>
    /// Every node reads every entry: memory tiers then hold them (a store write's report may evict a first copy, so
    /// memory is checked on two polls, <see cref="CoherenceCluster.WarmAsync"/>), and nodes without one have read the
    /// tag markers once (what they rely on until the refresh interval passes).
    /// </summary>
    public static async Task WarmAsync(CoherenceCluster cluster, IReadOnlyList<WatchedEntry> entries, CancellationToken ct)
    {
        if (cluster.Nodes.All(n => n.HasMemory))
        {
            await cluster.WarmAsync(ct, [.. entries.Select(e => (e.Key, e.Value))]);
            return;
        }

        foreach (var node in cluster.Nodes)
        {
            foreach (var entry in entries)
            {
                await Eventually.HoldsAsync(async () => await node.ReadAsync(entry.Key, ct) == entry.Value, $"{node} reads {entry.Key}", ct);
            }
        }
    }

    /// <summary>The remover's own reads right after its call returned: nothing it removed is served (it knows at once).</summary>
    public static async Task<List<string>> RemoverReadsAsync(CoherenceNode remover, IReadOnlyList<WatchedEntry> entries, CancellationToken ct)
    {
        var wrong = new List<string>();
        foreach (var entry in entries)
        {
            var seen = await remover.ReadAsync(entry.Key, ct);
            if ((seen == entry.Value) == entry.Gone)
            {
                wrong.Add($"{remover} read {entry.Key} as {seen ?? "(miss)"} right after its own removal");
            }
        }

        return wrong;
    }

    /// <summary>
    /// After the removal: what the remover writes with the removed tag is visible everywhere (a removal does not block
    /// later writes), and entries it did not govern are still readable on every node.
    /// </summary>
    public static async Task AssertAfterRemovalAsync(CoherenceCluster cluster, IReadOnlyList<WatchedEntry> entries, CancellationToken ct)
    {
        // The removal time is the remover's clock at the call's start; a write in that same millisecond counts as before it.
        await Task.Delay(TimeSpan.FromMilliseconds(5), ct);
        await cluster[0].Cache.SetAsync("set", "set-A2", new CacheEntryOptions { Tags = [Removed] }, ct);
        foreach (var node in cluster.Nodes)
        {
            await Eventually.HoldsAsync(async () => await node.ReadAsync("set", ct) == "set-A2", $"{node} reads set-A2, written with the removed tag after the removal", ct);
            foreach (var kept in entries.Where(e => !e.Gone))
            {
                Assert.Equal(kept.Value, await node.ReadAsync(kept.Key, ct));
            }
        }
    }

    /// <summary>The run's figures, in the test output and the integration tests' announcement file (for the closing note).</summary>
    public static void Report(string what, TagCoherenceSetup setup, TagCoherenceWatch watch, int attempt, string spoiled)
    {
        var perNode = string.Join(", ", watch.Nodes.Select(n => $"{n.Node} {Ms(n.Lag(watch))}"));
        var summary = $"{what} ({setup.Name}): seen by {watch.Nodes.Count} other nodes after max {Ms(watch.MaxLag)} ({perNode}; " +
            "from the call's return to the end of the first read that missed, the last governed entry per node); " +
            $"last read that still saw a removed value started {(watch.LatestOldRead < TimeSpan.Zero ? "before the call returned" : Ms(watch.LatestOldRead) + " after the call returned")}; " +
            $"bound {Ms(setup.Bound)} ({setup.BoundText}); the call took {Ms(watch.RemovalEnded - watch.RemovalStarted)}; " +
            $"largest stall seen {Ms(watch.LargestStall)}; attempt {attempt}" + (spoiled.Length == 0 ? string.Empty : $" (earlier ones spoiled by stalls: {spoiled})");
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        TestContext.Current.TestOutputHelper?.WriteLine(watch.Describe());
        RedisFixture.Announce(summary);
    }

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
