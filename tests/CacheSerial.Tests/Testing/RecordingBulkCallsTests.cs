using CacheSerial.Testing;

namespace CacheSerial.Tests.Testing;

/// <summary>The recorder's view of bulk calls: one <see cref="CacheCall"/> per distinct key, in the order of the keys.</summary>
public sealed class RecordingBulkCallsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetManyThenGetMany_RecordsOneCallPerDistinctKeyWithOutcome()
    {
        using var cache = new CacheSerialTestHarness();

        await cache.Cache.SetManyAsync<int>([new("a", 1), new("b", 2), new("a", 3)], cancellationToken: Ct);
        await cache.Cache.GetManyAsync<int>(["b", "missing", "b"], cancellationToken: Ct);

        Assert.Equal(
            [
                new CacheCall(CacheOperation.SetMany, "a", CacheOutcome.None, false),
                new CacheCall(CacheOperation.SetMany, "b", CacheOutcome.None, false),
                new CacheCall(CacheOperation.GetMany, "b", CacheOutcome.Hit, false),
                new CacheCall(CacheOperation.GetMany, "missing", CacheOutcome.Miss, false),
            ],
            cache.Calls);
        Assert.Equal(1, cache.Hits);
        Assert.Equal(1, cache.Misses);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_RecordsHitsAndFactoryRunsPerKey()
    {
        using var cache = new CacheSerialTestHarness();
        await cache.Cache.SetAsync("cached", 1, cancellationToken: Ct);
        cache.ClearCalls();

        await cache.Cache.GetOrCreateManyAsync<int>(["cached", "new", "omitted"], static (keys, _) =>
            new ValueTask<IReadOnlyDictionary<string, int>>(new Dictionary<string, int> { ["new"] = 2 }), cancellationToken: Ct);

        Assert.Equal(
            [
                new CacheCall(CacheOperation.GetOrCreateMany, "cached", CacheOutcome.Hit, false),
                new CacheCall(CacheOperation.GetOrCreateMany, "new", CacheOutcome.Miss, true),
                new CacheCall(CacheOperation.GetOrCreateMany, "omitted", CacheOutcome.Miss, true),
            ],
            cache.Calls);
        Assert.Equal(1, cache.FactoryRuns("new"));
        Assert.Equal(0, cache.FactoryRuns("cached"));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryFailsWithFailSafeValue_RecordedAsStale()
    {
        using var cache = new CacheSerialTestHarness(o => o.DefaultEntryOptions = new() { Expiration = TimeSpan.FromMinutes(1), FailSafe = true });
        await cache.Cache.SetAsync("k", "old", cancellationToken: Ct);
        cache.AdvanceTime(TimeSpan.FromMinutes(2));

        var values = await cache.Cache.GetOrCreateManyAsync<string>(["k"], static (_, _) => throw new InvalidOperationException("down"), cancellationToken: Ct);

        Assert.Equal("old", values["k"]);
        Assert.Equal(new CacheCall(CacheOperation.GetOrCreateMany, "k", CacheOutcome.Stale, true), cache.Calls[^1]);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrows_RecordedWithoutOutcomeAndRethrown()
    {
        using var cache = new CacheSerialTestHarness();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await cache.Cache.GetOrCreateManyAsync<int>(["a", "b"], static (_, _) => throw new InvalidOperationException("down"), cancellationToken: Ct));

        Assert.Equal(
            [
                new CacheCall(CacheOperation.GetOrCreateMany, "a", CacheOutcome.None, true),
                new CacheCall(CacheOperation.GetOrCreateMany, "b", CacheOutcome.None, true),
            ],
            cache.Calls);
    }
}
