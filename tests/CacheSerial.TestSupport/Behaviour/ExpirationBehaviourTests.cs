using CacheSerial.TestSupport.Envelopes;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Relative, absolute and sub-second lifetimes on the real clock. Waits are generous and only outcomes are asserted:
/// a test may be slow, never flaky. Exact-to-the-millisecond rules are unit-tested with a fake clock instead.
/// </summary>
public abstract class ExpirationBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task Expiration_Relative_HitBeforeMissAfter()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task AbsoluteExpiration_HitBeforeMissAfter()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddSeconds(1.5) }, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task Expiration_SubSecond_ReadableImmediatelyThenMiss()
    {
        // The store keeps the entry for a whole second (Redis has no shorter TTL through IDistributedCache); the
        // envelope's logical expiry makes it a miss after 300 ms.
        using var h = CreateHarness();
        var runs = new Counter();
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(300) };
        await h.Cache.SetAsync("k", 1, options, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var regenerated = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), options, Ct);

        Assert.True(before.HasValue);
        Assert.Equal(1, before.Value);
        Assert.False(after.HasValue);
        Assert.Equal(2, regenerated);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task Expiration_SubSecond_LogicalExpiryEnforcedWhileStoreStillHasBytes()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(300) }, Ct);
        var bytes = await h.ReadRawAsync("k", Ct);
        Assert.NotNull(bytes);

        await Task.Delay(TimeSpan.FromMilliseconds(800), Ct);
        await h.WriteRawAsync("k", bytes, Ct); // the store now keeps the very same bytes for minutes
        var runs = new Counter();

        var result = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var regenerated = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), cancellationToken: Ct);

        Assert.False(result.HasValue);
        Assert.Equal(2, regenerated);
        Assert.Equal(1, runs.Value);
        Assert.Equal(2, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryShortensExpiration_EntryExpiresAtFactoryChoice()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var first = await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            runs.Increment();
            ctx.Expiration = TimeSpan.FromMilliseconds(300);
            return new ValueTask<int>(runs.Value);
        }, new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) }, Ct);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var second = await h.Cache.GetOrCreateAsync("k", Counting(runs, 99), cancellationToken: Ct);

        Assert.Equal(1, first);
        Assert.Equal(99, second);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task ExpirationAndAbsoluteExpiration_EarlierWins()
    {
        using var h = CreateHarness();
        var absolute = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());

        await h.Cache.SetAsync("absolute-first", 1, new CacheEntryOptions { Expiration = TimeSpan.FromHours(1), AbsoluteExpiration = absolute }, Ct);
        await h.Cache.SetAsync("relative-first", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), AbsoluteExpiration = absolute }, Ct);

        var absoluteFirst = EnvelopeBytes.Parse((await h.ReadRawAsync("absolute-first", Ct))!);
        var relativeFirst = EnvelopeBytes.Parse((await h.ReadRawAsync("relative-first", Ct))!);
        Assert.Equal(absolute.ToUnixTimeMilliseconds(), absoluteFirst.ExpiresAtMs);
        Assert.Equal(60_000, relativeFirst.ExpiresAtMs - relativeFirst.CreatedAtMs);
    }

    [Fact]
    public async Task SetAsync_AbsoluteExpirationInPast_DoesNotStore()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) }, Ct);

        await h.Cache.SetAsync("k", 2, new CacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) }, Ct);

        // The old entry is left as it was: the expired value was not written.
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.NotEmpty(h.LogRecords(3002));
    }

    [Fact]
    public async Task GetOrCreateAsync_AbsoluteExpirationInPast_ReturnsValueWithoutStoring()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        var options = new CacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) };

        var first = await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), options, Ct);
        var second = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), options, Ct);

        Assert.Equal(1, first);
        Assert.Equal(2, second);
        Assert.Equal(2, runs.Value);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }
}
