using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests;

public sealed class TypedCacheExtensionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Extensions_NullCache_ThrowArgumentNullException()
    {
        ITypedCache cache = null!;

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.GetAsync<int>("k", cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.SetAsync("k", 1, TimeSpan.FromSeconds(1), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.GetOrCreateAsync("k", _ => new ValueTask<int>(1), cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.GetOrCreateAsync("k", (_, _) => new ValueTask<int>(1), cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_NullFactory_ThrowsArgumentNullException()
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        var tokenOnly = await Assert.ThrowsAsync<ArgumentNullException>(
            async () => await h.Cache.GetOrCreateAsync("k", (Func<CancellationToken, ValueTask<int>>)null!, cancellationToken: Ct));
        var withContext = await Assert.ThrowsAsync<ArgumentNullException>(
            async () => await h.Cache.GetOrCreateAsync("k", (Func<CacheFactoryContext, CancellationToken, ValueTask<int>>)null!, cancellationToken: Ct));
        var withState = await Assert.ThrowsAsync<ArgumentNullException>(
            async () => await h.Cache.GetOrCreateAsync<int, int>("k", 0, null!, cancellationToken: Ct));

        Assert.Equal("factory", tokenOnly.ParamName);
        Assert.Equal("factory", withContext.ParamName);
        Assert.Equal("factory", withState.ParamName);
    }

    [Fact]
    public async Task GetAsync_SkipRead_ReturnsDefault()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        await h.Cache.SetAsync("k", 5, cancellationToken: Ct);

        Assert.Equal(0, await h.Cache.GetAsync<int>("k", new CacheEntryOptions { Flags = CacheEntryFlags.SkipRead }, Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_TokenOverload_PassesAFactoryToken()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        var seen = new CancellationToken(canceled: true);

        await h.Cache.GetOrCreateAsync("k", ct =>
        {
            seen = ct;
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        Assert.True(seen.CanBeCanceled);
        Assert.False(seen.IsCancellationRequested);
    }
}
