using CacheSerial.Testing;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Testing;

/// <summary>The test double users get: the real cache, a fake clock, and a recorder to assert on.</summary>
public sealed class CacheSerialTestHarnessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_TwiceOnOneKey_RecordsMissThenHitAndOneFactoryRun()
    {
        using var cache = new CacheSerialTestHarness();
        var service = new PriceService(cache.Cache);

        Assert.Equal(10m, await service.GetPriceAsync(1, Ct));
        Assert.Equal(10m, await service.GetPriceAsync(1, Ct));

        Assert.Equal(1, cache.FactoryRuns("price:1"));
        Assert.Equal(1, cache.Misses);
        Assert.Equal(1, cache.Hits);
        Assert.Equal(
            [new CacheCall(CacheOperation.GetOrCreate, "price:1", CacheOutcome.Miss, true), new CacheCall(CacheOperation.GetOrCreate, "price:1", CacheOutcome.Hit, false)],
            cache.Calls);
    }

    [Fact]
    public async Task HitsAndMisses_AreTotalsOverEveryKey_PerKeyCountsComeFromCalls()
    {
        // What the READMEs say: Hits/Misses count every key; one key's hits are a filter over Calls.
        using var cache = new CacheSerialTestHarness();
        var service = new PriceService(cache.Cache);
        await service.GetPriceAsync(1, Ct);
        await service.GetPriceAsync(1, Ct);
        await service.GetPriceAsync(2, Ct);
        await service.GetPriceAsync(2, Ct);

        Assert.Equal(2, cache.Hits);
        Assert.Equal(2, cache.Misses);
        Assert.Equal(1, cache.Calls.Count(c => c.Key == "price:1" && c.Outcome == CacheOutcome.Hit));
    }

    [Fact]
    public async Task AdvanceTime_PastExpiration_NextCallRunsFactoryAgain()
    {
        using var cache = new CacheSerialTestHarness(o => o.DefaultEntryOptions = new() { Expiration = TimeSpan.FromMinutes(5) });
        var service = new PriceService(cache.Cache);
        await service.GetPriceAsync(1, Ct);

        cache.AdvanceTime(TimeSpan.FromMinutes(4));
        await service.GetPriceAsync(1, Ct);
        Assert.Equal(1, cache.FactoryRuns("price:1"));

        cache.AdvanceTime(TimeSpan.FromMinutes(2));
        await service.GetPriceAsync(1, Ct);
        Assert.Equal(2, cache.FactoryRuns("price:1"));
    }

    [Fact]
    public async Task AdvanceTime_PastSlidingExpiration_StoreForgetsEntry()
    {
        using var cache = new CacheSerialTestHarness(o => o.DefaultEntryOptions = new() { SlidingExpiration = TimeSpan.FromMinutes(1) });
        await cache.Cache.SetAsync("k", "v", cancellationToken: Ct);

        cache.AdvanceTime(TimeSpan.FromMinutes(2));

        Assert.False((await cache.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
        Assert.Equal(CacheOutcome.Miss, cache.Calls[^1].Outcome);
    }

    [Fact]
    public async Task Calls_EveryOperation_RecordedWithKeyAndOutcome()
    {
        using var cache = new CacheSerialTestHarness();

        await cache.Cache.TryGetAsync<int>("a", cancellationToken: Ct);
        await cache.Cache.SetAsync("a", 1, cancellationToken: Ct);
        await cache.Cache.TryGetAsync<int>("a", cancellationToken: Ct);
        await cache.Cache.RefreshAsync("a", Ct);
        await cache.Cache.RemoveAsync("a", Ct);

        Assert.Equal(
            [
                new CacheCall(CacheOperation.TryGet, "a", CacheOutcome.Miss, false),
                new CacheCall(CacheOperation.Set, "a", CacheOutcome.None, false),
                new CacheCall(CacheOperation.TryGet, "a", CacheOutcome.Hit, false),
                new CacheCall(CacheOperation.Refresh, "a", CacheOutcome.None, false),
                new CacheCall(CacheOperation.Remove, "a", CacheOutcome.None, false),
            ],
            cache.Calls);
    }

    [Fact]
    public async Task TryGetAsync_NegativeEntry_RecordedAsNegativeAndCountedAsHit()
    {
        using var cache = new CacheSerialTestHarness();
        await cache.Cache.GetOrCreateAsync<string?>("user:9", (ctx, _) =>
        {
            ctx.IsNegative = true;
            return new ValueTask<string?>((string?)null);
        }, cancellationToken: Ct);
        cache.ClearCalls();

        await cache.Cache.TryGetAsync<string?>("user:9", cancellationToken: Ct);

        Assert.Equal(CacheOutcome.Negative, Assert.Single(cache.Calls).Outcome);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryFailsWithFailSafeValue_RecordedAsStale()
    {
        using var cache = new CacheSerialTestHarness(o => o.DefaultEntryOptions = new() { Expiration = TimeSpan.FromMinutes(1), FailSafe = true });
        await cache.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("old"), cancellationToken: Ct);
        cache.AdvanceTime(TimeSpan.FromMinutes(2));

        var value = await cache.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("down"), cancellationToken: Ct);

        Assert.Equal("old", value);
        Assert.Equal(new CacheCall(CacheOperation.GetOrCreate, "k", CacheOutcome.Stale, true), cache.Calls[^1]);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrows_RecordedWithoutOutcomeAndRethrown()
    {
        using var cache = new CacheSerialTestHarness();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cache.Cache.GetOrCreateAsync<int>("k", _ => throw new InvalidOperationException("down"), cancellationToken: Ct).AsTask());

        Assert.Equal(new CacheCall(CacheOperation.GetOrCreate, "k", CacheOutcome.None, true), Assert.Single(cache.Calls));
    }

    [Fact]
    public async Task Services_CodeUnderTestAndHybridCache_GetTheRecordedCache()
    {
        using var cache = new CacheSerialTestHarness(build: b => b.AsHybridCache(), services: s => s.AddSingleton<PriceService>());
        var service = cache.Services.GetRequiredService<PriceService>();
        var hybrid = cache.Services.GetRequiredService<HybridCache>();

        await service.GetPriceAsync(2, Ct);
        await hybrid.GetOrCreateAsync("price:2", _ => new ValueTask<decimal>(-1m), cancellationToken: Ct);

        Assert.Same(cache.Cache, cache.Services.GetRequiredService<ITypedCache>());
        Assert.Equal(1, cache.FactoryRuns("price:2"));
        Assert.Equal(2, cache.Calls.Count);
    }

    [Fact]
    public async Task UseMemoryTier_StoreEntryGone_ServedFromMemoryUntilLocalExpiration()
    {
        using var cache = new CacheSerialTestHarness(build: b => b.UseMemoryTier(o => o.LocalExpiration = TimeSpan.FromSeconds(10)));
        var service = new PriceService(cache.Cache);
        await service.GetPriceAsync(1, Ct);
        await cache.Store.RemoveAsync("price:1", Ct); // below the cache (no key prefix): memory still has the value

        await service.GetPriceAsync(1, Ct);
        Assert.Equal(1, cache.FactoryRuns("price:1"));

        cache.AdvanceTime(TimeSpan.FromSeconds(10));
        await service.GetPriceAsync(1, Ct);
        Assert.Equal(2, cache.FactoryRuns("price:1"));
    }

    private sealed class PriceService(ITypedCache cache)
    {
        public ValueTask<decimal> GetPriceAsync(int id, CancellationToken cancellationToken) =>
            cache.GetOrCreateAsync($"price:{id}", id, static (id, _, _) => new ValueTask<decimal>(id * 10m), cancellationToken: cancellationToken);
    }
}
