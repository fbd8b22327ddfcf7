using System.Diagnostics;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>
/// Sliding expiration is kept by the store: RedisCache stores the window in the hash (sldexp) and moves the key's TTL on
/// every read or refresh. Checked through ITypedCache only, with a 2 s window and reads or refreshes every 500 ms.
/// </summary>
public sealed class RedisSlidingExpirationTests(RedisFixture redis) : RedisTestBase(redis)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task TryGetAsync_SlidingEntryReadWithinItsWindow_StaysAliveBeyondIt()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { SlidingExpiration = Window }, Ct);
        var clock = Stopwatch.StartNew();

        // Twice the window, read every quarter window: each read must find the entry and push its expiry forward.
        for (var at = Step; at <= 2 * Window; at += Step)
        {
            await WaitUntilAsync(clock, at);
            var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
            Assert.True(read.HasValue, $"the sliding entry was gone at {clock.Elapsed} despite reads every {Step}");
        }

        Assert.True(clock.Elapsed > Window);
        Assert.Equal(new Sample("a", 1), (await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task TryGetAsync_SlidingEntryNotReadForLongerThanItsWindow_IsMiss()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { SlidingExpiration = Window }, Ct);
        var written = Stopwatch.StartNew();

        await WaitUntilAsync(written, Window + TimeSpan.FromSeconds(1));

        Assert.False(await Database.KeyExistsAsync(RawKey(h, "k")));
        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RefreshAsync_SlidingEntryRefreshedWithinItsWindow_StaysAliveWithoutReads()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { SlidingExpiration = Window }, Ct);
        var clock = Stopwatch.StartNew();

        for (var at = Step; at <= 2 * Window; at += Step)
        {
            await WaitUntilAsync(clock, at);
            await h.Cache.RefreshAsync("k", Ct);
        }

        Assert.True(clock.Elapsed > Window);
        Assert.Equal(new Sample("a", 1), (await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task TryGetAsync_SlidingEntryWithExpiration_ExpiresAtTheCapDespiteReads()
    {
        using var h = CreateHarness();
        var clock = Stopwatch.StartNew();
        await h.Cache.SetAsync(
            "k", new Sample("a", 1), new CacheEntryOptions { SlidingExpiration = Window, Expiration = TimeSpan.FromSeconds(3) }, Ct);

        for (var at = Step; at <= TimeSpan.FromSeconds(2); at += Step)
        {
            await WaitUntilAsync(clock, at);
            Assert.True((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue, $"gone at {clock.Elapsed}");
        }

        // Reads go on, but the 3 s cap (counted from before the write) has passed.
        await WaitUntilAsync(clock, TimeSpan.FromMilliseconds(3300));
        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }
}
