using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests;

public sealed class CacheFactoryContextTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Setters_NonPositiveLifetime_ThrowIntoTheCaller(int milliseconds)
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.GetOrCreateAsync("e", (ctx, _) =>
        {
            ctx.Expiration = TimeSpan.FromMilliseconds(milliseconds);
            return new ValueTask<int>(1);
        }, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.GetOrCreateAsync("s", (ctx, _) =>
        {
            ctx.SlidingExpiration = TimeSpan.FromMilliseconds(milliseconds);
            return new ValueTask<int>(1);
        }, cancellationToken: Ct));

        Assert.Null(await h.ReadRawAsync("e", Ct));
        Assert.Null(await h.ReadRawAsync("s", Ct));
    }

    [Fact]
    public async Task Setters_Null_AreAllowed()
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        var value = await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Expiration = null;
            ctx.SlidingExpiration = null;
            ctx.AbsoluteExpiration = null;
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        Assert.Equal(1, value);
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct)); // the call's lifetime stays
    }

    [Fact]
    public async Task Key_IsTheCallersKeyWithoutPrefix()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        string? seen = null;

        await h.Cache.GetOrCreateAsync("product:1", (ctx, _) =>
        {
            seen = ctx.Key;
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        Assert.Equal("product:1", seen);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Fail_WithoutReason_ThrowsIntoTheCaller(string? reason)
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Fail(reason!);
            return new ValueTask<int>(1);
        }, cancellationToken: Ct));
    }

    [Fact]
    public async Task TryGetStaleValue_NoOlderValue_IsFalse()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        var seen = (Has: true, Got: true, Value: -1);

        await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            var got = ctx.TryGetStaleValue<int>(out var stale);
            seen = (ctx.HasStaleValue, got, stale);
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        Assert.Equal((false, false, 0), seen);
    }

    [Fact]
    public async Task TryGetStaleValue_OtherType_IsFalse()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = new CacheHarness(InMemoryStores.Create(), timeProvider: time);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };
        await h.Cache.SetAsync("k", 5, options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var seen = (Int: false, Text: true);

        await h.Cache.GetOrCreateAsync("k", (ctx, ct) =>
        {
            seen = (ctx.TryGetStaleValue<int>(out _), ctx.TryGetStaleValue<string>(out _));
            return new ValueTask<int>(6);
        }, options, Ct);

        Assert.Equal((true, false), seen);
    }
}
