using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>What a factory decides through <see cref="CacheFactoryContext"/>: negative results and their own lifetime.</summary>
public abstract class AdaptiveCachingBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task GetOrCreateAsync_NegativeResult_IsCachedAndReadAsNegativeHit()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        ValueTask<Sample?> NotFound(CacheFactoryContext ctx, CancellationToken _)
        {
            runs.Increment();
            ctx.IsNegative = true;
            return new ValueTask<Sample?>((Sample?)null);
        }

        var first = await h.Cache.GetOrCreateAsync<Sample?>("missing", NotFound, cancellationToken: Ct);
        var second = await h.Cache.GetOrCreateAsync<Sample?>("missing", NotFound, cancellationToken: Ct);
        var read = await h.Cache.TryGetAsync<Sample?>("missing", cancellationToken: Ct);
        var plain = await h.Cache.GetOrCreateAsync("found", _ => new ValueTask<Sample?>(new Sample("a", 1)), cancellationToken: Ct);
        var plainRead = await h.Cache.TryGetAsync<Sample?>("found", cancellationToken: Ct);

        Assert.Null(first);
        Assert.Null(second);
        Assert.Equal(1, runs.Value);
        Assert.True(read.HasValue);
        Assert.True(read.IsNegative);
        Assert.Null(read.Value);
        Assert.NotNull(plain);
        Assert.False(plainRead.IsNegative);
    }

    [Fact]
    public async Task GetOrCreateAsync_NegativeResult_KeptForNegativeExpirationOnly()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), NegativeExpiration = TimeSpan.FromSeconds(30) };

        await h.Cache.GetOrCreateAsync<int?>("k", (ctx, _) =>
        {
            ctx.IsNegative = true;
            return new ValueTask<int?>((int?)null);
        }, options, Ct);
        var before = await h.Cache.TryGetAsync<int?>("k", options, Ct);
        time.Advance(TimeSpan.FromSeconds(31));
        var after = await h.Cache.TryGetAsync<int?>("k", options, Ct);

        Assert.True(before.IsNegative);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactorySetsShorterExpiration_EntryExpiresThen()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10) };

        await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Expiration = TimeSpan.FromSeconds(20);
            return new ValueTask<int>(7);
        }, options, Ct);
        var before = await h.Cache.TryGetAsync<int>("k", options, Ct);
        time.Advance(TimeSpan.FromSeconds(21));
        var after = await h.Cache.TryGetAsync<int>("k", options, Ct);

        Assert.Equal(7, before.Value);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryTurnsFailSafeOn_ResultServedStaleAfterExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };

        await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.FailSafe = true;
            return new ValueTask<int>(7);
        }, options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var value = await h.Cache.GetOrCreateAsync<int>("k", _ => throw new InvalidOperationException("down"), options with { FailSafe = true }, Ct);

        Assert.Equal(7, value);
    }
}
